#!/usr/bin/env bash
# The libFuzzer targets of Fuzz/ (segment bundles, policy YAML, frame layouts, event lines,
# control-socket lines): builds them with the fuzzer and address sanitizers, then runs each for
# SECONDS (default 20) on a copy of its committed corpus in Fuzz/Corpus, so a run leaves the
# tree as it was. Prints each target's executions and coverage (cov: and ft: of libFuzzer's
# last stats line) and fails on any crash (a trap, a sanitizer report), timeout or out of memory, naming
# the input that caused it (kept under Fuzz/.build/artifacts).
#
#   scripts/fuzz.sh [--merge] [SECONDS] [TARGET...]
#
# --merge adds to Fuzz/Corpus/TARGET the inputs of the run that reach new edges (libFuzzer's
# -merge=1), for committing. FUZZ_LOG_DIR, when set, keeps each run's full log there.
set -euo pipefail
cd "$(dirname "$0")/.."
merge=0
if [[ ${1:-} == --merge ]]; then
  merge=1
  shift
fi
seconds=${1:-20}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(FuzzBundle FuzzPolicy FuzzFrame FuzzEvent FuzzControl)

# SwiftPM names a package by its folder, and Fuzz/ is "fuzz": a checkout in a folder of that
# name would collide with it.
if [[ $(basename "$PWD" | tr '[:upper:]' '[:lower:]') == fuzz ]]; then
  echo "fuzz: the checkout's folder must not be named fuzz (SwiftPM would take it for Fuzz/)" >&2
  exit 2
fi

# `--sanitize fuzzer` makes SwiftPM compile the targets as libraries and leave out its own main,
# so libFuzzer's is linked. The sanitizers themselves come in one -sanitize= flag: swiftc takes
# only the last one given, and SwiftPM's `--sanitize fuzzer --sanitize address` orders its two
# anew each run (a build with coverage, or with ASan, by chance, rebuilt each time).
build=(swift build --package-path Fuzz -c debug --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address)
echo "== building Fuzz/ (debug, fuzzer and address sanitizers)"
"${build[@]}" 2>&1 | grep -v "Cannot export local symbol" | tail -n 3
bin=$("${build[@]}" --show-bin-path)

# Swift's own crash reporter would symbolicate for half a minute before libFuzzer saw the
# crash. Leak checks are off: Swift keeps some globals' pointers tagged, which LeakSanitizer
# cannot see through, so it reports those globals as leaks at exit.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=detect_leaks=0:${ASAN_OPTIONS:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
printf '%-12s %8s %10s %8s %8s  %s\n' target seconds execs cov ft result
for target in "${targets[@]}"; do
  corpus=$work/$target
  artifacts=Fuzz/.build/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  cp Fuzz/Corpus/"$target"/* "$corpus"/
  dict=()
  [[ -f Fuzz/Dictionaries/$target.dict ]] && dict=(-dict=Fuzz/Dictionaries/"$target".dict)
  log=$work/$target.log
  started=$SECONDS
  rc=0
  "$bin/$target" "$corpus" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || rc=$?
  elapsed=$((SECONDS - started))
  [[ -n ${FUZZ_LOG_DIR:-} ]] && mkdir -p "$FUZZ_LOG_DIR" && cp "$log" "$FUZZ_LOG_DIR/$target.log"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
  if ((rc != 0)) || [[ -n $crash ]]; then
    status=1
    printf '%-12s %8s %10s %8s %8s  %s\n' "$target" "$elapsed" "${execs:-?}" "${cov:-?}" "${ft:-?}" "FAILED (exit $rc)"
    grep -E -m 5 'ERROR|Fatal error|Precondition failed|panic|SUMMARY' "$log" | sed 's/^/    /' || true
    echo "    input: ${crash:-none written; log below}"
    [[ -n $crash ]] || tail -n 20 "$log" | sed 's/^/    /'
    continue
  fi
  printf '%-12s %8s %10s %8s %8s  %s\n' "$target" "$elapsed" "$execs" "$cov" "$ft" ok
  if ((merge)); then
    # Edges only, not hit counts: counts would keep hundreds of near-copies.
    "$bin/$target" -merge=1 -use_counters=0 Fuzz/Corpus/"$target" "$corpus" -rss_limit_mb=2048 -timeout=10 >"$work/$target.merge.log" 2>&1
    echo "    merged: $(grep -E -o '[0-9]+ new files with [0-9]+ new features added; [0-9]+ new coverage edges' "$work/$target.merge.log" || echo 'nothing new')"
  fi
done
exit "$status"
