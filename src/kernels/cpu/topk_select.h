// Top-k selection shared by the SIMD families; each supplies only `next_greater`, the vector scan for
// the next value above the current k-th best. Everything here is `static` (internal linkage) so the
// AVX-512 and AVX2 copies never merge (see backend.h).
//
// Order (the reference's): larger value first, NaN last, equal values by lower index. Candidates
// arrive in increasing index order, so once the k-th best is a number, a candidate beats it exactly
// when its value is strictly greater — one ordered compare per element, which is what the scan does.
// The best k so far live in the output array itself: sorted (insertion) for small k, a heap with the
// worst at the root for large k (so k = n, a full sort, stays O(n log n)).
#pragma once

#include <cmath>
#include <cstdint>

namespace seek::kernels {
namespace topk_detail {

constexpr int kInsertionMaxK = 32;

static inline bool ranks_before(const float* x, int32_t a, int32_t b) {
  const bool a_nan = std::isnan(x[a]), b_nan = std::isnan(x[b]);
  if (a_nan || b_nan) return !a_nan || (b_nan && a < b);
  if (x[a] != x[b]) return x[a] > x[b];
  return a < b;
}

// Sorted array idx[0..size): best first.
static inline void sorted_insert(const float* x, int32_t* idx, int size, int cap, int32_t cand) {
  int pos = size < cap ? size : cap - 1;
  while (pos > 0 && ranks_before(x, cand, idx[pos - 1])) {
    if (pos < cap) idx[pos] = idx[pos - 1];
    --pos;
  }
  idx[pos] = cand;
}

// Heap idx[0..size) with the worst element at the root.
static inline void sift_down(const float* x, int32_t* idx, int size, int pos) {
  for (;;) {
    const int l = 2 * pos + 1, r = l + 1;
    int worst = pos;
    if (l < size && ranks_before(x, idx[worst], idx[l])) worst = l;
    if (r < size && ranks_before(x, idx[worst], idx[r])) worst = r;
    if (worst == pos) return;
    const int32_t t = idx[pos];
    idx[pos] = idx[worst];
    idx[worst] = t;
    pos = worst;
  }
}

static inline void sift_up(const float* x, int32_t* idx, int pos) {
  while (pos > 0) {
    const int parent = (pos - 1) / 2;
    if (!ranks_before(x, idx[parent], idx[pos])) return;
    const int32_t t = idx[pos];
    idx[pos] = idx[parent];
    idx[parent] = t;
    pos = parent;
  }
}

}  // namespace topk_detail

// next_greater(x, from, n, threshold): the first i in [from, n) with x[i] > threshold, else n.
template <typename NextGreater>
static void topk_select(const float* x, int64_t n, int k, int32_t* idx, float* values,
                        NextGreater next_greater) {
  using namespace topk_detail;
  const bool use_heap = k > kInsertionMaxK;
  for (int i = 0; i < k; ++i) {
    if (use_heap) {
      idx[i] = i;
      sift_up(x, idx, i);
    } else {
      sorted_insert(x, idx, i, k, i);
    }
  }
  const int worst_pos = use_heap ? 0 : k - 1;
  int64_t i = k;
  // While the k-th best is NaN, any number beats it: plain comparisons.
  for (; i < n && std::isnan(x[idx[worst_pos]]); ++i) {
    if (!ranks_before(x, static_cast<int32_t>(i), idx[worst_pos])) continue;
    if (use_heap) {
      idx[0] = static_cast<int32_t>(i);
      sift_down(x, idx, k, 0);
    } else {
      sorted_insert(x, idx, k, k, static_cast<int32_t>(i));
    }
  }
  while (i < n) {
    i = next_greater(x, i, n, x[idx[worst_pos]]);
    if (i >= n) break;
    if (use_heap) {
      idx[0] = static_cast<int32_t>(i);
      sift_down(x, idx, k, 0);
    } else {
      sorted_insert(x, idx, k, k, static_cast<int32_t>(i));
    }
    ++i;
  }
  if (use_heap) {
    // Heap sort: moving the worst to the back each time leaves the array best-first.
    for (int size = k; size > 1; --size) {
      const int32_t t = idx[0];
      idx[0] = idx[size - 1];
      idx[size - 1] = t;
      sift_down(x, idx, size - 1, 0);
    }
  }
  if (values != nullptr)
    for (int r = 0; r < k; ++r) values[r] = x[idx[r]];
}

}  // namespace seek::kernels
