#!/usr/bin/env bash
# Installs every build, test and run dependency from Debian bookworm's packages.
#   scripts/install-deps.sh                    native build (backend, head unit, Qt app, tests)
#   scripts/install-deps.sh --aarch64          adds the arm64 cross toolchain, qemu-user and the
#                                              :arm64 libraries (about 3.5 min more; docs/cross-build.md)
#   scripts/install-deps.sh --check [--aarch64]  exit 0 when those packages are all installed
# Needs root (or sudo). Non-interactive; safe to run again.
set -euo pipefail

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libsqlite3-dev sqlite3 libssl-dev openssl
  libpq-dev postgresql
  libprotobuf-dev protobuf-compiler
  libpaho-mqttpp-dev libpaho-mqtt-dev mosquitto mosquitto-clients
  nlohmann-json3-dev libspdlog-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  qt6-base-dev qt6-declarative-dev qt6-declarative-dev-tools qt6-tools-dev qt6-l10n-tools
  qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtquick-templates
  qml6-module-qtqml qml6-module-qtqml-workerscript qml6-module-qtqml-models
  qt6-virtualkeyboard-dev qt6-virtualkeyboard-plugin qml6-module-qtquick-virtualkeyboard
  qml6-module-qt-labs-folderlistmodel qml6-module-qttest
  fonts-noto-cjk python3-fonttools python3-munkres
  chromium chromium-driver
  curl python3
  clang-format clang-16 clang-tidy-16 libclang-rt-16-dev
)

check=0 aarch64=0
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --aarch64) aarch64=1 ;;
    *) echo "usage: $0 [--check] [--aarch64]" >&2; exit 2 ;;
  esac
done

# The head unit's build for aarch64 (preset aarch64): Debian's cross g++, qemu-user for the
# tests, the arm64 pkg-config and the :arm64 libraries. Boost, nlohmann-json and CLI11 are
# header-only and come from the native packages. `file`: CPack's dpkg-shlibdeps step (the .deb).
# qt6-tools-dev:arm64: the target Qt's Qt6LinguistTools CMake package (it runs the host's
# lupdate/lrelease from qt6-l10n-tools).
cross=()
if [[ $aarch64 -eq 1 ]]; then
  cross=(
    g++-aarch64-linux-gnu qemu-user pkgconf:arm64 file
    qt6-base-dev:arm64 qt6-declarative-dev:arm64 qt6-tools-dev:arm64
    qml6-module-qtquick:arm64 qml6-module-qtquick-controls:arm64 qml6-module-qtquick-layouts:arm64
    qml6-module-qtquick-window:arm64 qml6-module-qtquick-templates:arm64
    qml6-module-qtqml:arm64 qml6-module-qtqml-workerscript:arm64 qml6-module-qtqml-models:arm64
    libpaho-mqttpp-dev:arm64 libpaho-mqtt-dev:arm64 libsqlite3-dev:arm64 libssl-dev:arm64
    libprotobuf-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
    libspdlog-dev:arm64 libfmt-dev:arm64
  )
fi

# --check: exit 0 when every package asked for is installed already (no network, no root needed).
if [[ $check -eq 1 ]]; then
  missing=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${packages[@]}" "${cross[@]}" 2>&1 | grep -vc '^ii ' || true)
  [[ "$missing" -eq 0 ]]
  exit
fi

if [[ $aarch64 -eq 1 ]]; then $sudo dpkg --add-architecture arm64; fi
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}" "${cross[@]}"
