#!/usr/bin/env python3
"""OCR cost per stored frame on a typing-only workload, under the real recorder.

On the private X session of $DISPLAY (scripts/xsession.sh: an xterm running `cat`, and
xcalc), `understudy record` runs with the built-in policy while 15 lines of prose are typed
into the xterm, each followed by Return and a second's pause (a frame is stored at each typing
pause). The recorder's own figure, OCR of what changed, comes from its --stats (`redact_ms`);
`understudy-bench ocr` then reads the same stored frames whole. Prints both and their ratio.
"""
import argparse
import json
import os
import subprocess
import time

import recording

LINE = "line {} of the notes: the meeting moved to thursday, bring the draft and the numbers"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--bench-bin", required=True, help="understudy-bench, which reads the stored frames whole")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    env = dict(os.environ)
    vault, stats = os.path.join(args.out, "store"), os.path.join(args.out, "stats.json")
    recorder = recording.start(args.bin, vault, ["--stats", stats], env, os.path.join(args.out, "recorder.log"))
    terminal = subprocess.run(["xdotool", "search", "--class", "UnderstudyTerm"], env=env, capture_output=True, text=True).stdout.split()[0]
    subprocess.run(["xdotool", "windowactivate", "--sync", terminal], env=env, check=True)
    for i in range(1, 16):
        subprocess.run(["xdotool", "type", "--delay", "40", LINE.format(i)], env=env, check=True)
        subprocess.run(["xdotool", "key", "Return"], env=env, check=True)
        time.sleep(1)
    time.sleep(2)
    recorder.send_signal(2)
    recorder.wait(timeout=60)
    full = json.loads(subprocess.run([args.bench_bin, "ocr", "--vault", vault, "--frames", "12"], env=env,
                                     capture_output=True, text=True, check=True).stdout)
    pipeline = json.load(open(stats))["pipeline"]
    changed = pipeline["redact_ms"]["median"]
    ratio = full["full_frame_ms_median"] / changed if changed else float("nan")
    print(f"  recorder, changed regions: {changed:.0f} ms median over {pipeline['redact_ms']['count']} stored frames "
          f"({pipeline['read_share']['median'] * 100:.1f}% of the screen read, median)")
    print(f"  whole frames: {full['full_frame_ms_median']:.0f} ms median over {full['frames']} of the same stored frames")
    print(f"  whole/changed: {ratio:.1f}x (target >= 5x on typing): {'met' if ratio >= 5 else 'NOT met'}")


if __name__ == "__main__":
    main()
