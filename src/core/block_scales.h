// The f32 multipliers of a block-quantised FP8 weight (DeepSeek-V3's `weight_scale_inv`, architecture.md
// 8.3): value (r, c) of the stored 2-D weight is fp8[r][c] · scale[r / block_rows][c / block_cols].
//
// FP8 is one byte per value, so a value's (r, c) follows from its address alone: every view of the
// weight (row ranges, MLA's per-head slices, a reshape) finds its scales through the same record,
// and the kernels read the FP8 bytes where the file maps them, never a widened copy.
#pragma once

#include <cstdint>
#include <memory>

namespace seek {

struct BlockScales {
  const uint8_t* base = nullptr;  // the stored weight's first value
  int64_t row_bytes = 0;          // its row length (columns)
  const float* scale = nullptr;   // [ceil(rows / block_rows)][scale_cols], row-major
  int64_t scale_cols = 0;
  int64_t block_rows = 128, block_cols = 128;
  std::shared_ptr<void> keep_alive;  // owns `scale` (the checkpoint mapping or a widened copy)

  // Where the value at `p` (an address inside the stored weight) lies: its row's scales and its column.
  struct Place {
    const float* row_scales;
    int64_t col;
  };
  Place place(const uint8_t* p) const {
    const int64_t off = p - base;
    return {scale + (off / row_bytes / block_rows) * scale_cols, off % row_bytes};
  }

  // The multiplier of the value at `p`.
  float at(const uint8_t* p) const {
    const Place where = place(p);
    return where.row_scales[where.col / block_cols];
  }

  // out[j] *= the multiplier of p[j], for the n values of one row from p on (out: those values
  // widened), one scale lookup per block rather than per value.
  void apply(const uint8_t* p, int64_t n, float* out) const {
    const Place where = place(p);
    for (int64_t j = 0; j < n;) {
      const int64_t b = (where.col + j) / block_cols, end = (b + 1) * block_cols - where.col;
      for (const float s = where.row_scales[b]; j < n && j < end; ++j) out[j] *= s;
    }
  }
};

}  // namespace seek
