# Cross toolchain: Debian bookworm amd64 host -> aarch64 (arm64) head unit, Debian multiarch.
# Target libraries come from `apt-get install <pkg>:arm64` (scripts/install-deps.sh --aarch64)
# and live in the multiarch paths that Debian's cross gcc already searches: no CMAKE_SYSROOT.
# Recipe and gotchas: docs/cross-build.md.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(_triple aarch64-linux-gnu)
set(CMAKE_C_COMPILER   ${_triple}-gcc)
set(CMAKE_CXX_COMPILER ${_triple}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${_triple})

# Libraries, headers and CMake packages only from the target roots; programs (protoc, moc,
# qmlcachegen) from the host.
set(CMAKE_FIND_ROOT_PATH / /usr/${_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
list(APPEND CMAKE_IGNORE_PATH
     /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu
     /usr/lib/x86_64-linux-gnu/cmake /usr/include/x86_64-linux-gnu)

# The host pkg-config would hand FindOpenSSL x86_64 paths; pkgconf:arm64 provides this wrapper.
find_program(PKG_CONFIG_EXECUTABLE NAMES ${_triple}-pkg-config REQUIRED)

# Tests run under qemu-user. `-L /`, never `-L /usr/aarch64-linux-gnu`: the latter mixes the
# cross ld.so with libc6:arm64 and every pthread_create spins forever.
find_program(_qemu NAMES qemu-${CMAKE_SYSTEM_PROCESSOR} qemu-${CMAKE_SYSTEM_PROCESSOR}-static REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR ${_qemu} -L /)
