// attention(): operand checks, the choice of implementation family (the reference, or the flash
// driver with the best family's block step), and scratch accounting.
#include "kernels/attention.h"

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "kernels/attention_flash.h"
#include "kernels/backend.h"

namespace seek::kernels {
namespace {

// Below this many multiply-adds one thread is faster than waking the pool.
constexpr double kMinParallelMacs = 1 << 16;

void check_rows(const Tensor& t, const char* what, bool kv) {
  const bool type_ok = t.dtype() == DType::kF32 || (kv && t.dtype() == DType::kBF16);
  SEEK_CHECK(type_ok && t.ndim() == 3, "attention: " << what << " must be " << (kv ? "f32 or bf16" : "f32")
                                                     << " 3-D, got " << dtype_name(t.dtype()) << " "
                                                     << t.shape_string());
  SEEK_CHECK(t.dim(2) <= 1 || t.stride_bytes(2) == static_cast<int64_t>(dtype_block_bytes(t.dtype())),
             "attention: " << what << " rows must be contiguous");
}

// The fast family's block step at `level`, or null for the reference.
using BlockFn = void (*)(const AttentionBlock&);
BlockFn block_step(KernelLevel level, DType kv_type) {
  switch (level) {
    case KernelLevel::kAvx512:
      if (avx512::kAttention.block != nullptr && avx512::kAttention.supports(kv_type))
        return avx512::kAttention.block;
      [[fallthrough]];
    case KernelLevel::kAvx2:
      if (avx2::kAttention.block != nullptr && avx2::kAttention.supports(kv_type))
        return avx2::kAttention.block;
      [[fallthrough]];
    case KernelLevel::kScalar: return nullptr;
  }
  return nullptr;
}

size_t ref_scratch_bytes(const KernelContext& ctx, int64_t n_keys) {
  return ref::kAttention.scratch_bytes(n_keys, ctx.pool != nullptr ? ctx.pool->num_threads() : 1);
}

uint8_t* take(Arena& arena, size_t bytes) {
  return bytes > 0 ? static_cast<uint8_t*>(arena.allocate(bytes)) : nullptr;
}

}  // namespace

size_t attention_scratch_bytes(const KernelContext& ctx, int64_t max_keys) {
  return ref_scratch_bytes(ctx, max_keys);
}

size_t attention_scratch_bytes(const KernelContext& ctx, const AttentionSizes& sizes) {
  SEEK_CHECK(sizes.num_kv_heads > 0 && sizes.num_heads % sizes.num_kv_heads == 0,
             "attention_scratch_bytes: " << sizes.num_heads << " heads do not divide into "
                                         << sizes.num_kv_heads << " kv heads");
  // Either family may run (bf16 is handled by all), so the bound covers both. The flash plan's
  // partial results do not grow monotonically with n_q (fewer rows means more splits), hence the
  // walk over every n_q.
  size_t need = ref_scratch_bytes(ctx, sizes.max_keys);
  const int threads = ctx.pool != nullptr ? ctx.pool->num_threads() : 1;
  AttentionProblem shape;
  shape.num_heads = sizes.num_heads;
  shape.num_kv_heads = sizes.num_kv_heads;
  shape.dv = sizes.dv;
  shape.n_keys = sizes.max_keys;
  for (int64_t n_q = 1; n_q <= sizes.max_queries; ++n_q) {
    shape.n_q = n_q;
    need = std::max(need, flash_plan(shape, threads, SIZE_MAX).partial_bytes);
  }
  return need;
}

void attention(const KernelContext& ctx, const Tensor& q, const Tensor& k, const Tensor& v,
               const Tensor& q_positions, const AttentionParams& params, Tensor& out) {
  check_rows(q, "q", false);
  check_rows(k, "k", true);
  check_rows(v, "v", true);
  check_rows(out, "out", false);
  SEEK_CHECK(k.dtype() == v.dtype(), "attention: k and v must have one type, got "
                                         << dtype_name(k.dtype()) << " and " << dtype_name(v.dtype()));
  const int64_t n_q = q.dim(0), heads = params.num_heads, kv_heads = params.num_kv_heads;
  const int64_t dk = q.dim(2), dv = v.dim(2), n_keys = k.dim(0);
  SEEK_CHECK(heads > 0 && kv_heads > 0 && heads % kv_heads == 0,
             "attention: " << heads << " heads do not divide into " << kv_heads << " kv heads");
  SEEK_CHECK(q.dim(1) == heads && k.dim(1) == kv_heads && v.dim(1) == kv_heads && k.dim(2) == dk &&
                 v.dim(0) == n_keys && out.dim(0) == n_q && out.dim(1) == heads && out.dim(2) == dv,
             "attention: shapes q " << q.shape_string() << " k " << k.shape_string() << " v "
                                    << v.shape_string() << " out " << out.shape_string() << " do not agree");
  SEEK_CHECK(q_positions.dtype() == DType::kI32 && q_positions.numel() == n_q && q_positions.is_contiguous(),
             "attention: q_positions must be contiguous i32 [" << n_q << "]");
  SEEK_ASSERT(ctx.pool != nullptr && ctx.scratch != nullptr);
  const int32_t* pos = q_positions.data_as<int32_t>();
  for (int64_t i = 0; i < n_q; ++i)
    SEEK_CHECK(pos[i] >= 0 && pos[i] < n_keys,
               "attention: query position " << pos[i] << " outside the " << n_keys << " cached keys");
  if (n_q == 0 || dv == 0) return;

  AttentionProblem p;
  p.q = q.data_as<float>();
  p.q_stride = q.stride_bytes(0);
  p.q_head_stride = q.stride_bytes(1);
  p.k = static_cast<const uint8_t*>(k.data());
  p.k_stride = k.stride_bytes(0);
  p.k_head_stride = k.stride_bytes(1);
  p.v = static_cast<const uint8_t*>(v.data());
  p.v_stride = v.stride_bytes(0);
  p.v_head_stride = v.stride_bytes(1);
  p.kv_type = k.dtype();
  p.out = out.data_as<float>();
  p.out_stride = out.stride_bytes(0);
  p.out_head_stride = out.stride_bytes(1);
  p.positions = pos;
  p.n_q = n_q;
  p.num_heads = heads;
  p.num_kv_heads = kv_heads;
  p.dk = dk;
  p.dv = dv;
  p.n_keys = n_keys;
  p.scale = params.scale;

  Arena& arena = *ctx.scratch;
  const size_t mark = arena.mark();
  const BlockFn block = block_step(ctx.level, p.kv_type);
  if (block == nullptr) {
    const size_t need = ref_scratch_bytes(ctx, n_keys);
    SEEK_ASSERT_MSG(
        arena.capacity() - arena.used() >= need,
        "attention needs " << need << " bytes of scratch; " << arena.capacity() - arena.used() << " free");
    ref::kAttention.run(p, *ctx.pool, take(arena, need));
  } else {
    // Causal work is about half of n_q · T per head for a prefill chunk; the estimate only decides
    // whether to wake the pool.
    const double macs =
        static_cast<double>(n_q * heads) * static_cast<double>(n_keys) * static_cast<double>(dk + dv);
    const int threads = macs < kMinParallelMacs ? 1 : ctx.pool->num_threads();
    const FlashPlan plan = flash_plan(p, threads, arena.capacity() - arena.used());
    flash_attention(p, block, plan, *ctx.pool, take(arena, plan.partial_bytes));
  }
  arena.release(mark);
}

}  // namespace seek::kernels
