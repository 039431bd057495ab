#!/usr/bin/env bash
# Builds fb-bench and runs it. Not part of the test suite: it prints numbers, each beside a
# baseline measured in the same run (see bench/README.md).
#
#   bench/run.sh [--build-dir DIR] [fb-bench options...]     (options go to fb-bench as they are)
#
#   bench/run.sh                      # default sizes (N=300 round trips, M=20000 backlog, K=8 VINs)
#   bench/run.sh --quick              # a smoke run, about a minute on 2 cores
#   bench/run.sh --agent-only --quick # only phase B (the head-unit agent), about 15 s
#   bench/run.sh --build-dir build/bench --reports 1000 --backlog 50000
#   bench/run.sh --json bench.json    # also writes the summary's measures as JSON (bench/README.md)
#   bench/run.sh --classifier-only --json cls.json   # only classifier_per_core, no broker
#   bench/run.sh --app-only --json app.json   # only the app (the optimized build's fb-headunit)
#   bench/run.sh --scale-only --plots docs/bench --json scale.json  # phase S: TLS vs plain, two
#                                     # instances, the fleet and store curves, drawn as PNG files
#
# The build directory (default build/bench, the "bench" preset) is configured RelWithDebInfo
# with the Qt app when it does not exist yet; an existing one is built as it is configured (a
# build without the app skips phase C).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build_dir="$root/build/bench"
if [[ $# -ge 2 && "$1" == "--build-dir" ]]; then
  build_dir=$2
  shift 2
fi

# Quiet unless it fails: the benchmark's output is the point.
quietly() {
  local log
  if ! log=$("$@" 2>&1); then
    echo "$log" >&2
    echo "bench/run.sh: failed: $*" >&2
    exit 1
  fi
}

if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  if [[ "$build_dir" == "$root/build/bench" ]]; then
    quietly cmake --preset bench -S "$root"   # CMakePresets.json: RelWithDebInfo, the Qt app too
  else
    quietly cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DFB_BUILD_QT_APP=ON -DFB_BUILD_BENCH=ON
  fi
fi
# Phase C (the app) needs fb-headunit and the minimal window: only in a build with the Qt app.
# --app-only runs fb-app-bench (phase C alone: no backend to build).
program=fb-bench
[[ " $* " == *" --app-only "* ]] && program=fb-app-bench
targets=("$program")
if grep -q '^FB_BUILD_QT_APP:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  targets+=(fb-headunit fb-bench-min-window)
elif [[ "$program" == fb-app-bench ]]; then
  echo "bench/run.sh: --app-only needs a build with the Qt app, e.g. --build-dir build/dev" >&2
  exit 2
fi
quietly cmake --build "$build_dir" --target "${targets[@]}"

# --plots DIR: fb-bench writes the curves' CSV files there; bench/plot.sh draws them.
plots=""
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --plots) if ((i + 1 < ${#args[@]})); then plots=${args[i + 1]}; fi ;;
    --plots=*) plots=${args[i]#--plots=} ;;
  esac
done
"$build_dir/bench/$program" "$@"
if [[ -n "$plots" && ( -f "$plots/fleet.csv" || -f "$plots/store.csv" ) ]]; then "$here/plot.sh" "$plots"; fi
