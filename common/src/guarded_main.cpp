#include "fb/common/guarded_main.hpp"

#include <cstdio>
#include <exception>

namespace fb {

int guarded_main(const char* program, int argc, char** argv, int (*body)(int, char**)) noexcept {
  try {
    return body(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: unknown exception\n", program);
  }
  return 1;
}

}  // namespace fb
