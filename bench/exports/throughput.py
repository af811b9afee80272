#!/usr/bin/env python3
"""Export throughput on a recorded vault: each format exported three times (median), as
steps/s and MB/s, against a baseline measured in the same run: `tar` copying the jsonl
export's own files (the I/O an export cannot avoid)."""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

FORMATS = ["jsonl", "webdataset", "pyautogui", "html"]


def export(binary, vault, fmt, out):
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    done = subprocess.run([binary, "export", "--vault", vault, "--format", fmt, "--out", out, "--min-actions", "1", "--json"],
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"export --format {fmt} failed: {done.stderr.strip()}")
    return seconds, json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--vault", required=True)
    parser.add_argument("--json-out")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats to export")
    parser.add_argument("--runs", type=int, default=3, help="exports per format (the median is reported)")
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="understudy-export-bench-")
    results = {}
    try:
        for fmt in args.formats.split(","):
            runs = [export(args.bin, args.vault, fmt, os.path.join(scratch, fmt)) for _ in range(args.runs)]
            seconds = statistics.median(r[0] for r in runs)
            summary = runs[0][1]
            results[fmt] = {"seconds": seconds, "steps": summary["steps"], "frames": summary["frames"], "bytes": summary["bytes"]}
        # Baseline: copying the jsonl export's files into one tar, three times.
        copies = []
        for _ in range(args.runs):
            target = os.path.join(scratch, "copy.tar")
            started = time.perf_counter()
            subprocess.run(["tar", "cf", target, "-C", scratch, "jsonl"], check=True)
            copies.append(time.perf_counter() - started)
            os.remove(target)
        copy_seconds = statistics.median(copies)
        copy_mbs = results["jsonl"]["bytes"] / 1e6 / copy_seconds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"  {'format':<11} {'steps':>6} {'frames':>6} {'MB':>7} {'seconds':>8} {'steps/s':>8} {'MB/s':>7}  tar copy/ours")
    for fmt, r in results.items():
        mbs = r["bytes"] / 1e6 / r["seconds"]
        print(f"  {fmt:<11} {r['steps']:>6} {r['frames']:>6} {r['bytes'] / 1e6:>7.2f} {r['seconds']:>8.2f} "
              f"{r['steps'] / r['seconds']:>8.0f} {mbs:>7.1f}  {copy_mbs / mbs:>8.0f}x")
    print(f"  baseline: tar copying the jsonl export ({results['jsonl']['bytes'] / 1e6:.2f} MB) at {copy_mbs:.0f} MB/s")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"formats": results, "tar_copy_mb_per_s": copy_mbs}, f, indent=2)


if __name__ == "__main__":
    main()
