// The definition of matmul: one output at a time, in plain loops, accumulated in double.
//
// Float weights are widened to f32 exactly and multiplied by the exact f32 activations; FP8 e4m3
// weights are widened the same way and times their block's scale (core/block_scales.h; 1 without).
// Quantised weights follow ggml's vec_dot_q4_0_q8_0 / vec_dot_q8_0_q8_0: each activation row is
// quantised to q8_0 with the reference quantiser (core/quant.h), each block's integer dot product is
// exact, and is scaled by the f32 product of the two f16 block scales. The fast paths compute the
// same integers and the same scale products, so they differ from this only by f32 summation order.
// K-quant weights (core/quant_k.h) take the same q8_0 activations: each 32-value x block meets one
// sub-block of 32 weights (q4_K/q5_K: Σ q·x and Σ x, scaled by d·sc·dx and dmin·m·dx; q6_K: two
// 16-value groups' Σ (q - 32)·x times their int8 scales, added as integers, scaled by d·dx; q3_K the same
// with q - 4 and 6-bit scales; q2_K Σ sc_g·Σ q·x scaled by d·dx less Σ m_g·Σ x scaled by dmin·dx), and so do
// q4_1/q5_0/q5_1 (core/quant_legacy.h: Σ q·x scaled by d·dx, plus Σ x scaled by m·dx; q5_0's q - 16),
// and iq4_nl/iq4_xs (core/quant_iq4.h: Σ L[q]·x scaled by d·dx; iq4_xs by (d·(ls - 32))·dx).
// Weights stored [k, n] (w_kn) of any type are dequantised exactly (d · q) and multiply the exact
// activations: their blocks run along n, across the sum, so there is no blockwise integer product.
#include <cstring>

#include "core/quant.h"
#include "core/quant_iq4.h"
#include "core/quant_k.h"
#include "core/quant_legacy.h"
#include "kernels/backend.h"

namespace seek::kernels::ref {
namespace {

// The integer value of element j of a quantised block, and the block's f16 scale as f32.
int quant_value(DType wtype, const uint8_t* block, int j) {
  if (wtype == DType::kQ8_0) return reinterpret_cast<const BlockQ8_0*>(block)->qs[j];
  const BlockQ4_0* b = reinterpret_cast<const BlockQ4_0*>(block);
  const int half = kQK4_0 / 2;
  const int nibble = j < half ? (b->qs[j] & 0x0f) : (b->qs[j - half] >> 4);
  return nibble - 8;
}

float quant_scale(const uint8_t* block) {
  uint16_t d;
  std::memcpy(&d, block, 2);
  return f16_to_f32(d);
}

// Weight idx of a row as f32, exactly: floats widened, FP8 times its block scale, q8_0/q4_0 as d · q
// (an f16 scale times an integer of at most 8 bits is exact in f32).
float weight_value(DType wtype, const uint8_t* row, int64_t idx, const BlockScales* scales) {
  switch (wtype) {
    case DType::kF32: {
      float v;
      std::memcpy(&v, row + idx * 4, 4);
      return v;
    }
    case DType::kF16: {
      uint16_t h;
      std::memcpy(&h, row + idx * 2, 2);
      return f16_to_f32(h);
    }
    case DType::kBF16: {
      uint16_t h;
      std::memcpy(&h, row + idx * 2, 2);
      return bf16_to_f32(h);
    }
    case DType::kF8E4M3: return f8e4m3_to_f32(row[idx]) * (scales != nullptr ? scales->at(row + idx) : 1.0f);
    case DType::kQ8_0:
    case DType::kQ4_0: {
      const uint8_t* block = row + (idx / kQK8_0) * static_cast<int64_t>(dtype_block_bytes(wtype));
      return quant_scale(block) * static_cast<float>(quant_value(wtype, block, static_cast<int>(idx % kQK8_0)));
    }
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K: {
      const uint8_t* block = row + (idx / kQK_K) * static_cast<int64_t>(dtype_block_bytes(wtype));
      return k_quant_value(wtype, block, static_cast<int>(idx % kQK_K));
    }
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
      return legacy_value(wtype, row + (idx / 32) * static_cast<int64_t>(dtype_block_bytes(wtype)),
                          static_cast<int>(idx % 32));
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: {
      const int per_block = dtype_block_size(wtype);
      return iq4_value(wtype, row + (idx / per_block) * static_cast<int64_t>(dtype_block_bytes(wtype)),
                       static_cast<int>(idx % per_block));
    }
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64: break;
  }
  return 0.0f;  // unreachable: supports() admits weight types only
}

void run_float(const MatmulProblem& p) {
  if (p.w_kn) {  // w[t][j] (any weight type, exact); x[i][t] or, with x_km, x[t][i]
    auto x_at = [&](int64_t i, int64_t t) {
      const int64_t row = p.x_km ? t : i, col = p.x_km ? i : t;
      return reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.x) + row * p.x_stride)[col];
    };
    for (int64_t i = 0; i < p.m; ++i) {
      float* y = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.y) + i * p.y_stride);
      for (int64_t j = 0; j < p.n; ++j) {
        double acc = 0.0;
        for (int64_t t = 0; t < p.k; ++t)
          acc += static_cast<double>(x_at(i, t)) * weight_value(p.wtype, p.w + t * p.w_stride, j, p.w_scales);
        y[j] = p.accumulate ? y[j] + static_cast<float>(acc) : static_cast<float>(acc);
      }
    }
    return;
  }
  for (int64_t i = 0; i < p.m; ++i) {
    const float* x = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.x) + i * p.x_stride);
    float* y = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.y) + i * p.y_stride);
    for (int64_t j = 0; j < p.n; ++j) {
      const uint8_t* w = p.w + j * p.w_stride;
      double acc = 0.0;
      for (int64_t t = 0; t < p.k; ++t) acc += static_cast<double>(x[t]) * weight_value(p.wtype, w, t, p.w_scales);
      y[j] = static_cast<float>(acc);
    }
  }
}

