# Precompiled headers (GCC .gch) for the targets with many translation units, to cut the CI's
# compile time: each of their .cpp files otherwise parses the same ~100-250k lines of the standard
# library, Boost.Asio, protobuf, nlohmann/json and GoogleTest again.
#
# Off by default and in the dev preset, on in the asan, tsan and aarch64 presets. Two reasons to
# keep dev without: scripts/lint.sh runs clang-tidy (clang) on build/dev/compile_commands.json and
# clang cannot read GCC's .gch; and a build without the forced -include proves that every file
# includes what it uses (a PCH makes its headers visible to every file of the target).
option(FB_PRECOMPILE_HEADERS "Precompile the heaviest common headers in the targets with many .cpp files" OFF)

set(FB_PCH_STD <algorithm> <chrono> <cstdint> <filesystem> <fstream> <functional> <map> <memory> <optional>
  <set> <sstream> <string> <string_view> <vector>)
set(FB_PCH_ASIO ${PROJECT_SOURCE_DIR}/common/include/fb/asio.hpp)
set(FB_PCH_JSON <nlohmann/json.hpp>)
# What the generated feedback.pb.h includes (not the generated header itself: it is not ours).
set(FB_PCH_PROTOBUF <google/protobuf/arena.h> <google/protobuf/generated_message_reflection.h>
  <google/protobuf/message.h> <google/protobuf/repeated_field.h> <google/protobuf/map_field_inl.h>)
set(FB_PCH_GTEST <gtest/gtest.h>)

# fb_precompile_headers(TARGET HEADER...): the headers as TARGET's PCH when FB_PRECOMPILE_HEADERS
# is on. Pick headers that most of the target's .cpp files include anyway: a PCH header costs the
# others a little (loading it) and lets them use it without including it.
function(fb_precompile_headers target)
  if(FB_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()

# ccache uses a PCH only with these sloppiness settings (its docs, "Precompiled headers"); without
# them every file of a PCH target is compiled uncached. The .gch is written just before the files
# that use it, so the include-file age checks are relaxed too.
if(FB_PRECOMPILE_HEADERS AND CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
    CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${CCACHE_PROGRAM})
endif()
