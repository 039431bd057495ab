#!/usr/bin/env bash
# Builds and runs the whole test suite: the dev preset (everything, Qt app included), the asan
# preset (AddressSanitizer + UBSan) and the tsan preset (ThreadSanitizer; suppressions for
# uninstrumented third-party libraries only, in tests/tsan.supp), both without the Qt app.
# Dependencies: installed by scripts/install-deps.sh when missing. Static checks are separate: scripts/lint.sh.
#   scripts/test.sh              the three presets
#   scripts/test.sh dev          one preset (or several: scripts/test.sh dev tsan)
#   scripts/test.sh aarch64      the head unit cross-built for aarch64, its tests under qemu-user,
#                                then its arm64 .deb packages in build/aarch64/packages (docs/cross-build.md)
# FB_TEST_QUICK=1 leaves out the real-broker integration tests (label "slow"): each preset's
# "<preset>-quick" test preset. Extra ctest arguments for every preset: FB_CTEST_ARGS, e.g.
# FB_CTEST_ARGS="-R CarStore". Not -LE: ctest ANDs it with the preset's own exclusion (long|unstable),
# so it would exclude nothing and bring the hour-long and unstable suites back.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then presets=(dev asan tsan); fi

read -r -a ctest_args <<<"${FB_CTEST_ARGS:-}"
for arg in "${ctest_args[@]}"; do
  if [[ "$arg" == -LE* || "$arg" == --label-exclude* ]]; then
    echo "test.sh: FB_CTEST_ARGS may not hold $arg (ctest ANDs it with the preset's exclusion); use FB_TEST_QUICK=1" >&2
    exit 2
  fi
done
quick=""
if [[ "${FB_TEST_QUICK:-0}" == 1 ]]; then quick="-quick"; fi

# Installs the dependencies first when any is missing (a fresh machine): this command works alone.
deps=()
if [[ " ${presets[*]} " == *" aarch64 "* ]]; then deps=(--aarch64); fi
if ! scripts/install-deps.sh --check "${deps[@]}"; then scripts/install-deps.sh "${deps[@]}"; fi

for preset in "${presets[@]}"; do
  echo "== preset $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"  # not Ninja's nproc+2
  echo "== preset $preset: ctest"
  if [[ -n "$quick" && "$preset" =~ ^(dev|asan|tsan|aarch64)$ ]]; then
    ctest --preset "$preset-quick" "${ctest_args[@]}"
  else
    ctest --preset "$preset" "${ctest_args[@]}"  # fuzz and the others have no slow tests to leave out
  fi
  if [[ "$preset" == aarch64 ]]; then
    echo "== preset $preset: Debian packages"
    cmake --build --preset "$preset" --target package
  fi
done