// One weight row of K-quant super-blocks against x quantised to q8_0 (xq: k / 32 blocks).
double k_quant_row_dot(DType wtype, const uint8_t* w, const BlockQ8_0* xq, int64_t k) {
  const size_t block_bytes = dtype_block_bytes(wtype);
  double acc = 0.0;
  for (int64_t sb = 0; sb < k / kQK_K; ++sb) {
    const uint8_t* block = w + sb * block_bytes;
    for (int s = 0; s < 8; ++s) {
      const BlockQ8_0& x = xq[sb * 8 + s];
      const float dx = f16_to_f32(x.d);
      if (wtype == DType::kQ6_K) {
        const BlockQ6_K& b = *reinterpret_cast<const BlockQ6_K*>(block);
        int32_t isum = 0;
        for (int g = 0; g < 2; ++g) {
          int32_t gsum = 0;
          for (int l = 0; l < 16; ++l) gsum += (q6_k_q(b, 32 * s + 16 * g + l) - 32) * x.qs[16 * g + l];
          isum += b.scales[2 * s + g] * gsum;
        }
        acc += static_cast<double>(f16_to_f32(b.d) * dx) * isum;
        continue;
      }
      if (wtype == DType::kQ3_K) {  // as q6_K, with 6-bit group scales and q - 4
        const BlockQ3_K& b = *reinterpret_cast<const BlockQ3_K*>(block);
        int32_t isum = 0;
        for (int g = 0; g < 2; ++g) {
          int32_t gsum = 0;
          for (int l = 0; l < 16; ++l) gsum += (q3_k_q(b, 32 * s + 16 * g + l) - 4) * x.qs[16 * g + l];
          isum += k3_scale(b.scales, 2 * s + g) * gsum;
        }
        acc += static_cast<double>(f16_to_f32(b.d) * dx) * isum;
        continue;
      }
      if (wtype == DType::kQ2_K) {  // 4-bit scale and min per 16-value group, applied as integers
        const BlockQ2_K& b = *reinterpret_cast<const BlockQ2_K*>(block);
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 2; ++g) {
          int32_t gsum = 0, xsum = 0;
          for (int l = 0; l < 16; ++l) {
            gsum += k2_low(b.qs, 32 * s + 16 * g + l) * x.qs[16 * g + l];
            xsum += x.qs[16 * g + l];
          }
          isum += (b.scales[2 * s + g] & 15) * gsum;
          msum += (b.scales[2 * s + g] >> 4) * xsum;
        }
        acc += static_cast<double>(f16_to_f32(b.d) * dx) * isum - static_cast<double>(f16_to_f32(b.dmin) * dx) * msum;
        continue;
      }
      const BlockQ4_K& head = *reinterpret_cast<const BlockQ4_K*>(block);
      const KScaleMin sm = k_scale_min(head.scales);
      int32_t isum = 0, xsum = 0;
      for (int l = 0; l < 32; ++l) {
        const int i = 32 * s + l;
        const int q = wtype == DType::kQ4_K ? q4_k_q(head, i) : q5_k_q(*reinterpret_cast<const BlockQ5_K*>(block), i);
        isum += q * x.qs[l];
        xsum += x.qs[l];
      }
      const float scale = f16_to_f32(head.d) * static_cast<float>(sm.sc[s]);
      const float min = f16_to_f32(head.dmin) * static_cast<float>(sm.m[s]);
      acc += static_cast<double>(scale * dx) * isum - static_cast<double>(min * dx) * xsum;
    }
  }
  return acc;
}

