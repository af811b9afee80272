#!/usr/bin/env bash
# Makes Debian's Chromium start with its pages on the accessibility bus, so the recorder can
# read their URLs and password fields (a Chromium started without it is kept structure-only,
# as the policy's unknown-site says). Run as root once per machine; undo with --remove.
# Browsers already running must be restarted. Firefox needs nothing: it follows the session's
# accessibility status, which the recorder sets.
set -euo pipefail
file=/etc/chromium.d/understudy-accessibility
if [[ "${1:-}" == --remove ]]; then
    rm -f "$file"
    echo "Removed $file."
    exit 0
fi
[[ -d /etc/chromium.d ]] || { echo "no /etc/chromium.d: is Debian's chromium package installed?" >&2; exit 1; }
cat > "$file" <<'FLAGS'
# Written by Understudy's scripts/enable-browser-accessibility.sh: pages on the accessibility bus.
export CHROMIUM_FLAGS="$CHROMIUM_FLAGS --force-renderer-accessibility"
FLAGS
chmod 644 "$file"
echo "Wrote $file: Chromium started from now on exposes its pages. Restart running Chromium windows."
