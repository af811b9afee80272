#!/usr/bin/env python3
"""Frame redaction quality, measured on the real recorder.

Lines of the labelled redaction set (bench/redaction) are shown in an xterm at common UI
font sizes, on the private X session of $DISPLAY, while `understudy record` runs with the
built-in policy. The newest stored frame of each screen is read back from the vault and,
since the terminal is a grid of known cells, each planted value's box is known exactly:

- box recall: the share of planted values fully covered (no glyph pixel of the value left;
  glyphs are drawn in #202020 on white, the fill is pure black, so they cannot be confused);
- readable share: the share of the other words (3+ letters or digits) with no filled pixel.

Prints one line per font and a JSON summary to --json-out.
"""
import argparse
import json
import os
import random
import re
import subprocess
import time

import recording

COLS, ROWS = 100, 23
BORDER = 2  # xterm's internal border
FONTS = [
    ("xterm 6x13", ["-fn", "6x13"]),
    ("xterm 7x14", ["-fn", "7x14"]),
    ("xterm 9x15", ["-fn", "9x15"]),
    ("xterm 10x20", ["-fn", "10x20"]),
    ("DejaVu Sans Mono 9pt", ["-fa", "DejaVu Sans Mono", "-fs", "9"]),
    ("DejaVu Sans Mono 12pt", ["-fa", "DejaVu Sans Mono", "-fs", "12"]),
]
WHITE, FILL = (255, 255, 255), (0, 0, 0)
SCREENS_PER_FONT = 2


