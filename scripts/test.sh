#!/usr/bin/env bash
# Builds and runs the whole test suite: the dev preset (everything, Qt app included), then the
# asan preset (AddressSanitizer + UBSan, without the Qt app). Dependencies: scripts/install-deps.sh.
#   scripts/test.sh            both presets
#   scripts/test.sh dev        one preset
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

presets=("$@")
if [[ ${#presets[@]} -eq 0 ]]; then presets=(dev asan); fi

for preset in "${presets[@]}"; do
  echo "== preset $preset: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  echo "== preset $preset: ctest"
  ctest --preset "$preset"
done
