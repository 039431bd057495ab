#!/usr/bin/env bash
# Runs every fuzz target (fuzz/, docs/fuzzing.md) with libFuzzer, ASan and UBSan (preset `fuzz`,
# clang 16), one after the other, each from its seeds in fuzz/corpus/<target> plus what earlier
# runs found (build/fuzz/fuzz/corpus/<target>), and prints one line per target: executions,
# executions per second, coverage, corpus size, and whether it crashed (the input that did is
# kept as build/fuzz/fuzz/crash-*; reproduce with build/fuzz/fuzz/fuzz_<target> FILE).
#   scripts/fuzz.sh                    10 s per target
#   scripts/fuzz.sh --seconds 60       a time per target
#   scripts/fuzz.sh --runs 10000000    a number of executions per target (no time limit)
#   scripts/fuzz.sh --only http        one target (envelope, car_config, backend_rules, classify_batch, http)
# Exits non-zero when a target crashed, leaked or failed a check. Installs clang's runtime when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=10 runs="" only=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds=$2; shift ;;
    --runs) runs=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "scripts/fuzz.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

if ! scripts/install-deps.sh --check; then scripts/install-deps.sh; fi
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"

dir=build/fuzz/fuzz
targets=(envelope car_config backend_rules classify_batch http)
if [[ -n "$only" ]]; then targets=("$only"); fi
limit=(-max_total_time="$seconds")
if [[ -n "$runs" ]]; then limit=(-runs="$runs"); fi
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

status=0
printf '%-15s %12s %9s %7s %7s %6s %8s  %s\n' target executions exec/s cov ft corpus rss_mb result
for t in "${targets[@]}"; do
  work="$dir/corpus/$t"
  mkdir -p "$work"
  log="$dir/fuzz_$t.log"
  start=$SECONDS
  if "$dir/fuzz_$t" "${limit[@]}" -print_final_stats=1 -artifact_prefix="$dir/" "$work" "fuzz/corpus/$t" >"$log" 2>&1; then
    result=ok
  else
    result="FAILED (see $log)"
    status=1
  fi
  stat() { grep -m1 "^stat::$1:" "$log" | awk '{print $2}'; }
  last=$(grep -E '#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(sed -nE 's/.*cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.*ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.*corp: ([0-9]+).*/\1/p' <<<"$last")
  printf '%-15s %12s %9s %7s %7s %6s %8s  %s (%d s)\n' "$t" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${cov:--}" "${ft:--}" "${corp:--}" "$(stat peak_rss_mb)" "$result" $((SECONDS - start))
done
exit $status
