// kv_b_proj's per-head layout (architecture.md 2.1, 8.5): H blocks of [W_UK (nope rows) ; W_UV (v rows)],
// each row `rank` wide. The absorbed form and llama.cpp's split GGUF tensors both want W_UK[h]
// transposed; these are the two directions of that one rearrangement.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace seek {

// W_UK[h]ᵀ for every head, f32 [H, rank, nope], from kv_b_proj [H * (nope + v), rank] (any dtype).
Tensor mla_w_uk_transposed(const Tensor& kv_b, int64_t heads, int64_t nope, int64_t v_dim, int64_t rank);

// kv_b_proj, f32 [H * (nope + v), rank], from llama.cpp's attn_k_b [H, rank, nope] and
// attn_v_b [H, v, rank] (any dtype).
Tensor mla_kv_b_from_split(const Tensor& k_b, const Tensor& v_b);

}  // namespace seek
