#!/usr/bin/env bash
# Private X session for the demo and the bench: Xvfb + openbox + xterm + xcalc.
#   eval "$(scripts/xsession.sh start)"   -> sets DISPLAY and XSESSION_PIDS
#   scripts/xsession.sh stop              -> kills exactly those pids
# State goes to $XSESSION_STATE (default .build-demo/xsession.env); give each
# parallel session its own state file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
state="${XSESSION_STATE:-$root/.build-demo/xsession.env}"

start() {
  mkdir -p "$(dirname "$state")"
  local log="${state%.env}.log" dfile pids=()
  dfile="$(mktemp)"
  : >"$log"
  # -displayfd: Xvfb picks a free display itself (safe in parallel, it uses the
  # /tmp/.X*-lock files) and writes its number once it accepts connections.
  # Children log to a file: a child holding our stdout would hang `$(...)`.
  Xvfb -displayfd 3 -screen 0 1920x1080x24 -nolisten tcp -s 0 3>"$dfile" >>"$log" 2>&1 &
  pids+=($!)
  local n=""
  for _ in $(seq 100); do
    n="$(tr -dc 0-9 <"$dfile")"
    [[ -n $n ]] && break
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.1
  done
  rm -f "$dfile"
  if [[ -z $n ]]; then
    echo "xsession: Xvfb did not start, see $log" >&2
    kill "${pids[@]}" 2>/dev/null || true
    exit 1
  fi
  export DISPLAY=":$n"
  # Write state now so `stop` can clean up even if a later step fails.
  save() { printf 'DISPLAY=%s\nXSESSION_PIDS="%s"\n' "$DISPLAY" "${pids[*]}" >"$state"; }
  save
  openbox >>"$log" 2>&1 & pids+=($!); save
  xterm -class UnderstudyTerm -geometry 100x30+40+40 -e cat >>"$log" 2>&1 & pids+=($!); save
  xcalc -geometry +1100+100 >>"$log" 2>&1 & pids+=($!); save
  # --sync blocks until a matching window is mapped; timeout keeps a broken
  # session from hanging us forever.
  for cls in UnderstudyTerm XCalc; do
    if ! timeout 20 xdotool search --sync --onlyvisible --class "$cls" >/dev/null; then
      echo "xsession: window $cls never appeared, see $log" >&2
      stop; exit 1
    fi
  done
  cat "$state"
}

stop() {
  [[ -f $state ]] || return 0
  local XSESSION_PIDS="" pids p
  # shellcheck disable=SC1090
  source "$state"
  read -ra pids <<<"$XSESSION_PIDS"
  # Apps first, Xvfb last, so clients don't spam errors about a lost display.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -f "$state"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
