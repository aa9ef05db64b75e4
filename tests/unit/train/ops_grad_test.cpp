// Every differentiable op's backward against central finite differences of its forward.
//
// The loss is L = Σ r ⊙ op(inputs) for a fixed random r, so dL/d(output) = r exercises every output
// element. For each input, up to kProbes coordinates are perturbed by ±eps in f32; the analytic and
// numeric gradients over those coordinates must agree to a relative L2 error of 1e-2 (f32 central
// differences with eps 1e-2 are accurate to ~1e-4 on these smooth ops; the bound leaves room).
#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "common/compare.h"
#include "core/arena.h"
#include "core/thread_pool.h"
#include "train/ops.h"

namespace seek::train {
namespace {

constexpr int kProbes = 40;
constexpr float kEps = 1e-2f;

using Builder = std::function<Var(Tape&, const std::vector<Var>&)>;

Tensor random_tensor(std::vector<int64_t> shape, uint64_t seed, float scale = 1.0f) {
  Tensor x = Tensor::empty(DType::kF32, shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = dist(rng);
  return x;
}

struct Fixture {
  ThreadPool pool{2};
  Arena arena{size_t{64} << 20};
  kernels::KernelContext ctx{&pool, &arena, best_kernel_level()};
};

// Checks d(Σ r ⊙ build(inputs))/d(inputs[i]) for every i in `differentiable` (default: all).
void check_grads(const std::string& what, std::vector<Tensor> inputs, const Builder& build,
                 std::vector<int> differentiable = {}) {
  Fixture fx;
  if (differentiable.empty())
    for (size_t i = 0; i < inputs.size(); ++i) differentiable.push_back(static_cast<int>(i));
  std::vector<Tensor> grads;
  for (const Tensor& in : inputs) grads.push_back(Tensor::empty(DType::kF32, in.shape()));
  Tape tape(fx.ctx);
  std::vector<Var> vars;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const bool diff = std::find(differentiable.begin(), differentiable.end(), static_cast<int>(i)) != differentiable.end();
    vars.push_back(diff ? tape.parameter(inputs[i], &grads[i]) : tape.constant(inputs[i]));
  }
  const Var y = build(tape, vars);
  const Tensor r = random_tensor(tape.value(y).shape(), 99);
  tape.backward(y, r);

  auto loss = [&] {
    Tape t(fx.ctx);
    std::vector<Var> vs;
    for (const Tensor& in : inputs) vs.push_back(t.constant(in));
    const Tensor& out = t.value(build(t, vs));
    double l = 0.0;
    for (int64_t j = 0; j < out.numel(); ++j) l += static_cast<double>(out.data_as<float>()[j]) * r.data_as<float>()[j];
    return l;
  };
  for (int i : differentiable) {
    Tensor& x = inputs[static_cast<size_t>(i)];
    std::vector<float> analytic, numeric;
    std::mt19937 rng(static_cast<uint32_t>(7 + i));
    const int64_t n = x.numel();
    for (int p = 0; p < std::min<int64_t>(kProbes, n); ++p) {
      const int64_t c = n <= kProbes ? p : static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
      float* v = x.data_as<float>() + c;
      const float saved = *v;
      *v = saved + kEps;
      const double lp = loss();
      *v = saved - kEps;
      const double lm = loss();
      *v = saved;
      numeric.push_back(static_cast<float>((lp - lm) / (2.0 * kEps)));
      analytic.push_back(grads[static_cast<size_t>(i)].data_as<float>()[c]);
    }
    SCOPED_TRACE(what + ": input " + std::to_string(i));
    EXPECT_TRUE(test::all_close(analytic.data(), numeric.data(), static_cast<int64_t>(numeric.size()), {.rel_l2 = 1e-2}));
  }
}

TEST(OpsGrad, Matmul) {
  check_grads("matmul", {random_tensor({5, 7}, 1), random_tensor({6, 7}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return matmul(t, v[0], v[1]); });
  // Large enough for the packed GEMM path in both directions.
  check_grads("matmul big", {random_tensor({70, 96}, 3, 0.3f), random_tensor({64, 96}, 4, 0.3f)},
              [](Tape& t, const std::vector<Var>& v) { return matmul(t, v[0], v[1]); });
}

TEST(OpsGrad, AddAndBias) {
  check_grads("add", {random_tensor({4, 6}, 1), random_tensor({4, 6}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return add(t, v[0], v[1]); });
  check_grads("add_bias", {random_tensor({4, 6}, 1), random_tensor({6}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return add_bias(t, v[0], v[1]); });
}

TEST(OpsGrad, RmsNorm) {
  check_grads("rmsnorm", {random_tensor({5, 24}, 1), random_tensor({24}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return rmsnorm(t, v[0], v[1], 1e-6f); });
}

TEST(OpsGrad, SwiGlu) {
  check_grads("swiglu", {random_tensor({4, 9}, 1, 2.0f), random_tensor({4, 9}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return swiglu(t, v[0], v[1]); });
}

TEST(OpsGrad, EmbeddingWithRepeatedIds) {
  const std::vector<int32_t> ids = {3, 0, 3, 5, 1, 3};
  check_grads("embedding", {random_tensor({7, 5}, 1)},
              [&](Tape& t, const std::vector<Var>& v) { return embedding(t, v[0], ids); });
}

TEST(OpsGrad, RopeOnAColumnRangeBothStyles) {
  Tensor positions = Tensor::empty(DType::kI32, {4});
  for (int i = 0; i < 4; ++i) positions.data_as<int32_t>()[i] = 3 * i + 1;
  Tensor freqs = random_tensor({3}, 5, 0.5f);
  for (kernels::RopeStyle style : {kernels::RopeStyle::kInterleaved, kernels::RopeStyle::kHalf})
    check_grads("rope", {random_tensor({4, 3 * 10}, 1)}, [&](Tape& t, const std::vector<Var>& v) {
      return rope(t, v[0], 3, 4, positions, freqs, {style, 0.8f});
    });
}

TEST(OpsGrad, SliceConcatGather) {
  check_grads("slice", {random_tensor({3, 8}, 1)},
              [](Tape& t, const std::vector<Var>& v) { return slice_cols(t, v[0], 2, 5); });
  check_grads("concat", {random_tensor({3, 4}, 1), random_tensor({3, 2}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return concat_cols(t, v[0], v[1]); });
  check_grads("gather", {random_tensor({5, 3}, 1)},
              [](Tape& t, const std::vector<Var>& v) { return gather_rows(t, v[0], {4, 0, 4, 2}); });
}

TEST(OpsGrad, MlaKeysValues) {
  // 2 heads, nope 3, v 4, rope 2: check k and v through one combined output.
  for (int which = 0; which < 2; ++which)
    check_grads("mla_keys_values", {random_tensor({3, 2 * 7}, 1), random_tensor({3, 2}, 2)},
                [which](Tape& t, const std::vector<Var>& v) {
                  const KeysValues kv = mla_keys_values(t, v[0], v[1], 2, 3, 4);
                  return which == 0 ? kv.k : kv.v;
                });
}

// Both forms: the probabilities kept from the forward pass (GEMM forward), and recomputed by the
// backward pass (flash-kernel forward, as for layers too large to keep them).
TEST(OpsGrad, AttentionGqaAndMha) {
  for (const bool recompute : {false, true}) {
    SCOPED_TRACE(recompute ? "recomputed probabilities" : "kept probabilities");
    const AttentionShape gqa{.batch = 2, .seq = 5, .heads = 4, .kv_heads = 2, .dk = 6, .dv = 5, .scale = 0.4f, .recompute = recompute};
    check_grads("attention gqa", {random_tensor({10, 24}, 1), random_tensor({10, 12}, 2), random_tensor({10, 10}, 3)},
                [&](Tape& t, const std::vector<Var>& v) { return attention(t, v[0], v[1], v[2], gqa); });
    const AttentionShape mha{.batch = 1, .seq = 7, .heads = 3, .kv_heads = 3, .dk = 8, .dv = 4, .scale = 0.35f, .recompute = recompute};
    check_grads("attention mha", {random_tensor({7, 24}, 4), random_tensor({7, 24}, 5), random_tensor({7, 12}, 6)},
                [&](Tape& t, const std::vector<Var>& v) { return attention(t, v[0], v[1], v[2], mha); });
    // Longer than one 64-row block of the products (three blocks, the last one partial).
    const AttentionShape longer{.batch = 1, .seq = 150, .heads = 2, .kv_heads = 1, .dk = 8, .dv = 4, .scale = 0.35f, .recompute = recompute};
    check_grads("attention long", {random_tensor({150, 16}, 7), random_tensor({150, 8}, 8), random_tensor({150, 4}, 9)},
                [&](Tape& t, const std::vector<Var>& v) { return attention(t, v[0], v[1], v[2], longer); });
  }
}

// The two forward forms give the same output.
TEST(OpsGrad, AttentionForwardFormsAgree) {
  const AttentionShape kept{.batch = 2, .seq = 150, .heads = 4, .kv_heads = 2, .dk = 8, .dv = 6, .scale = 0.35f};
  AttentionShape recomputed = kept;
  recomputed.recompute = true;
  const Tensor q = random_tensor({300, 32}, 11), k = random_tensor({300, 16}, 12), v = random_tensor({300, 12}, 13);
  std::vector<float> outs[2];
  for (int form = 0; form < 2; ++form) {
    Fixture fx;
    Tape t(fx.ctx);
    Tensor gq = Tensor::empty(DType::kF32, q.shape()), gk = Tensor::empty(DType::kF32, k.shape()), gv = Tensor::empty(DType::kF32, v.shape());
    const Var o = attention(t, t.parameter(q, &gq), t.parameter(k, &gk), t.parameter(v, &gv), form == 0 ? kept : recomputed);
    const Tensor& ov = t.value(o);
    outs[form].assign(ov.data_as<float>(), ov.data_as<float>() + ov.numel());
  }
  ASSERT_EQ(outs[0].size(), outs[1].size());
  for (size_t i = 0; i < outs[0].size(); ++i) ASSERT_NEAR(outs[0][i], outs[1][i], 1e-5f) << "element " << i;
}

TEST(OpsGrad, CrossEntropyIgnoresMinusOne) {
  const std::vector<int32_t> targets = {2, -1, 0, 6, 6};
  check_grads("cross_entropy", {random_tensor({5, 7}, 1, 2.0f)},
              [&](Tape& t, const std::vector<Var>& v) { return cross_entropy(t, v[0], targets); });
  // The value itself: -log softmax at the targets, averaged over the 4 counted rows.
  Fixture fx;
  Tape t(fx.ctx);
  const Tensor logits = random_tensor({5, 7}, 1, 2.0f);
  const float got = t.value(cross_entropy(t, t.constant(logits), targets)).data_as<float>()[0];
  double want = 0.0;
  for (int i = 0; i < 5; ++i) {
    if (targets[static_cast<size_t>(i)] < 0) continue;
    double sum = 0.0;
    for (int j = 0; j < 7; ++j) sum += std::exp(static_cast<double>(logits.data_as<float>()[i * 7 + j]));
    want += std::log(sum) - logits.data_as<float>()[i * 7 + targets[static_cast<size_t>(i)]];
  }
  EXPECT_NEAR(got, want / 4.0, 1e-5);
  // A target whose probability underflows (e^-100 / 2) still gets its exact loss, log(2 + e^-100) + 100.
  Tensor far = Tensor::empty(DType::kF32, {1, 3});
  far.data_as<float>()[0] = 0.0f;
  far.data_as<float>()[1] = 0.0f;
  far.data_as<float>()[2] = -100.0f;
  const std::vector<int32_t> last = {2};
  EXPECT_NEAR(t.value(cross_entropy(t, t.constant(far), last)).data_as<float>()[0], 100.0 + std::log(2.0), 1e-4);
}

TEST(OpsGrad, RouterScoresAndGates) {
  for (ScoringFunc func : {ScoringFunc::kSoftmax, ScoringFunc::kSigmoid})
    check_grads("router_scores", {random_tensor({3, 6}, 1)},
                [func](Tape& t, const std::vector<Var>& v) { return router_scores(t, v[0], func); });
  const std::vector<int32_t> idx = {1, 4, 0, 2, 5, 3};  // 3 tokens x top-2
  Tensor scores = random_tensor({3, 6}, 2);
  for (int64_t i = 0; i < scores.numel(); ++i) scores.data_as<float>()[i] = 0.2f + std::abs(scores.data_as<float>()[i]);
  for (bool normalize : {false, true})
    check_grads("gate_weights", {scores}, [&](Tape& t, const std::vector<Var>& v) {
      return gate_weights(t, v[0], idx, 2, normalize, 2.5f);
    });
}

TEST(OpsGrad, MoeCombine) {
  // 3 tokens, k = 2, d = 4; expert 0 got slots {0, 3}, expert 1 {1, 2, 5}, expert 2 {4}.
  const std::vector<std::vector<int32_t>> slots = {{0, 3}, {1, 2, 5}, {4}};
  check_grads("moe_combine", {random_tensor({2, 4}, 1), random_tensor({3, 4}, 2), random_tensor({1, 4}, 3), random_tensor({3, 2}, 4)},
              [&](Tape& t, const std::vector<Var>& v) { return moe_combine(t, {v[0], v[1], v[2]}, slots, v[3], 3, 4, 2); });
}

TEST(OpsGrad, BalanceLoss) {
  const std::vector<int32_t> idx = {0, 1, 1, 2, 3, 1, 0, 3, 2, 2, 1, 0};  // 2 sequences x 3 tokens x top-2
  Tensor scores = random_tensor({6, 4}, 3);
  for (int64_t i = 0; i < scores.numel(); ++i) scores.data_as<float>()[i] = 0.1f + std::abs(scores.data_as<float>()[i]);
  check_grads("balance_loss", {scores},
              [&](Tape& t, const std::vector<Var>& v) { return balance_loss(t, v[0], idx, 2, 3, 2); });
}

TEST(OpsGrad, WeightedSum) {
  check_grads("weighted_sum", {random_tensor({1}, 1), random_tensor({1}, 2)},
              [](Tape& t, const std::vector<Var>& v) { return weighted_sum(t, {v[0], v[1]}, {0.5f, -2.0f}); });
}

}  // namespace
}  // namespace seek::train
