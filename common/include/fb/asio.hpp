// Include Boost.Asio through this header.
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>; GCC 12's headers
// no longer pull it in transitively, so we include it first.
#pragma once
#include <boost/asio.hpp>
#include <utility>
