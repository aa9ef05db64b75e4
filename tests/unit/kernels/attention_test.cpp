// attention: the flash kernels of every fast level against the scalar reference, for MHA, GQA and
// MQA (absorbed MLA, v a view of k), f32 and bf16 KV, causal chunks at any position, strided views,
// split and unsplit key ranges; plus the reference against direct math and the scratch bounds.
#include "kernels/attention.h"

#include <cmath>
#include <numeric>

#include "core/error.h"
#include "kernel_test_util.h"

namespace seek::kernels::test {
namespace {

using seek::test::all_close;
using seek::test::Tolerance;

// f32 rounding and the ~2 ulp exp of the fast paths; bf16 K/V are widened exactly on both sides.
constexpr Tolerance kTol{.rel_l2 = 1e-5};

struct Case {
  const char* name;
  int64_t n_q, heads, kv_heads, dk, dv, n_keys;
  bool v_in_k;  // v is the first dv values of each k row (absorbed MLA); needs dv <= dk
};

// Queries at the end of the cache, as a prefill chunk or decode step places them.
std::vector<int32_t> tail_positions(int64_t n_q, int64_t n_keys) {
  std::vector<int32_t> pos(static_cast<size_t>(n_q));
  for (int64_t i = 0; i < n_q; ++i) pos[static_cast<size_t>(i)] = static_cast<int32_t>(n_keys - n_q + i);
  return pos;
}

Tensor positions_tensor(const std::vector<int32_t>& pos) {
  Tensor t = Tensor::empty(DType::kI32, {static_cast<int64_t>(pos.size())});
  std::copy(pos.begin(), pos.end(), t.data_as<int32_t>());
  return t;
}

struct Operands {
  Tensor q, kv_storage, k, v;
};

// Random operands; q is scaled so that the scores spread over several units (a peaked softmax).
Operands make_operands(const Case& c, DType kv_type, std::mt19937& rng) {
  Operands o;
  o.q = random_f32({c.n_q, c.heads, c.dk}, rng, 4.0f);
  if (c.v_in_k) {
    o.kv_storage = convert_rows(random_f32({c.n_keys, c.kv_heads, c.dk}, rng), kv_type);
    o.k = o.kv_storage;
    o.v = o.kv_storage.narrow(2, 0, c.dv);
  } else {
    o.k = convert_rows(random_f32({c.n_keys, c.kv_heads, c.dk}, rng), kv_type);
    o.v = convert_rows(random_f32({c.n_keys, c.kv_heads, c.dv}, rng), kv_type);
  }
  return o;
}

AttentionParams params_of(const Case& c) {
  return {1.0f / std::sqrt(static_cast<float>(c.dk)), c.heads, c.kv_heads};
}

// out at `level` against the reference, both from the same operands.
void check_attention(KernelLevel level, const Case& c, DType kv_type, const std::vector<int32_t>& pos,
                     std::mt19937& rng) {
  const Operands o = make_operands(c, kv_type, rng);
  const Tensor positions = positions_tensor(pos);
  Tensor want = Tensor::empty(DType::kF32, {c.n_q, c.heads, c.dv});
  Tensor got = Tensor::empty(DType::kF32, {c.n_q, c.heads, c.dv});
  attention(env().context(KernelLevel::kScalar), o.q, o.k, o.v, positions, params_of(c), want);
  attention(env().context(level), o.q, o.k, o.v, positions, params_of(c), got);
  EXPECT_EQ(env().scratch().used(), 0u) << "attention must release its scratch";
  EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), want.numel(), kTol))
      << c.name << " kv " << dtype_name(kv_type) << " n_q=" << c.n_q << " H=" << c.heads << "/" << c.kv_heads
      << " dk=" << c.dk << " dv=" << c.dv << " T=" << c.n_keys;
}

const Case kCases[] = {
    {"mha odd dims", 5, 3, 3, 37, 29, 77, false},
    {"mha naive mla prefill", 70, 2, 2, 192, 128, 70, false},
    {"mha odd dims prefill", 40, 2, 2, 37, 29, 60, false},
    {"gqa qwen2 decode", 1, 12, 2, 128, 128, 301, false},
    {"gqa qwen2 chunk", 7, 12, 2, 128, 128, 40, false},
    {"gqa ratio 4 long", 2, 8, 2, 64, 64, 1000, false},
    {"gqa ratio 3 odd", 3, 9, 3, 40, 24, 133, false},
    // decode blocks of 5, 7 and 1 rows: a 4-row tile and 1 or 3 rows past it, or 1 row alone
    {"gqa groups of 5 decode", 1, 10, 2, 128, 128, 333, false},
    {"gqa groups of 7 decode", 1, 14, 2, 64, 80, 129, false},
    {"mha decode", 1, 4, 4, 96, 104, 250, false},
    {"mqa absorbed decode", 1, 16, 1, 576, 512, 999, true},
    {"mqa absorbed mtp", 3, 16, 1, 576, 512, 517, true},
    {"mqa odd heads", 2, 5, 1, 72, 64, 300, true},
    {"mqa odd dv", 4, 7, 1, 50, 45, 70, true},
    {"single key", 1, 4, 4, 16, 16, 1, false},
};

class AttentionLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(AttentionLevel, MatchesReference) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(2024);
  for (DType kv_type : {DType::kF32, DType::kBF16}) {
    for (const Case& c : kCases) check_attention(level, c, kv_type, tail_positions(c.n_q, c.n_keys), rng);
  }
}

TEST_P(AttentionLevel, CausalChunksAtAnyPosition) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(77);
  // Queries that do not start at 0 and do not reach the end of the cache, out of order, repeated.
  const Case mha{"chunk", 9, 4, 4, 48, 40, 200, false};
  std::vector<int32_t> pos(9);
  std::iota(pos.begin(), pos.end(), 50);
  check_attention(level, mha, DType::kF32, pos, rng);
  check_attention(level, mha, DType::kF32, {10, 3, 199, 0, 64, 65, 31, 32, 3}, rng);
  const Case mqa{"mqa chunk", 6, 16, 1, 96, 64, 700, true};
  check_attention(level, mqa, DType::kBF16, {0, 1, 33, 650, 699, 1}, rng);
  check_attention(level, mqa, DType::kF32, {100, 101, 102, 103, 104, 105}, rng);
  // A prefill chunk of 100 queries at positions 300..399 of a 400-key cache (more than one row block).
  const Case chunk{"prefill chunk", 100, 2, 1, 64, 32, 400, false};
  check_attention(level, chunk, DType::kF32, tail_positions(100, 400), rng);
}

TEST_P(AttentionLevel, StridedViewsAndUntouchedNeighbours) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(5);
  const int64_t n_q = 3, H = 6, Hkv = 2, dk = 40, dv = 24, T = 600;
  // q: the first dk values of wider rows; k, v: two heads cut from a 3-head cache; out: a window.
  const Tensor q_big = random_f32({n_q, H, dk + 8}, rng, 4.0f);
  const Tensor q = q_big.narrow(2, 0, dk);
  const Tensor k_big = random_f32({T, Hkv + 1, dk}, rng), v_big = random_f32({T, Hkv + 1, dv + 5}, rng);
  const Tensor k = k_big.narrow(1, 1, Hkv), v = v_big.narrow(1, 0, Hkv).narrow(2, 5, dv);
  Tensor out_big = Tensor::empty(DType::kF32, {n_q, H, dv + 4});
  for (int64_t i = 0; i < out_big.numel(); ++i) out_big.data_as<float>()[i] = 12345.0f;
  Tensor out = out_big.narrow(2, 2, dv);
  const Tensor positions = positions_tensor(tail_positions(n_q, T));
  const AttentionParams params{0.2f, H, Hkv};
  Tensor want = Tensor::empty(DType::kF32, {n_q, H, dv});
  attention(env().context(KernelLevel::kScalar), q.Copy(), k.Copy(), v.Copy(), positions, params, want);
  attention(env().context(level), q, k, v, positions, params, out);
  EXPECT_TRUE(all_close(out.Copy().data_as<float>(), want.data_as<float>(), want.numel(), kTol));
  for (int64_t r = 0; r < n_q * H; ++r) {
    const float* row = out_big.data_as<float>() + r * (dv + 4);
    ASSERT_EQ(row[0], 12345.0f);
    ASSERT_EQ(row[1], 12345.0f);
    ASSERT_EQ(row[dv + 2], 12345.0f);
    ASSERT_EQ(row[dv + 3], 12345.0f);
  }
}