def screens(dataset, count, seed):
    """`count` screens of ROWS single-line ASCII documents each: two thirds with planted values."""
    docs = [json.loads(line) for line in open(dataset, encoding="utf-8")]
    usable = [d for d in docs if "\n" not in d["text"] and "\t" not in d["text"] and len(d["text"]) < COLS and d["text"].isascii()]
    planted = [d for d in usable if d["spans"]]
    clean = [d for d in usable if not d["spans"]]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        lines = rng.sample(planted, ROWS * 2 // 3) + rng.sample(clean, ROWS - ROWS * 2 // 3)
        rng.shuffle(lines)
        out.append(lines)
    return out


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    parts = data.split(b"\n", 3)
    width, height = map(int, parts[1].split())
    return width, height, parts[3]


def window_geometry(display_env, window):
    info = subprocess.run(["xwininfo", "-id", window], env=display_env, capture_output=True, text=True, check=True).stdout
    value = lambda label: int(re.search(label + r":\s+(-?\d+)", info).group(1))
    return value("Absolute upper-left X"), value("Absolute upper-left Y"), value("Width"), value("Height")


def measure(image, geometry, lines):
    width, _, pixels = image
    x0, y0, w, h = geometry
    cw, ch = (w - 2 * BORDER) / COLS, (h - 2 * BORDER) / (ROWS + 1)

    def box_pixels(row, start, end):
        # One pixel in from the cell edges: a neighbour's anti-aliased edge may reach across.
        left, right = round(x0 + BORDER + start * cw) + 1, round(x0 + BORDER + end * cw) - 1
        top, bottom = round(y0 + BORDER + row * ch), round(y0 + BORDER + (row + 1) * ch)
        for y in range(top, bottom):
            for x in range(left, right):
                i = (y * width + x) * 3
                yield tuple(pixels[i:i + 3])

    per_kind, words, readable, not_shown = {}, 0, 0, 0
    for row, doc in enumerate(lines):
        for span in doc["spans"]:
            seen = [p for p in box_pixels(row, span["start"], span["end"]) if p != WHITE]
            if not seen:
                not_shown += 1
                continue
            covered = all(p == FILL for p in seen)
            kind = per_kind.setdefault(span["what"], [0, 0])
            kind[0] += covered
            kind[1] += 1
        taken = [(s["start"], s["end"]) for s in doc["spans"]]
        for m in re.finditer(r"[A-Za-z0-9]{3,}", doc["text"]):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            words += 1
            readable += all(p != FILL for p in box_pixels(row, m.start(), m.end()))
    return per_kind, words, readable, not_shown


def tune(args, stored, frame, geometry):
    """Redacts the `stored` frame into `frame` with redact-image over the window; returns what OCR read."""
    x0, y0, w, h = geometry
    out = subprocess.run([args.bin, "redact-image", stored, frame, "--json", "--region", f"{x0},{y0},{w},{h}", *args.tune.split()],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def print_misses(frame, geometry, lines, read):
    image = read_ppm(frame)
    for row, doc in enumerate(lines):
        for span in doc["spans"]:
            single = {"text": doc["text"], "spans": [span]}
            kinds, _, _, _ = measure(image, geometry, [{"text": "", "spans": []}] * row + [single])
            if any(v[0] < v[1] for v in kinds.values()):
                value = doc["text"][span["start"]:span["end"]]
                near = [l for l in read.get("lines", []) if value[:4] in l or value[-4:] in l]
                print(f"    missed {span['what']}: {value!r}  OCR read: {near}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--out", required=True, help="a scratch folder for the vault, screens and frames")
    ap.add_argument("--json-out")
    ap.add_argument("--tune", nargs="?", const="", metavar="ARGS",
                    help="store frames unredacted, then run `redact-image --region` (with these extra arguments in one string, e.g. "
                         "--scale 3) on each, printing what OCR read on the lines of missed values: for tuning OCR")
    args = ap.parse_args()
    env = dict(os.environ)
    vault = os.path.join(args.out, "store")
    # Every recognizer on (the built-in policy leaves `custom`, IP addresses, off).
    policy = os.path.join(args.out, "all-recognizers.yaml")
    with open(policy, "w") as f:
        f.write("understudy-policy: 1\nname: frame-quality-bench\nversion: 1\norganisation: the bench\naudience: nobody\n"
                "contact: bench@example.com\nredaction: "
                + ("[]" if args.tune is not None else "[email, phone, credit_card, iban, ssn, secret, password, custom]") + "\n")
    subprocess.run([args.bin, "consent", "accept", "--quiet", "--unsigned-policy", "--policy", policy], env=env, check=True, stdout=subprocess.DEVNULL)
    recorder = recording.start(args.bin, vault, ["--policy", policy, "--unsigned-policy", "--frame-period", "60s"], env,
                               os.path.join(args.out, "recorder.log"))
    try:
        results = []
        for (name, font), lines in zip(FONTS * SCREENS_PER_FONT, screens(args.dataset, len(FONTS) * SCREENS_PER_FONT, seed=7)):
            text = os.path.join(args.out, "screen.txt")
            with open(text, "w") as f:
                f.write("\n".join(d["text"] for d in lines) + "\n")
            cls = "FrameQuality" + str(len(results))
            term = subprocess.Popen(["xterm", "-class", cls, *font, "-geometry", f"{COLS}x{ROWS + 1}+0+0", "-bg", "white",
                                     "-fg", "#202020", "-cr", "#202020", "-e", "sh", "-c", f"cat {text}; exec sleep 600"], env=env)
            window = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--class", cls], env=env,
                                    capture_output=True, text=True, check=True).stdout.split()[0]
            time.sleep(5)  # focus settle, OCR of the whole window, the vault's next flush
            frame = os.path.join(args.out, f"frame{len(results)}.ppm")
            stored = frame[:-4] + ".png" if args.tune is not None else frame
            subprocess.run([args.bin, "vault", "frame", "--vault", vault, "--out", stored], env=env, check=True, stdout=subprocess.DEVNULL)
            geometry = window_geometry(env, window)
            read = {}
            if args.tune is not None:
                read = tune(args, stored, frame, geometry)
            per_kind, words, readable, not_shown = measure(read_ppm(frame), geometry, lines)
            if args.tune is not None:
                print_misses(frame, geometry, lines, read)
            term.kill()
            term.wait()
            covered = sum(k[0] for k in per_kind.values())
            total = sum(k[1] for k in per_kind.values())
            results.append({"font": name, "covered": covered, "planted": total, "words": words, "readable": readable,
                            "not_shown": not_shown, "per_kind": per_kind})
            time.sleep(1)
    finally:
        recorder.send_signal(2)
        recorder.wait(timeout=60)
    for name, _ in FONTS:
        mine = [r for r in results if r["font"] == name]
        per_kind = {}
        for r in mine:
            for k, (c, t) in r["per_kind"].items():
                per_kind[k] = [per_kind.get(k, [0, 0])[0] + c, per_kind.get(k, [0, 0])[1] + t]
        covered, total = sum(r["covered"] for r in mine), sum(r["planted"] for r in mine)
        readable, words = sum(r["readable"] for r in mine), sum(r["words"] for r in mine)
        missed = ", ".join(f"{k} {v[1] - v[0]}" for k, v in sorted(per_kind.items()) if v[0] < v[1]) or "none"
        print(f"  {name:24} box recall {covered}/{total} = {covered / max(1, total):6.1%}   readable words "
              f"{readable}/{words} = {readable / max(1, words):6.1%}   missed: {missed}")
    covered = sum(r["covered"] for r in results)
    planted = sum(r["planted"] for r in results)
    words = sum(r["words"] for r in results)
    readable = sum(r["readable"] for r in results)
    recall = covered / max(1, planted)
    print(f"  {'all fonts':24} box recall {covered}/{planted} = {recall:6.1%} (target >= 95%: {'met' if recall >= 0.95 else 'NOT met'})"
          f"   readable words {readable}/{words} = {readable / max(1, words):6.1%}")
    if args.json_out:
        json.dump({"fonts": results, "box_recall": recall, "readable_share": readable / max(1, words)}, open(args.json_out, "w"), indent=1)


if __name__ == "__main__":
    main()
