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

  // The multiplier of the value at `p` (an address inside the stored weight).
  float at(const uint8_t* p) const {
    const int64_t off = p - base, r = off / row_bytes, c = off % row_bytes;
    return scale[(r / block_rows) * scale_cols + c / block_cols];
  }
};

}  // namespace seek
