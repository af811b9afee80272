#!/usr/bin/env bash
# Install what Understudy needs on a fresh Debian 12 machine. Idempotent:
# apt runs only when a package is missing. It also makes the Python venv
# (.build-py) that tests and the demo load exports with; `setup.sh bench` also
# makes the one for the baseline recorder.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(xvfb xdotool x11-utils x11-xkb-utils x11-xserver-utils openbox xterm x11-apps trayer
      libx11-dev libxi-dev libxtst-dev libxext-dev libxfixes-dev libxdamage-dev
      libxrandr-dev libxkbcommon-dev libwebp-dev libpng-dev libsqlite3-dev zlib1g-dev
      tesseract-ocr tesseract-ocr-eng libtesseract-dev libleptonica-dev python3-venv openssl
      at-spi2-core libatspi2.0-dev libdbus-1-dev dbus-daemon libglib2.0-bin chromium chromium-driver firefox-esr python3-gi gir1.2-gtk-3.0 curl)
# pynput pulls in evdev, which pip builds from source (no wheel): needs a C
# compiler and the kernel input headers. The fonts are the synthetic screens'.
BENCH_PKGS=(python3-venv python3-dev gcc linux-libc-dev xfonts-base fonts-dejavu-core fonts-liberation)

want=("${PKGS[@]}")
[[ "${1:-}" == bench ]] && want+=("${BENCH_PKGS[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A venv with `requirements`, reinstalled only when they change (the stamp holds a copy).
venv() {
  local dir=$1 requirements=$2
  [[ -x $dir/bin/python ]] || python3 -m venv "$dir"
  if ! cmp -s "$requirements" "$dir/.requirements"; then
    echo "setup: installing $requirements into $dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$dir/.requirements"
  fi
}

venv .build-py scripts/python-requirements.txt
[[ "${1:-}" == bench ]] && venv .build-bench-venv bench/requirements.txt
exit 0
