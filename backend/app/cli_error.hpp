// How fb-backend's commands report an error: one line on stderr, exit status 1.
#pragma once

#include <iostream>

#include "fb/common/error.hpp"

namespace fb::backend {

inline int print_error(const Error& e) {
  std::cerr << "fb-backend: " << e.what() << "\n";
  return 1;
}

}  // namespace fb::backend