// One weight row of q4_1/q5_0/q5_1 blocks against x quantised to q8_0.
double legacy_row_dot(DType wtype, const uint8_t* w, const BlockQ8_0* xq, int64_t k) {
  const size_t block_bytes = dtype_block_bytes(wtype);
  const int offset = wtype == DType::kQ5_0 ? 16 : 0;
  double acc = 0.0;
  for (int64_t b = 0; b < k / 32; ++b) {
    const LegacyFields f = legacy_fields(wtype, w + b * block_bytes);
    const float dx = f16_to_f32(xq[b].d);
    int32_t isum = 0, xsum = 0;
    for (int l = 0; l < 32; ++l) {
      isum += (legacy_q(f, l) - offset) * xq[b].qs[l];
      xsum += xq[b].qs[l];
    }
    acc += static_cast<double>(f.d * dx) * isum + static_cast<double>(f.m * dx) * xsum;
  }
  return acc;
}

// One weight row of iq4_nl/iq4_xs blocks against x quantised to q8_0: each 32 values' Σ L[q]·x, scaled
// by the f32 product of their scale (iq4_nl: d; iq4_xs: d·(ls - 32), itself an f32 product) and dx.
double iq4_row_dot(DType wtype, const uint8_t* w, const BlockQ8_0* xq, int64_t k) {
  double acc = 0.0;
  for (int64_t b = 0; b < k / 32; ++b) {
    const uint8_t* qs;
    float scale;
    if (wtype == DType::kIQ4_NL) {
      const BlockIQ4_NL& block = reinterpret_cast<const BlockIQ4_NL*>(w)[b];
      qs = block.qs;
      scale = f16_to_f32(block.d);
    } else {
      const BlockIQ4_XS& block = reinterpret_cast<const BlockIQ4_XS*>(w)[b / 8];
      qs = block.qs + 16 * (b % 8);
      scale = f16_to_f32(block.d) * static_cast<float>(iq4_xs_scale(block, static_cast<int>(b % 8)));
    }
    int32_t isum = 0;
    for (int l = 0; l < 32; ++l) isum += kIq4Levels[iq4_index(qs, l)] * xq[b].qs[l];
    acc += static_cast<double>(scale * f16_to_f32(xq[b].d)) * isum;
  }
  return acc;
}

void run_quant(const MatmulProblem& p, uint8_t* scratch) {
  const int64_t num_blocks = p.k / kQK8_0;
  const size_t wblock_bytes = dtype_block_bytes(p.wtype);
  BlockQ8_0* xq = reinterpret_cast<BlockQ8_0*>(scratch);
  for (int64_t i = 0; i < p.m; ++i) {
    const float* x = reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.x) + i * p.x_stride);
    float* y = reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.y) + i * p.y_stride);
    quantize_row(DType::kQ8_0, x, xq, p.k);
    for (int64_t j = 0; j < p.n; ++j) {
      const uint8_t* w = p.w + j * p.w_stride;
      if (dtype_is_k_quant(p.wtype)) {
        y[j] = static_cast<float>(k_quant_row_dot(p.wtype, w, xq, p.k));
        continue;
      }
      if (dtype_is_legacy_quant(p.wtype)) {
        y[j] = static_cast<float>(legacy_row_dot(p.wtype, w, xq, p.k));
        continue;
      }
      if (dtype_is_iq4(p.wtype)) {
        y[j] = static_cast<float>(iq4_row_dot(p.wtype, w, xq, p.k));
        continue;
      }
      double acc = 0.0;
      for (int64_t b = 0; b < num_blocks; ++b) {
        const uint8_t* wb = w + b * wblock_bytes;
        int32_t isum = 0;
        for (int t = 0; t < kQK8_0; ++t) isum += quant_value(p.wtype, wb, t) * xq[b].qs[t];
        const float scale = quant_scale(wb) * f16_to_f32(xq[b].d);
        acc += static_cast<double>(scale) * isum;
      }
      y[j] = static_cast<float>(acc);
    }
  }
}

bool supports(DType wtype) {
  return wtype == DType::kF32 || wtype == DType::kF16 || wtype == DType::kBF16 || wtype == DType::kF8E4M3 ||
         dtype_is_quantized(wtype);
}

size_t scratch_bytes(int64_t m, int64_t k, DType wtype, int64_t num_heads, int num_threads) {
  return dtype_is_quantized(wtype) ? dtype_row_bytes(DType::kQ8_0, k) : 0;
}

void run(const MatmulProblem& p, ThreadPool& pool, uint8_t* scratch) {
  // Single-threaded on purpose, one head after the other: this is the definition, not a fast path.
  for (int64_t h = 0; h < p.num_heads; ++h) {
    const MatmulProblem one = matmul_head(p, h);
    if (dtype_is_quantized(p.wtype) && !p.w_kn) {
      run_quant(one, scratch);
    } else {
      run_float(one);
    }
  }
}

}  // namespace

const MatmulBackend kMatmul = {&supports, &scratch_bytes, &run, nullptr};

}  // namespace seek::kernels::ref
