#!/usr/bin/env bash
# Bench: the same scripted workload (bench/workload.py), once under our
# recorder and once under the baseline (pynput + mss), each on a fresh private
# X session; then one comparison table. Targets are reported, never enforced.
# Expects `make bench` to have run `setup.sh bench` and the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$PWD/.build-bench
# UNDERSTUDY=/path/to/binary overrides the release build.
bin=${UNDERSTUDY:-$PWD/.build/release/understudy}
# The benchmarks of parts (vault, OCR, ingest) ship in their own binary, beside understudy.
bench_bin=${UNDERSTUDY_BENCH:-$(dirname "$bin")/understudy-bench}
venv_py=$PWD/.build-bench-venv/bin/python
# The bench vaults' keys stay with the bench, not in the user's config directory.
export XDG_CONFIG_HOME=$out/config

cleanup() {
  local d
  for d in "$out"/ours "$out"/ours-png "$out"/ours-nonames "$out"/ours-profile "$out"/baseline "$out"/idle-ours "$out"/idle-baseline; do
    if [[ -f $d/pid ]] && kill -0 "$(cat "$d/pid")" 2>/dev/null; then
      kill -INT "$(cat "$d/pid")" 2>/dev/null || true
      sleep 1
      kill -KILL "$(cat "$d/pid")" 2>/dev/null || true
    fi
    XSESSION_STATE=$d/xsession.env bash scripts/xsession.sh stop || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$out"
mkdir -p "$out"/ours "$out"/ours-png "$out"/ours-nonames "$out"/ours-profile "$out"/baseline "$out"/idle-ours "$out"/idle-baseline
# Recording needs consent to the policy in force (the built-in default here).
[[ -x $bin ]] && "$bin" consent accept --quiet >/dev/null
python3 bench/workload.py "$out" >/dev/null
echo "bench: workload sends $(tr -d '\n ' <"$out/sent.json")"

# measure NAME CMD...: run CMD under measure.py (CPU, max RSS; pid to NAME/pid).
measure() {
  local dir=$out/$1
  shift
  python3 bench/measure.py run --pidfile "$dir/pid" --out "$dir/measure.json" -- "$@" \
    >"$dir/recorder.log" 2>&1
}
# Per side: NAME_start runs the recorder on $DISPLAY; NAME_ready says when it
# is recording.
ours_start() {
  measure ours "$bin" record --display "$DISPLAY" --vault "$out/ours/store" \
    --for 120s --stats "$out/ours/stats.json"
}
ours_ready() {
  "$bin" status --vault "$out/ours/store" --json 2>/dev/null |
    python3 -c 'import json,sys; sys.exit(json.load(sys.stdin).get("state") != "recording")' 2>/dev/null
}
# The same recorder storing tiles as PNG, to choose the codec by numbers.
ours-png_start() {
  measure ours-png "$bin" record --display "$DISPLAY" --vault "$out/ours-png/store" \
    --for 120s --codec png --stats "$out/ours-png/stats.json"
}
ours-png_ready() {
  "$bin" status --vault "$out/ours-png/store" --json 2>/dev/null | grep -q '"state":"recording"'
}
# The same recorder without person_name redaction: what finding names costs the recorder.
nonames_policy=$out/ours-nonames/policy.yaml
cat >"$nonames_policy" <<'YAML'
understudy-policy: 1
name: bench-without-names
version: 1
organisation: the bench
audience: the bench
contact: bench@example.com
rules: []
default-action: capture
redaction: [email, phone, credit_card, iban, ssn, secret, password]
YAML
ours-nonames_start() {
  measure ours-nonames "$bin" record --display "$DISPLAY" --vault "$out/ours-nonames/store" \
    --policy "$nonames_policy" --unsigned-policy --for 120s --stats "$out/ours-nonames/stats.json"
}
ours-nonames_ready() {
  "$bin" status --vault "$out/ours-nonames/store" --json 2>/dev/null | grep -q '"state":"recording"'
}
# The same recorder again, sampled by perf while it records (perf's cost stays out of `ours`).
ours-profile_start() {
  measure ours-profile "$bin" record --display "$DISPLAY" --vault "$out/ours-profile/store" \
    --for 120s --stats "$out/ours-profile/stats.json"
}
ours-profile_ready() {
  "$bin" status --vault "$out/ours-profile/store" --json 2>/dev/null | grep -q '"state":"recording"'
}
baseline_start() {
  mkdir -p "$out/baseline/store"
  measure baseline "$venv_py" bench/baseline_recorder.py --db "$out/baseline/store/events.db" \
    --frames "$out/baseline/store/frames" --stats "$out/baseline/stats.json" \
    --ready "$out/baseline/ready"
}
baseline_ready() { [[ -f $out/baseline/ready ]]; }

# stop_side NAME: SIGINT the recorder (KILL after 30 s), stop its X session.
stop_side() {
  local dir=$out/$1 mpid=$2 pid i
  if [[ -f $dir/pid ]]; then
    pid=$(cat "$dir/pid")
    kill -INT "$pid" 2>/dev/null || true
    for i in $(seq 300); do kill -0 "$mpid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$mpid" || true
  XSESSION_STATE=$dir/xsession.env bash scripts/xsession.sh stop
}

# start_side NAME: fresh X session, recorder under measure.py, wait until it is
# ready; sets the caller's mpid (measure.py's pid).
start_side() {
  local name=$1 dir=$out/$1 env i
  env=$(XSESSION_STATE=$dir/xsession.env bash scripts/xsession.sh start) || return 1
  set -a; eval "$env"; set +a
  "${name}_start" &
  mpid=$!
  for i in $(seq 150); do
    "${name}_ready" && return 0
    if ! kill -0 "$mpid" 2>/dev/null || ((i == 150)); then
      echo "bench: $name recorder did not start, see $dir/recorder.log" >&2
      stop_side "$name" "$mpid"
      return 1
    fi
    sleep 0.2
  done
}

# run_side NAME: start_side, play the workload, stop. (Runs under `if`, so no
# set -e: check by hand.)
run_side() {
  local name=$1 dir=$out/$1 mpid t0
  start_side "$name" || return 1
  local perf_pid=""
  if [[ $name == ours-profile ]]; then
    perf record -q -F 499 -p "$(cat "$dir/pid")" -o "$dir/perf.data" >"$dir/perf.log" 2>&1 &
    perf_pid=$!
  fi
  t0=$(date +%s%N)
  xdotool "$out/workload.xdo"
  echo "bench: $name: workload took $((($(date +%s%N) - t0) / 1000000)) ms"
  sleep 1  # let events still in flight reach the recorder before stopping it
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" || true; fi
  stop_side "$name" "$mpid"
  python3 -c "print(($(date +%s%N) - $t0) / 1e9)" >"$dir/seconds"
  du -sb "$dir/store" | cut -f1 >"$dir/bytes"
}

if [[ -x $bin ]]; then
  if run_side ours; then
    "$bin" log --vault "$out/ours/store" --json | python3 -c 'import json,sys,collections
json.dump(collections.Counter(json.loads(l)["kind"] for l in sys.stdin if l.strip()), sys.stdout)' \
      >"$out/ours/captured.json" || echo "bench: understudy log failed" >&2
  fi
  run_side ours-png || echo "bench: the PNG run failed" >&2
  command -v perf >/dev/null && { run_side ours-profile || echo "bench: the profiled run failed" >&2; }
  "$bin" consent accept --quiet --policy "$nonames_policy" --unsigned-policy >/dev/null
  run_side ours-nonames || echo "bench: the run without name redaction failed" >&2
  "$bin" consent accept --quiet >/dev/null
else
  echo "bench: $bin missing (make bench builds it); baseline only" >&2
fi
if run_side baseline; then
  python3 -c 'import json,sqlite3,sys
db = sqlite3.connect(sys.argv[1])
json.dump(dict(db.execute("SELECT kind, count(*) FROM events GROUP BY kind")), sys.stdout)' \
    "$out/baseline/store/events.db" >"$out/baseline/captured.json"
fi

# Idle: each recorder alone on an idle desktop of its own for BENCH_IDLE_SECONDS (600 by
# default), the two side by side (idle, they leave each other the cores).
idle_seconds=${BENCH_IDLE_SECONDS:-600}
idle-ours_start() {
  measure idle-ours "$bin" record --display "$DISPLAY" --vault "$out/idle-ours/store" --for 3600s
}
idle-ours_ready() {
  "$bin" status --vault "$out/idle-ours/store" --json 2>/dev/null | grep -q '"state":"recording"'
}
idle-baseline_start() {
  mkdir -p "$out/idle-baseline/store"
  measure idle-baseline "$venv_py" bench/baseline_recorder.py --db "$out/idle-baseline/store/events.db" \
    --frames "$out/idle-baseline/store/frames" --stats "$out/idle-baseline/stats.json" --ready "$out/idle-baseline/ready"
}
idle-baseline_ready() { [[ -f $out/idle-baseline/ready ]]; }
# run_idle NAME: like run_side, with $idle_seconds of nothing for the workload.
run_idle() {
  local name=$1 dir=$out/$1 mpid
  start_side "$name" || return 1
  # CPU from /proc between ready and stop: the steady state, without start-up.
  local pid t0 c0
  pid=$(cat "$dir/pid")
  t0=$(date +%s%N) c0=$(cpu_ticks "$pid")
  sleep "$idle_seconds"
  echo "{\"cpu_s\": $(python3 -c "print(($(cpu_ticks "$pid") - $c0) / $(getconf CLK_TCK))"), \"wall_s\": $(python3 -c "print(($(date +%s%N) - $t0) / 1e9)")}" \
    >"$dir/idle.json"
  stop_side "$name" "$mpid"
}
# cpu_ticks PID: user + system clock ticks of PID so far (its threads included).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "bench: both recorders on idle desktops for $idle_seconds s"
idle_pids=()
[[ -x $bin ]] && { run_idle idle-ours || echo "bench: the idle run failed" >&2; } &
idle_pids+=($!)
{ run_idle idle-baseline || echo "bench: the baseline's idle run failed" >&2; } &
idle_pids+=($!)
wait "${idle_pids[@]}" || true

echo
python3 bench/measure.py report --sent "$out/sent.json" --ours "$out/ours" --baseline "$out/baseline"
python3 - "$out/ours/measure.json" "$out/ours-nonames/measure.json" <<'PY' || true
import json, sys
try:
    with_names, without = (json.load(open(f))["cpu_s"] for f in sys.argv[1:3])
except (OSError, ValueError, KeyError):
    sys.exit(0)
ratio = with_names / without if without else float("nan")
print(f"  recorder CPU s with person_name {with_names:.2f}, without {without:.2f}: x{ratio:.2f} (goal <= x1.10: {'met' if ratio <= 1.10 else 'NOT met'})")
PY
if [[ -x $bin ]]; then
  echo "bench: vault write rates, encryption on and off"
  "$bench_bin" vault --scratch "$out" >"$out/vault-rates.json" || echo "bench: understudy-bench vault failed" >&2
  python3 bench/measure.py vault --rates "$out/vault-rates.json" --ours "$out/ours"
fi
# The review page on a full day: a synthetic day (10,000 steps, 1,000 frames, one encrypted
# vault) served in process, its pages timed over HTTP against the issue's goal.
if [[ -x $bench_bin ]]; then
  echo
  echo "bench: the review page on a synthetic full day (10,000 steps, 1,000 frames), over HTTP"
  "$bench_bin" bench-review-page --scratch "$out" --keep >"$out/review-page.json" 2>"$out/review-page.log" ||
    echo "bench: understudy-bench bench-review-page failed, see $out/review-page.log" >&2
  python3 - "$out/review-page.json" <<'PY' || true
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
v, s = r["vault"], r["segment_page"]
print(f"  vault: {v['steps']:,} steps (and {v['waits']:,} waits), {v['distinct_frames']:,} frames, {v['segments_today']} segments today "
      f"(cut at {r['settings']['segment_seconds']} s), {v['events']:,} events, {v['bytes_on_disk'] / 1e6:.0f} MB; written in {r['build_seconds']:.0f} s")
print(f"  {'page':<38}{'median ms':<11}{'max ms':<9}{'bytes':<10}goal")
for p in r["pages"]:
    goal = f"< {p['goal_ms']:.0f} ms: {'met' if p['met'] else 'NOT met'}" if p.get("goal_ms") else ""
    print(f"  {p['page']:<38}{p['median_ms']:<11.1f}{p['max_ms']:<9.1f}{p['bytes']:<10,}{goal}".rstrip())
print(f"  mid-day segment's page: {s['steps']} steps, {s['lazy_images']} of {s['images']} screens loaded lazily, {s['inline_images']} inline; "
      f"goal (timeline and segment pages under 1 s): {'met' if r['goal_met'] else 'NOT met'}")
PY
fi
# Exports of that day: 10 steps to a frame, each frame distinct and 1920x1080 (--keep left it,
# with its key, in the folder the log names).
day=$(sed -n 's/^bench-review-page: kept //p' "$out/review-page.log" 2>/dev/null | tail -1)
if [[ -x $bin && -n $day && -d $day/vault ]]; then
  echo
  echo "bench: exports of the synthetic day (10,000 steps, 1,000 distinct frames), once per format"
  XDG_CONFIG_HOME=$day/config XDG_DATA_HOME=$day/data python3 bench/exports/throughput.py --bin "$bin" --vault "$day/vault" \
    --formats jsonl,webdataset --runs 1 --json-out "$out/exports-day.json" || echo "bench: exports of the day failed" >&2
  rm -rf "$day"
fi
if [[ -x $bin ]]; then
  echo
  echo "bench: redaction quality on the labelled set (bench/redaction), Understudy against Presidio"
  python3 bench/redaction/make_dataset.py "$out/redaction.jsonl" >/dev/null
  "$venv_py" bench/redaction/evaluate.py --dataset "$out/redaction.jsonl" --understudy "$bin" --presidio \
    --json-out "$out/redaction.json" || echo "bench: redaction evaluation failed" >&2
  echo
  echo "bench: people in the data (bench/redaction/people.py): other people's names and the contributor's own identifiers, per genre"
  python3 bench/redaction/people.py make "$out/people.jsonl"
  python3 bench/redaction/people.py evaluate --dataset "$out/people.jsonl" --understudy "$bin" --json-out "$out/people.json" \
    || echo "bench: people evaluation failed" >&2
  # Recognizer throughput: the set's 1500 documents, 20 times over, through one `understudy redact --jsonl`
  # (documents are short, like a typed line or an OCR line: the cost per document is what matters).
  python3 - "$out/redaction.jsonl" "$out/redaction-docs.jsonl" <<'PY'
import json, sys
docs = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for _ in range(20):
        for d in docs:
            f.write(json.dumps({"text": d}) + "\n")
PY
  t0=$(date +%s%N)
  "$bin" redact --jsonl <"$out/redaction-docs.jsonl" >/dev/null
  t1=$(date +%s%N)
  python3 - "$out/redaction-docs.jsonl" "$t0" "$t1" <<'PY'
import json, sys
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8")]
mb = sum(len(t.encode()) for t in texts) / 1e6
s = (int(sys.argv[3]) - int(sys.argv[2])) / 1e9
print(f"  recognizer throughput: {len(texts)} documents, {mb:.1f} MB of text in {s:.2f} s = {mb / s:.2f} MB/s, {len(texts) / s:.0f} documents/s")
PY
fi
if [[ -x $bin && -d $out/ours/store ]]; then
  echo
  echo "bench: OCR per stored frame of the standard workload: the recorder reading what changed, against whole frames"
  "$bench_bin" ocr --vault "$out/ours/store" --frames 12 >"$out/ocr.json" || echo "bench: understudy-bench ocr failed" >&2
  python3 - "$out/ocr.json" "$out/ours/stats.json" <<'PY'
import json, sys
try:
    full = json.load(open(sys.argv[1]))
    pipeline = json.load(open(sys.argv[2]))["pipeline"]
except (OSError, ValueError, KeyError):
    sys.exit(0)
changed = pipeline["redact_ms"]["median"]
ratio = full["full_frame_ms_median"] / changed if changed else float("nan")
print(f"  recorder, changed regions: {changed:.0f} ms median over {pipeline['redact_ms']['count']} stored frames "
      f"({pipeline['read_share']['median'] * 100:.0f}% of the screen read, median); {pipeline['redaction_boxes']} boxes filled, "
      f"{pipeline['busy_skipped']} frames skipped while OCR was busy")
print(f"  whole frames: {full['full_frame_ms_median']:.0f} ms median over {full['frames']} of the same stored frames")
print(f"  whole/changed: {ratio:.1f}x (target >= 5x on typing): {'met' if ratio >= 5 else 'NOT met'}")
PY
  echo
  echo "bench: OCR per stored frame of a typing-only workload (15 lines typed into the xterm), changed against whole frames"
  (
    env=$(XSESSION_STATE=$out/typing-xsession.env bash scripts/xsession.sh start) || exit 1
    set -a; eval "$env"; set +a
    mkdir -p "$out/typing"
    python3 bench/frames/typing.py --bin "$bin" --bench-bin "$bench_bin" --out "$out/typing"
    XSESSION_STATE=$out/typing-xsession.env bash scripts/xsession.sh stop
  ) || echo "bench: typing workload failed, see $out/typing" >&2
  echo
  echo "bench: frame redaction quality: planted values in xterm at six font sizes, under the recorder"
  (
    env=$(XSESSION_STATE=$out/frames-xsession.env bash scripts/xsession.sh start) || exit 1
    set -a; eval "$env"; set +a
    mkdir -p "$out/frames"
    python3 bench/frames/quality.py --bin "$bin" --dataset "$out/redaction.jsonl" --out "$out/frames" \
      --json-out "$out/frames-quality.json" 2>>"$out/frames/quality.log"
    XSESSION_STATE=$out/frames-xsession.env bash scripts/xsession.sh stop
  ) || echo "bench: frame quality failed, see $out/frames" >&2
fi
if [[ -x $bin ]]; then
  echo
  echo "bench: frame redaction on synthetic screens (bench/frames/screens.py: six genres, three themes, 10-18 px, five fonts)"
  "$venv_py" bench/frames/screens.py make --out "$out/screens" >/dev/null &&
    "$venv_py" bench/frames/screens.py evaluate --bin "$bin" --dir "$out/screens" --json-out "$out/screens.json" \
      > >(grep -v '^\[[0-9]*/[0-9]*\]') ||
    echo "bench: the synthetic screens failed" >&2
fi
if [[ -x $bin && -d $out/ours/store ]]; then
  echo
  echo "bench: export throughput on the standard workload's recording (median of 3 runs per format)"
  python3 bench/exports/throughput.py --bin "$bin" --vault "$out/ours/store" --json-out "$out/exports.json" ||
    echo "bench: export throughput failed" >&2
fi
if [[ -x $bin && -d $out/ours/store ]]; then
  echo
  echo "bench: collector ingest: 1, 8 and 32 simulated devices uploading the standard workload's segments to understudy serve (embedded store)"
  "$bench_bin" ingest --vault "$out/ours/store" --scratch "$out" >"$out/ingest.json" 2>"$out/ingest.log" ||
    echo "bench: understudy-bench ingest failed, see $out/ingest.log" >&2
  # The standard workload's segments are 30% frames by bytes; the same again with segments
  # that are mostly frames (a synthetic recording: 10 frames a second of 256 KB of noise each).
  # (The frame-quality run consented to a policy of its own: back to the default first.)
  "$bin" consent accept --quiet >>"$out/ingest.log" 2>&1
  "$bin" record --vault "$out/ingest-frames" --for 2s --synthetic-events 1000 --synthetic-frames 10 \
    --synthetic-frame-bytes 262144 >>"$out/ingest.log" 2>&1 &&
    "$bench_bin" ingest --vault "$out/ingest-frames" --scratch "$out" --uploads 64 --staff-read-mb 0 \
      --label "a frame-heavy synthetic segment (10 frames a second, 256 KB each)" >"$out/ingest-frames.json" 2>>"$out/ingest.log" ||
    echo "bench: the frame-heavy ingest run failed, see $out/ingest.log" >&2
  python3 bench/measure.py ingest --result "$out/ingest.json" --result "$out/ingest-frames.json" || true
fi
if [[ -f $out/ours/stats.json && -f $out/ours-png/stats.json ]]; then
  python3 bench/measure.py codecs --png "$out/ours-png" --webp "$out/ours"
fi
if [[ -x $bin ]]; then
  echo
  echo "bench: reading the accessibility bus, off and on, on a browser workload (bench/accessibility.sh)"
  UNDERSTUDY=$bin bash bench/accessibility.sh || echo "bench: the accessibility bench failed, see $out/accessibility" >&2
fi

# The profile of the recorder on the workload: its top functions, by self time.
if [[ -f $out/ours-profile/perf.data ]]; then
  perf report -i "$out/ours-profile/perf.data" --stdio --no-children --sort dso,symbol \
    >"$out/ours-profile/report.txt" 2>"$out/ours-profile/report.log" || true
  echo
  echo "bench: where the recorder's CPU went on the workload (perf, self time, top 10)"
  python3 bench/measure.py profile --report "$out/ours-profile/report.txt" --top 10
fi
echo
echo "bench: the recorder's cost, one row per goal (ours against the baseline of this run)"
python3 bench/measure.py goals --out "$out"
