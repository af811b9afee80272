#!/usr/bin/env bash
# Bench: what reading the accessibility bus costs on a browser workload. The same scripted
# Chromium session (clicks on a button, typing, reloads) is recorded twice, each on a fresh X
# session with its own session and accessibility buses: with the policy's
# `capture: accessibility: false` and Chromium started as by default, then with it on and
# Chromium started with --force-renderer-accessibility (what the contributor then pays too).
# Reports the recorder's CPU, Chromium's CPU (all its processes), and the element lookups'
# median and p95, and the per-frame snapshots' (with the policy's default, snapshots on), as
# ratios within this run. Targets are reported, never enforced.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.build-bench/accessibility
bin=${UNDERSTUDY:-$PWD/.build/release/understudy}
export XDG_CONFIG_HOME=$out/config
# shellcheck source=scripts/browser-session.sh
source scripts/browser-session.sh
cleanup() {
  browser_session_stop
  for mode in off on; do XSESSION_STATE=$out/$mode/xsession.env bash scripts/xsession.sh stop || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$out"
mkdir -p "$out"/off "$out"/on
"$bin" policy keygen "$out/org" >/dev/null
"$bin" policy trust "$out/org.pub" >/dev/null
# Both sides capture the browser's window: the demo's policy without its site and category
# rules, and the "off" side with `unknown-site: capture`. Otherwise the "off" side would blank
# the unreadable browser and skip its OCR, and the ratio would measure capturing the browser
# at all, not reading the bus (it did: 2.6-4.3x, nearly all of it OCR of the page).
for mode in off on; do
  sed -e "s/^name: .*/name: bench-accessibility-$mode/" -e '/^  - \(site\|category\):/,+1d' scripts/demo-policy.yaml >"$out/$mode.yaml"
  [[ $mode == off ]] && sed -i -e '/^capture:/a\  accessibility: false' -e '$a unknown-site: capture' "$out/$mode.yaml"
  # SNAPSHOTS=off: the "on" side without per-frame snapshots, to see what they cost.
  [[ $mode == on && ${SNAPSHOTS:-on} == off ]] && sed -i '/^capture:/a\  accessibility-snapshots: false' "$out/$mode.yaml"
  "$bin" policy sign --key "$out/org.key" "$out/$mode.yaml" >/dev/null
done

# CPU seconds (user + system) summed over the entries of the /proc folder ROOT (processes, or
# one process's threads) whose FILE contains TEXT (MODE contains) or is TEXT (MODE is).
proc_cpu() {
  python3 - "$@" <<'PY'
import os, sys
root, name, text, mode = sys.argv[1:5]
total = 0
for entry in filter(str.isdigit, os.listdir(root)):
    try:
        value = open(f"{root}/{entry}/{name}").read()
        if (text not in value) if mode == "contains" else (value.strip() != text):
            continue
        fields = open(f"{root}/{entry}/stat").read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    except OSError:
        pass
print(total / os.sysconf("SC_CLK_TCK"))
PY
}

# Every process whose command line names FOLDER.
cpu_of() { proc_cpu /proc cmdline "$1" contains; }

# The recorder's accessibility thread (named understudy-a11y): every call to the bus, the
# readings, lookups and snapshots run there.
thread_cpu() { proc_cpu "/proc/$1/task" comm understudy-a11y is; }

run_mode() {
  local mode=$1 dir=$out/$1 rec
  export XSESSION_STATE=$dir/xsession.env
  set -a; eval "$(bash scripts/xsession.sh start)"; set +a
  browser_session_start
  # The consent in force is the last one given: each side records under its own.
  "$bin" consent accept --quiet --policy "$out/$mode.yaml" >/dev/null
  python3 bench/measure.py run --pidfile "$dir/pid" --out "$dir/measure.json" -- \
    "$bin" record --display "$DISPLAY" --vault "$dir/store" --policy "$out/$mode.yaml" --for 180s >"$dir/recorder.log" 2>&1 &
  rec=$!
  for _ in $(seq 150); do
    "$bin" status --vault "$dir/store" --json 2>/dev/null | grep -q '"state" *: *"recording"' && break
    sleep 0.2
  done
  browser_chromium_start "$dir/chromium-profile" "http://notes-bench.example:$browser_site_port/notes.html" "$mode"
  local before after t0
  before=$(cpu_of "$dir/chromium-profile")
  t0=$(date +%s%N)
  for i in $(seq 8); do
    xdotool mousemove $((browser_client_x + 580)) $((browser_client_y + 250)) sleep 0.2 click 1 sleep 0.5 type --delay 30 "line $i of the bench, typed into the note"
    xdotool key ctrl+a sleep 0.2 key BackSpace sleep 0.3 key F5 sleep 1.2
  done
  after=$(cpu_of "$dir/chromium-profile")
  echo "$before $after $((($(date +%s%N) - t0) / 1000000))" >"$dir/chromium-cpu"
  "$bin" status --vault "$dir/store" --json >"$dir/status.json" 2>/dev/null || true
  thread_cpu "$(cat "$dir/pid")" >"$dir/a11y-thread-cpu"
  kill -INT "$(cat "$dir/pid")"
  wait "$rec" || true
  browser_session_stop
  bash scripts/xsession.sh stop
}

run_mode off
run_mode on
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def side(mode):
    measure = json.load(open(f"{out}/{mode}/measure.json"))
    before, after, ms = open(f"{out}/{mode}/chromium-cpu").read().split()
    counters = json.load(open(f"{out}/{mode}/status.json")).get("counters") or {}
    return measure["cpu_s"], float(after) - float(before), float(ms) / 1000, counters
(rec_off, chr_off, wall_off, _), (rec_on, chr_on, wall_on, counters) = side("off"), side("on")
lookups = counters.get("target_lookup_milliseconds", {})
print(f"{'':40} {'accessibility off':>18} {'on':>10} {'on/off':>8}")
print(f"{'recorder CPU, whole session (s)':40} {rec_off:18.2f} {rec_on:10.2f} {rec_on / max(rec_off, 1e-9):8.2f}   target: under 1.20")
print(f"{'Chromium CPU, during the workload (s)':40} {chr_off:18.2f} {chr_on:10.2f} {chr_on / max(chr_off, 1e-9):8.2f}   (what the flag and the bus cost the browser)")
print(f"{'workload wall time (s)':40} {wall_off:18.1f} {wall_on:10.1f}")
bus = float(open(f"{out}/on/a11y-thread-cpu").read())
print(f"{'accessibility thread CPU (s)':40} {'':18} {bus:10.2f} {bus / max(rec_on, 1e-9):8.2f}   of the recorder's CPU (target: under 0.20)")
print(f"element lookups: {lookups.get('count', 0)}, median {lookups.get('median', 0):.1f} ms, p95 {lookups.get('p95', 0):.1f} ms;"
      f" accessibility {counters.get('accessibility')!r}, {counters.get('accessibility_timeouts', 0)} calls timed out")
snapshots = counters.get("snapshot_milliseconds", {})
print(f"snapshots with frames: {snapshots.get('count', 0)}, median {snapshots.get('median', 0):.1f} ms, p95 {snapshots.get('p95', 0):.1f} ms;"
      f" {counters.get('snapshots_truncated', 0)} cut short, {(counters.get('drops') or {}).get('snapshots_busy', 0)} skipped for a newer frame")
PY
