# Sourced by the demo and the accessibility bench: what a desktop session has and their
# private X server lacks (a session bus and the accessibility bus), the demo pages served on
# loopback, and Chromium on them. Every process started goes into browser_pids, each in a
# process group of its own, so browser_session_stop stops it whole.
browser_pids=()

# Starts the buses (exports DBUS_SESSION_BUS_ADDRESS) and serves scripts/demo-site on a
# free loopback port (sets browser_site_port).
browser_session_start() {
  local bus
  bus=$(setsid dbus-daemon --session --fork --print-address=1 --print-pid=1)
  export DBUS_SESSION_BUS_ADDRESS=$(sed -n 1p <<<"$bus")
  browser_pids+=("$(sed -n 2p <<<"$bus")")
  setsid /usr/libexec/at-spi-bus-launcher --launch-immediately >/dev/null 2>&1 &
  browser_pids+=($!); disown
  browser_site_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  setsid python3 -m http.server --bind 127.0.0.1 --directory scripts/demo-site "$browser_site_port" >/dev/null 2>&1 &
  browser_pids+=($!); disown
}

# browser_chromium_start PROFILE URL on|off: Chromium at 0,0 (1200x800) on URL, with
# accessibility on or as it starts by default; *.example resolves to loopback inside it only.
# Waits until the page had time to load and reach the bus; sets browser_window (its X id)
# and browser_client_x, browser_client_y (its client area's top left).
browser_chromium_start() {
  local flags=() environment=()
  [[ $EUID == 0 ]] && flags+=(--no-sandbox)  # Chromium will not run as root with its sandbox
  [[ $3 == on ]] && flags+=(--force-renderer-accessibility) && environment=(ACCESSIBILITY_ENABLED=1)
  env "${environment[@]}" setsid chromium "${flags[@]}" --user-data-dir="$1" --no-first-run --no-default-browser-check \
    --disable-gpu --password-store=basic --host-resolver-rules="MAP *.example 127.0.0.1" \
    --window-position=0,0 --window-size=1200,800 "$2" >/dev/null 2>&1 &
  browser_pids+=($!); disown
  for _ in $(seq 100); do xdotool search --onlyvisible --class Chromium >/dev/null 2>&1 && break; sleep 0.2; done
  sleep 5
  browser_window=$(xdotool search --onlyvisible --class Chromium | head -1)
  read -r browser_client_x browser_client_y < <(xwininfo -id "$browser_window" |
    awk '/Absolute upper-left X/ {x=$NF} /Absolute upper-left Y/ {y=$NF} END {print x, y}')
}

browser_session_stop() {
  local p
  for p in "${browser_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
  browser_pids=()
}
