// matmul_group: several products in one hand-off give, bit for bit, what matmul() gives on each, at
// every level and weight type: terms sharing one x (its quantisation shared), terms with their own x
// (strided views, other k), decode and batched-decode row counts (x prepared inside the hand-off or
// in a pass of its own), weight-row counts off the threads' grain, more terms than one group holds,
// a term with no rows, and a product large enough for the GEMM (run on its own); plus what it rejects.
#include <cstring>

#include "core/error.h"
#include "kernel_test_util.h"
#include "kernels/kernels.h"

namespace seek::kernels::test {
namespace {

using matmul_test::kWeightTypes;

constexpr DType kGroupTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16,
                                 DType::kQ8_0, DType::kQ4_0, DType::kF8E4M3};

Tensor random_weight(int64_t n, int64_t k, DType wtype, std::mt19937& rng) {
  if (wtype == DType::kF8E4M3) return random_fp8(n, k, rng, 32, 64);
  return convert_rows(random_f32({n, k}, rng), wtype);
}

struct Term {
  Tensor x, w, y;
};

// Runs the terms as one group, then each through matmul() into fresh outputs, and compares the bits.
void expect_group_equals_one_by_one(KernelLevel level, std::vector<Term>& terms, const std::string& what) {
  const KernelContext ctx = env().context(level);
  std::vector<MatmulTerm> group;
  for (Term& t : terms) {
    float* y = t.y.data_as<float>();
    for (int64_t i = 0; i < t.y.numel(); ++i) y[i] = 12345.0f;  // every value must be written
    group.push_back({&t.x, &t.w, &t.y});
  }
  matmul_group(ctx, group.data(), static_cast<int>(group.size()));
  EXPECT_EQ(env().scratch().used(), 0u) << "matmul_group must release its scratch";
  for (size_t i = 0; i < terms.size(); ++i) {
    Tensor want = Tensor::empty(DType::kF32, terms[i].y.shape());
    matmul(ctx, terms[i].x, terms[i].w, want);
    EXPECT_EQ(std::memcmp(want.data(), terms[i].y.data(), want.nbytes()), 0)
        << what << ": term " << i << " (" << terms[i].x.dim(0) << " rows, w " << terms[i].w.shape_string()
        << ")";
  }
}

class MatmulGroupLevel : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(MatmulGroupLevel, EqualsOneByOne) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(77);
  for (DType wtype : kGroupTypes) {
    // m = 1, 3: x prepared inside the hand-off; 8: a pass of its own; 0: nothing to do.
    for (int64_t m : {1, 3, 8, 0}) {
      const std::string what = std::string(dtype_name(wtype)) + " m=" + std::to_string(m);
      const Tensor x_wide = random_f32({m, 320 + 32}, rng);
      const Tensor x = x_wide.narrow(1, 32, 320);  // a strided view, shared by three terms
      const Tensor x2 = random_f32({m, 192}, rng),
                   x3 = random_f32({m, 320}, rng);  // x3: x's shape, other values
      std::vector<Term> terms;
      for (int64_t n : {96, 37, 250})
        terms.push_back({x, random_weight(n, 320, wtype, rng), Tensor::empty(DType::kF32, {m, n})});
      terms.push_back({x2, random_weight(70, 192, wtype, rng), Tensor::empty(DType::kF32, {m, 70})});
      terms.push_back({x3, random_weight(33, 320, wtype, rng), Tensor::empty(DType::kF32, {m, 33})});
      expect_group_equals_one_by_one(level, terms, what);
    }
  }
}

TEST_P(MatmulGroupLevel, MixedWeightTypesAndRowCounts) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(78);
  // Like a MoE layer's experts: one token's x for several experts of one type, the router in f32,
  // and a few tokens for others; then a prefill-sized term that takes the GEMM (the group runs one
  // by one).
  const Tensor token = random_f32({1, 256}, rng), tokens = random_f32({5, 256}, rng);
  std::vector<Term> decode;
  for (int e = 0; e < 6; ++e)
    decode.push_back({token, random_weight(48, 256, DType::kQ4_0, rng), Tensor::empty(DType::kF32, {1, 48})});
  decode.push_back({token, random_weight(64, 256, DType::kF32, rng), Tensor::empty(DType::kF32, {1, 64})});
  decode.push_back({tokens, random_weight(40, 256, DType::kQ8_0, rng), Tensor::empty(DType::kF32, {5, 40})});
  expect_group_equals_one_by_one(level, decode, "decode mix");

  std::vector<Term> with_prefill = decode;
  const Tensor prompt = random_f32({200, 256}, rng);
  with_prefill.push_back(
      {prompt, random_weight(24, 256, DType::kBF16, rng), Tensor::empty(DType::kF32, {200, 24})});
  expect_group_equals_one_by_one(level, with_prefill, "with a prefill term");
}

TEST_P(MatmulGroupLevel, MoreTermsThanOneGroupHolds) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  std::mt19937 rng(79);
  const Tensor x = random_f32({2, 128}, rng);
  std::vector<Term> terms;
  for (int t = 0; t < 45; ++t) {
    const int64_t n = 16 + t % 7;
    terms.push_back({x, random_weight(n, 128, kWeightTypes[t % 5], rng), Tensor::empty(DType::kF32, {2, n})});
  }
  expect_group_equals_one_by_one(level, terms, "45 terms");
}

INSTANTIATE_TEST_SUITE_P(Levels, MatmulGroupLevel,
                         ::testing::Values(KernelLevel::kScalar, KernelLevel::kAvx2, KernelLevel::kAvx512),
                         level_param_name);

TEST_P(MatmulGroupLevel, EmptyInputGivesZeros) {
  const KernelLevel level = GetParam();
  SKIP_IF_UNAVAILABLE(level);
  const Tensor x = Tensor::empty(DType::kF32, {2, 0}), w = Tensor::empty(DType::kF32, {5, 0});
  std::vector<Term> terms = {{x, w, Tensor::empty(DType::kF32, {2, 5})}};
  expect_group_equals_one_by_one(level, terms, "k = 0");
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(terms[0].y.data_as<float>()[i], 0.0f);
}

TEST(MatmulGroup, RejectsBadShapes) {
  std::mt19937 rng(80);
  const Tensor x = random_f32({2, 64}, rng);
  const Tensor w = random_weight(3, 64, DType::kQ8_0, rng), w_bad = random_weight(3, 96, DType::kQ8_0, rng);
  Tensor y = Tensor::empty(DType::kF32, {2, 3}), y2 = Tensor::empty(DType::kF32, {2, 3});
  const KernelContext ctx = env().context(best_kernel_level());
  EXPECT_THROW(matmul_group(ctx, {{&x, &w, &y}, {&x, &w_bad, &y2}}), Error);
}

TEST(MatmulGroupDeathTest, RejectsAnOutputThatAnotherTermReads) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // the kernel pool's threads are running
  std::mt19937 rng(81);
  Tensor a = random_f32({1, 64}, rng);
  const Tensor w = random_weight(64, 64, DType::kQ4_0, rng);
  Tensor b = Tensor::empty(DType::kF32, {1, 64});
  const KernelContext ctx = env().context(best_kernel_level());
  // b = a · wᵀ and a = b · wᵀ cannot run at the same time.
  EXPECT_DEATH(matmul_group(ctx, {{&a, &w, &b}, {&b, &w, &a}}), "overlaps");
}

}  // namespace
}  // namespace seek::kernels::test
