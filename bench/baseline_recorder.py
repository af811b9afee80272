#!/usr/bin/env python3
"""Baseline recorder for the bench: the way people record today.

pynput listeners (Xlib RECORD on Linux) write every input event to SQLite,
one INSERT each, committing every 100; mss grabs the full screen on each
click and every second and saves it as PNG. SIGINT flushes, writes a stats
JSON shaped like `understudy record --stats`, and exits 0.
Usage: baseline_recorder.py --db PATH --frames DIR --stats PATH [--ready PATH]
DISPLAY comes from the environment.
"""
import argparse
import json
import os
import queue
import signal
import sqlite3
import statistics
import time

import mss
import mss.tools
from pynput import keyboard, mouse

SHOT_EVERY_S = 1.0
COMMIT_EVERY = 100


def summary(ms):
    if not ms:
        return None
    ms = sorted(ms)
    return {"median": statistics.median(ms), "p95": ms[min(len(ms) - 1, int(0.95 * len(ms)))]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--frames", required=True)
    ap.add_argument("--stats", required=True)
    ap.add_argument("--ready", help="file to create once the listeners run")
    args = ap.parse_args()

    os.makedirs(args.frames, exist_ok=True)
    db = sqlite3.connect(args.db)
    db.execute("CREATE TABLE IF NOT EXISTS events"
               " (t REAL, kind TEXT, x INT, y INT, detail TEXT)")

    # Listener callbacks run on pynput's threads; the main thread owns SQLite
    # and mss, so callbacks only enqueue. A "shot" item asks for a screenshot.
    q = queue.Queue()
    put = lambda kind, x=None, y=None, detail=None: q.put((time.time(), kind, x, y, detail))

    def on_click(x, y, button, pressed):
        put("pointer.down" if pressed else "pointer.up", x, y, button.name)
        if pressed:
            q.put("shot")

    ms_listener = mouse.Listener(
        on_move=lambda x, y: put("pointer.move", x, y),
        on_click=on_click,
        on_scroll=lambda x, y, dx, dy: put("scroll", x, y, f"{dx},{dy}"))
    kb_listener = keyboard.Listener(
        on_press=lambda k: put("key.down", detail=str(k)),
        on_release=lambda k: put("key.up", detail=str(k)))

    stop = False

    def on_sigint(*_):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGINT, on_sigint)
    signal.signal(signal.SIGTERM, on_sigint)

    counts, grab_ms, encode_ms, sizes = {}, [], [], []
    pending = 0
    sct = mss.MSS()

    def shoot():
        t0 = time.perf_counter()
        img = sct.grab(sct.monitors[1])
        t1 = time.perf_counter()
        path = os.path.join(args.frames, f"{len(sizes):06d}.png")
        mss.tools.to_png(img.rgb, img.size, output=path)
        t2 = time.perf_counter()
        grab_ms.append((t1 - t0) * 1000)
        encode_ms.append((t2 - t1) * 1000)
        sizes.append(os.path.getsize(path))

    def handle(item):
        nonlocal pending
        if item == "shot":
            shoot()
            return
        db.execute("INSERT INTO events VALUES (?,?,?,?,?)", item)
        counts[item[1]] = counts.get(item[1], 0) + 1
        pending += 1
        if pending >= COMMIT_EVERY:
            db.commit()
            pending = 0

    ms_listener.start()
    kb_listener.start()
    ms_listener.wait()
    kb_listener.wait()
    if args.ready:
        open(args.ready, "w").close()

    next_shot = time.monotonic()
    while not stop:
        if time.monotonic() >= next_shot:
            shoot()
            next_shot += SHOT_EVERY_S
        try:
            handle(q.get(timeout=max(0.0, min(0.05, next_shot - time.monotonic()))))
        except queue.Empty:
            pass

    # Flush: stop listening, then drain what the listeners already queued.
    ms_listener.stop()
    kb_listener.stop()
    ms_listener.join(2)
    kb_listener.join(2)
    while True:
        try:
            handle(q.get_nowait())
        except queue.Empty:
            break
    db.commit()
    db.close()

    stats = {
        "events": counts,
        "frames_stored": len(sizes),
        "pipeline": {
            "grab_ms": summary(grab_ms),
            "diff_ms": None,  # the baseline stores every shot; nothing to diff
            "encode_ms": summary(encode_ms),
            "bytes_per_frame": int(statistics.mean(sizes)) if sizes else 0,
        },
    }
    with open(args.stats, "w") as f:
        json.dump(stats, f, indent=1)


if __name__ == "__main__":
    main()
