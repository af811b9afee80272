#!/usr/bin/env bash
# make demo: build the recorder, record a scripted ~30 s session
# (scripts/demo-workload.xdo) on a private X server, then summarise the vault.
# UNDERSTUDY=/path/to/binary skips the build and uses that binary.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || PATH=/opt/swift/usr/bin:$PATH
out=.build-demo
vault=$out/vault
export XSESSION_STATE=$PWD/$out/xsession.env
# The demo vault's key lives beside it in the demo folder (never inside the vault itself);
# a real vault's key is in ~/.config/understudy/keys.
export XDG_CONFIG_HOME=$PWD/$out/config
rec_pid=""

stop_recorder() {
  [[ -n $rec_pid ]] || return 0
  kill -INT "$rec_pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$rec_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$rec_pid" 2>/dev/null || true
  wait "$rec_pid" || echo "demo: recorder exited with status $?" >&2
  rec_pid=""
}
cleanup() { stop_recorder; bash scripts/xsession.sh stop; }
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/setup.sh
if [[ -z ${UNDERSTUDY:-} ]]; then
  swift build -c release --product understudy
  UNDERSTUDY=.build/release/understudy
fi
bin=$UNDERSTUDY
rm -rf "$vault" "$XDG_CONFIG_HOME"
mkdir -p "$out"

echo "== consent: the contributor reads what the policy captures and accepts it"
"$bin" consent accept | sed -n '1,12p'
echo "   …"
set -a; eval "$(bash scripts/xsession.sh start)"; set +a
echo "demo: X session on $DISPLAY"
# Background jobs of a script get SIGINT ignored, and that would be inherited;
# `trap - INT` in the subshell restores it so SIGINT can stop the recorder.
(trap - INT; exec "$bin" record --display "$DISPLAY" --vault "$vault" --for 60s) &
rec_pid=$!

for i in $(seq 150); do  # up to 30 s
  "$bin" status --vault "$vault" --json 2>/dev/null | grep -q '"state" *: *"recording"' && break
  kill -0 "$rec_pid" 2>/dev/null || { echo "demo: recorder died" >&2; exit 1; }
  ((i < 150)) || { echo "demo: recorder not recording after 30 s" >&2; exit 1; }
  sleep 0.2
done

echo "demo: playing scripted session (~30 s)"
xdotool - <scripts/demo-workload.xdo >/dev/null  # stdout: ids printed by `search`
stop_recorder

echo
echo "== understudy status"
"$bin" status --vault "$vault"
echo
echo "vault: $PWD/$vault ($(du -sh "$vault" | cut -f1))"
echo
echo "== first 15 events (understudy log)"
{ "$bin" log --vault "$vault" || true; } | head -n 15
echo
echo "== segments (understudy vault segments): the unit you review and forget"
"$bin" vault segments --vault "$vault"
echo
echo "== understudy vault check"
"$bin" vault check --vault "$vault"
echo
echo "key: $(ls "$XDG_CONFIG_HOME"/understudy/keys/*.key) (the vault is unreadable without it)"
