#!/usr/bin/env python3
"""Write the bench workload: OUTDIR/workload.xdo (one `xdotool` script, ~30 s)
and OUTDIR/sent.json (exact number of input events it sends, per kind).

Deterministic (fixed seed). Assumes the scripts/xsession.sh layout: the xterm
client area is 604x394 at +41+60 and the pointer starts at the
screen centre. Counting rules, as X reports XTEST input:
  - a `mousemove` to a new position is one pointer.move (we never repeat one),
  - `click 1`/`mousedown 1`/`mouseup 1` are one pointer.down / pointer.up,
  - `click 4..7` is one scroll (wheel buttons are not pointer.down/up),
  - `type` of lowercase letters and spaces is one key.down + key.up per char,
  - `key ctrl+shift+a` presses and releases 3 keys, `key a` one.
Usage: workload.py OUTDIR
"""
import json
import math
import os
import random
import sys

ROUNDS = 10
PATH_MOVES = 130       # free pointer motion per round
CLICKS = 5             # left clicks into the xterm per round
CHARS = 50             # typed characters per round
DRAG_MOVES = 10        # moves while button 1 is held, per drag
SCROLL_BUTTONS = (4, 5, 6, 7)  # one notch each per round
XTERM = (60, 120, 620, 450)    # x0, y0, x1, y1 of click/drag targets
HOTKEY, HOTKEY_KEYS = "ctrl+shift+a", 3
BURST_MOVES = 800      # pointer moves of the final burst (with 200 keys pressed and released)


def main(outdir):
    rnd = random.Random(20240611)
    lines = []
    sent = dict.fromkeys(["pointer.move", "pointer.down", "pointer.up",
                          "scroll", "key.down", "key.up"], 0)
    pos = (960, 540)  # Xvfb puts the pointer at the screen centre

    def move(x, y):
        nonlocal pos
        x, y = int(x), int(y)
        if (x, y) == pos:  # never repeat a position, so every move is an event
            x += 1
        lines.append(f"mousemove {x} {y}")
        sent["pointer.move"] += 1
        pos = (x, y)

    def in_xterm():
        x0, y0, x1, y1 = XTERM
        return rnd.randint(x0, x1), rnd.randint(y0, y1)

    def button(action, b):
        lines.append(f"{action} {b}")
        if b in SCROLL_BUTTONS:
            sent["scroll"] += 1 if action == "click" else 0
        else:
            if action in ("click", "mousedown"):
                sent["pointer.down"] += 1
            if action in ("click", "mouseup"):
                sent["pointer.up"] += 1

    def keys(n):
        sent["key.down"] += n
        sent["key.up"] += n

    step = 0
    for _ in range(ROUNDS):
        # Continuous motion along a Lissajous curve over the whole screen.
        for _ in range(PATH_MOVES):
            t = step * 0.013
            step += 1
            move(960 + 850 * math.sin(3 * t), 540 + 480 * math.sin(2 * t + 0.5))
            lines.append("sleep 0.006")
        for _ in range(CLICKS):
            move(*in_xterm())
            button("click", 1)
            lines.append("sleep 0.08")
        text = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz      ") for _ in range(CHARS))
        lines.append(f'type --delay 15 "{text}"')
        keys(len(text))
        lines.append("key Return")
        keys(1)
        lines.append(f"key {HOTKEY}")
        keys(HOTKEY_KEYS)
        lines.append("sleep 0.1")
        # Drag-select inside the xterm.
        x0, y0, _, y1 = XTERM
        move(rnd.randint(x0, x0 + 200), rnd.randint(y0 + 20, y1 - 20))
        button("mousedown", 1)
        for _ in range(DRAG_MOVES):  # always rightwards: every step is a new position
            move(pos[0] + rnd.randint(5, 25), pos[1] + rnd.randint(-2, 2))
            lines.append("sleep 0.02")
        button("mouseup", 1)
        for b in SCROLL_BUTTONS:
            button("click", b)
            lines.append("sleep 0.05")

    # A burst: BURST_MOVES moves with a key every fourth, no pauses (over 1,000 events a
    # second under xdotool), which every event must survive.
    for i in range(BURST_MOVES):
        move(60 + (i * 7) % 1700, 80 + (i * 13) % 900)
        if i % 4 == 0:
            lines.append("key a")
            keys(1)

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "workload.xdo"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(outdir, "sent.json"), "w") as f:
        json.dump(sent, f, indent=1)
    print(json.dumps(sent))


if __name__ == "__main__":
    main(sys.argv[1])