// Decode with one block of rows splits the keys across the threads when the arena has room for the
// partial results, and runs unsplit when it has not; both agree with the reference.
TEST_P(AttentionLevel, SplitAndUnsplitKeyRanges) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(9);
  const Case c{"mqa decode", 1, 16, 1, 96, 80, 2000, true};
  const Operands o = make_operands(c, DType::kBF16, rng);
  const Tensor positions = positions_tensor(tail_positions(1, c.n_keys));
  Tensor want = Tensor::empty(DType::kF32, {1, c.heads, c.dv});
  attention(env().context(KernelLevel::kScalar), o.q, o.k, o.v, positions, params_of(c), want);
  KernelContext ctx = env().context(level);
  const AttentionSizes sizes{1, c.heads, c.kv_heads, c.dv, c.n_keys};
  const size_t full = attention_scratch_bytes(ctx, sizes), least = attention_scratch_bytes(ctx, c.n_keys);
  for (size_t bytes : {full, least}) {
    Arena arena(std::max<size_t>(bytes, 64));
    ctx.scratch = &arena;
    Tensor got = Tensor::empty(DType::kF32, {1, c.heads, c.dv});
    attention(ctx, o.q, o.k, o.v, positions, params_of(c), got);
    EXPECT_TRUE(all_close(got.data_as<float>(), want.data_as<float>(), want.numel(), kTol))
        << bytes << " bytes";
    EXPECT_EQ(arena.used(), 0u);
    EXPECT_LE(arena.peak(), bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, AttentionLevel, ::testing::ValuesIn(fast_levels()), level_param_name);

TEST(AttentionReference, TwoKeysByHand) {
  // One query, two keys: weights softmax(scale · [q·k0, q·k1]) on the two value rows.
  Tensor q = Tensor::empty(DType::kF32, {1, 1, 2}), k = Tensor::empty(DType::kF32, {2, 1, 2});
  Tensor v = Tensor::empty(DType::kF32, {2, 1, 1}), out = Tensor::empty(DType::kF32, {1, 1, 1});
  const float qv[] = {1, 2}, kv[] = {1, 0, 0, 1}, vv[] = {10, 20};
  std::copy(qv, qv + 2, q.data_as<float>());
  std::copy(kv, kv + 4, k.data_as<float>());
  std::copy(vv, vv + 2, v.data_as<float>());
  attention(env().context(KernelLevel::kScalar), q, k, v, positions_tensor({1}), {0.5f, 1, 1}, out);
  const double w0 = std::exp(0.5) / (std::exp(0.5) + std::exp(1.0));
  const std::vector<float> want = {static_cast<float>(10 * w0 + 20 * (1 - w0))};
  EXPECT_TRUE(all_close(dense(out.reshape({1, 1})), want, {.rel_l2 = 1e-6}));
  // Position 0 sees only key 0.
  attention(env().context(KernelLevel::kScalar), q, k, v, positions_tensor({0}), {0.5f, 1, 1}, out);
  EXPECT_FLOAT_EQ(out.data_as<float>()[0], 10.0f);
}

TEST(Attention, RejectsBadOperands) {
  const KernelContext ctx = env().context(best_kernel_level());
  Tensor q = Tensor::empty(DType::kF32, {1, 4, 8}), out = Tensor::empty(DType::kF32, {1, 4, 8});
  Tensor k = Tensor::empty(DType::kF32, {5, 2, 8}), v = Tensor::empty(DType::kBF16, {5, 2, 8});
  EXPECT_THROW(attention(ctx, q, k, v, positions_tensor({4}), {1.0f, 4, 2}, out), Error);  // k f32, v bf16
  EXPECT_THROW(attention(ctx, q, k, k, positions_tensor({5}), {1.0f, 4, 2}, out), Error);  // position >= T
  EXPECT_THROW(attention(ctx, q, k, k, positions_tensor({1}), {1.0f, 4, 3}, out), Error);  // 4 % 3 heads
}

TEST(Attention, ScratchBoundCoversEveryCall) {
  // With room to spare, no call within the sizes takes more than the advertised bound, at any level.
  std::mt19937 rng(31);
  for (KernelLevel level : {KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512}) {
    if (!level_available(level)) continue;
    KernelContext ctx = env().context(level);
    const AttentionSizes sizes{6, 8, 1, 32, 1500};
    const size_t bound = attention_scratch_bytes(ctx, sizes);
    Arena roomy(size_t{16} << 20);
    ctx.scratch = &roomy;
    for (int64_t n_q : {1, 2, 5, 6}) {
      for (int64_t n_keys : {n_q, int64_t{700}, int64_t{1500}}) {
        const Case c{"bound", n_q, 8, 1, 48, 32, n_keys, true};
        const Operands o = make_operands(c, DType::kF32, rng);
        Tensor out = Tensor::empty(DType::kF32, {n_q, 8, 32});
        attention(ctx, o.q, o.k, o.v, positions_tensor(tail_positions(n_q, n_keys)), params_of(c), out);
        EXPECT_EQ(roomy.used(), 0u);
      }
    }
    EXPECT_LE(roomy.peak(), bound) << kernel_level_name(level);
    if (level != KernelLevel::kScalar) {
      EXPECT_GT(roomy.peak(), 0u) << "decode should split the keys";
    }
  }
}

}  // namespace
}  // namespace seek::kernels::test
