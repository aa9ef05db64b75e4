// Wall-clock seconds from a monotonic clock, for timing steps and benchmarks.
#pragma once

#include <chrono>

namespace seek {

inline double monotonic_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace seek
