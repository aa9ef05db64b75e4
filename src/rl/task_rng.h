// TaskRng: the random source behind every task generator.
//
// Problems must be identical for a seed on every platform and standard library, and
// std::uniform_int_distribution is not specified bit for bit (libstdc++ and libc++ differ), so the
// generators draw from this instead: splitmix64 (Steele et al., 2014) and rejection sampling for
// unbiased ranges. Not thread-safe; one per generator.
#pragma once

#include <cstdint>

#include "core/error.h"

namespace seek::rl {

class TaskRng {
 public:
  explicit TaskRng(uint64_t seed) : state_(seed) {}

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  // Uniform over [lo, hi], both inclusive.
  int64_t uniform(int64_t lo, int64_t hi) {
    SEEK_ASSERT(lo <= hi);
    const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;  // 0 means all 2^64
    if (span == 0) return static_cast<int64_t>(next_u64());
    // Reject the top partial block so every value is equally likely.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do {
      x = next_u64();
    } while (x >= limit);
    return static_cast<int64_t>(static_cast<uint64_t>(lo) + x % span);
  }

  bool coin() { return (next_u64() >> 63) != 0; }

 private:
  uint64_t state_;
};

}  // namespace seek::rl
