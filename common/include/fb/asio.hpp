// Include Boost.Asio through this header.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>; GCC 12's headers
// no longer pull it in transitively, so we include it first (the blank line keeps clang-format
// from sorting it after Asio).
#pragma once
#include <utility>

#include <boost/asio.hpp>
