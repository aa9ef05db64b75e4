// TrainModel is the plain path of the one model: its logits must equal Model::forward's (naive MLA,
// token by token through the cache) on the same checkpoint, for DeepSeek-V3-style and Qwen2-style
// models, with several sequences in one batch. Saving and reloading gives the same parameters.
#include <gtest/gtest.h>

#include "common/compare.h"
#include "common/tiny_model.h"
#include "model/model.h"
#include "train/train_model.h"

namespace seek::train {
namespace {

nlohmann::json tiny_qwen2_config() {
  return {{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"}, {"vocab_size", 80},
          {"hidden_size", 48}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
          {"num_attention_heads", 6}, {"num_key_value_heads", 2}, {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000.0}, {"max_position_embeddings", 512}, {"tie_word_embeddings", false}};
}

std::vector<int32_t> some_tokens(int64_t n, int64_t vocab, int seed) {
  std::vector<int32_t> t;
  for (int64_t i = 0; i < n; ++i) t.push_back(static_cast<int32_t>((i * 37 + seed * 11 + i * i) % vocab));
  return t;
}

// Logits of each sequence through the inference model, one forward per sequence.
std::vector<float> inference_logits(const std::string& dir, const std::vector<int32_t>& tokens, int64_t batch, int64_t seq) {
  RunSettings rs;
  rs.num_threads = 2;
  rs.max_batch_tokens = seq;
  rs.mla_form = MlaForm::kNaive;
  auto model = Model::load(dir, rs);
  const int64_t V = model->config().vocab_size;
  std::vector<float> out(static_cast<size_t>(batch * seq * V));
  for (int64_t b = 0; b < batch; ++b) {
    KvCache cache = model->new_cache();
    model->forward(tokens.data() + b * seq, seq, cache, out.data() + b * seq * V, true);
  }
  return out;
}

void expect_same_logits(const nlohmann::json& config, const std::string& name) {
  const std::string dir = test::write_model(config, name);
  auto tm = TrainModel::load(dir, 2);
  const int64_t B = 2, T = 11, V = tm->config().vocab_size;
  const std::vector<int32_t> tokens = some_tokens(B * T, V, 3);
  const Tensor got = tm->logits(TrainBatch::next_token(B, T, tokens));
  const std::vector<float> want = inference_logits(dir, tokens, B, T);
  ASSERT_EQ(got.numel(), static_cast<int64_t>(want.size()));
  EXPECT_TRUE(test::all_close(got.data_as<float>(), want.data(), got.numel(), {.rel_l2 = 1e-5}));
}

TEST(TrainModel, LogitsEqualInferenceDeepSeekV3) { expect_same_logits(test::tiny_v3_config(), "train_v3"); }

TEST(TrainModel, LogitsEqualInferenceQwen2) { expect_same_logits(tiny_qwen2_config(), "train_qwen2"); }

TEST(TrainModel, SaveAndLoadRoundTrip) {
  TrainModel m(config_from_hf_json(test::tiny_v3_config().dump(), "tiny"), 1);
  m.init_random(5);
  const std::string dir = ::testing::TempDir() + "seek_train_roundtrip";
  m.save(dir);
  auto back = TrainModel::load(dir, 1);
  ASSERT_EQ(back->parameters().size(), m.parameters().size());
  for (size_t i = 0; i < m.parameters().size(); ++i) {
    const Parameter& a = m.parameters()[i];
    const Parameter& b = back->parameters()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(0, std::memcmp(a.value.data(), b.value.data(), a.value.nbytes())) << a.name;
  }
}

TEST(TrainModel, LossIsFiniteAndGradientsReachEveryTrainedTensor) {
  TrainModel m(config_from_hf_json(test::tiny_v3_config().dump(), "tiny"), 2);
  m.init_random(7, 0.1f);
  const TrainBatch batch = TrainBatch::next_token(2, 9, some_tokens(18, 96, 1));
  const StepLosses l = m.forward_backward(batch, {.mtp_lambda = 0.3f, .balance_alpha = 0.01f});
  EXPECT_TRUE(std::isfinite(l.total));
  EXPECT_GT(l.mtp, 0.0);
  EXPECT_GT(l.balance, 0.0);
  ASSERT_EQ(l.expert_counts.size(), 2u);  // layer 1 and the MTP block
  int64_t slots = 0;
  for (int64_t c : l.expert_counts[0]) slots += c;
  EXPECT_EQ(slots, 18 * 3);
  for (const Parameter& p : m.parameters()) {
    if (!p.trainable) continue;
    double norm = 0.0;
    for (int64_t i = 0; i < p.grad.numel(); ++i) norm += std::abs(p.grad.data_as<float>()[i]);
    // Unchosen experts may get nothing; everything else must.
    if (p.name.find(".experts.") == std::string::npos) {
      EXPECT_GT(norm, 0.0) << p.name;
    }
  }
}

TEST(TrainModel, Bf16ForwardStaysCloseToF32AndKeepsF32Gradients) {
  TrainModel m(config_from_hf_json(test::tiny_v3_config().dump(), "tiny"), 2);
  m.init_random(3, 0.1f);
  const TrainBatch batch = TrainBatch::next_token(2, 20, some_tokens(40, 96, 2));
  const LossWeights w{.mtp_lambda = 0.3f, .balance_alpha = 0.01f};
  const StepLosses f32 = m.evaluate(batch, w);
  m.set_bf16(true);
  m.zero_grad();
  const StepLosses bf = m.forward_backward(batch, w);
  EXPECT_NEAR(bf.ce, f32.ce, 2e-2 * f32.ce);
  EXPECT_NEAR(bf.mtp, f32.mtp, 2e-2 * f32.mtp);
  // The master weights are untouched f32 and receive the gradient.
  EXPECT_EQ(m.parameter("model.layers.0.mlp.up_proj.weight").value.dtype(), DType::kF32);
  double norm = 0.0;
  const Tensor& g = m.parameter("model.layers.0.mlp.up_proj.weight").grad;
  for (int64_t i = 0; i < g.numel(); ++i) norm += std::abs(g.data_as<float>()[i]);
  EXPECT_GT(norm, 0.0);
}

}  // namespace
}  // namespace seek::train
