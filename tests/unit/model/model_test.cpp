// The model on checkpoints this test writes itself (random weights, every tensor of
// model_tensor_specs): loading, the errors a broken file gives, and the equalities that must hold
// whatever the weights: naive MLA == absorbed MLA, one forward over n tokens == n one-token forwards
// through the cache, and the router's rules.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "common/compare.h"
#include "common/tiny_model.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "formats/safetensors.h"
#include "model/model.h"
#include "model/moe_router.h"
#include "model/tensor_specs.h"

namespace seek {
namespace {

using test::tiny_v3_config;
using test::write_model;

std::vector<float> run(Model& m, const std::vector<int32_t>& tokens, int64_t chunk) {
  KvCache cache = m.new_cache();
  const int64_t vocab = m.config().vocab_size, n = static_cast<int64_t>(tokens.size());
  std::vector<float> logits(static_cast<size_t>(n * vocab));
  for (int64_t i = 0; i < n; i += chunk) {
    const int64_t len = std::min(chunk, n - i);
    m.forward(tokens.data() + i, len, cache, logits.data() + i * vocab, true);
  }
  return logits;
}

// Two threads, a 32-token context, batch_tokens tokens a pass.
RunSettings small_settings(int64_t batch_tokens) {
  RunSettings s;
  s.num_threads = 2;
  s.max_context = 32;
  s.max_batch_tokens = batch_tokens;
  return s;
}

const std::vector<int32_t> kTokens = {5, 17, 3, 90, 44, 44, 8, 61, 2, 77, 31, 12};

TEST(Model, NaiveAndAbsorbedMlaAgree) {
  const std::string dir = write_model(tiny_v3_config(), "forms");
  RunSettings s = small_settings(16);
  s.mla_form = MlaForm::kNaive;
  std::unique_ptr<Model> m = Model::load(dir, s);
  const std::vector<float> naive = run(*m, kTokens, 16);
  m->set_mla_form(MlaForm::kAbsorbed);
  const std::vector<float> absorbed = run(*m, kTokens, 16);
  EXPECT_TRUE(test::all_close(absorbed.data(), naive.data(), static_cast<int64_t>(naive.size()), {.rel_l2 = 1e-5}));
}

TEST(Model, IncrementalDecodeMatchesOnePass) {
  const std::string dir = write_model(tiny_v3_config(), "incremental");
  RunSettings s = small_settings(16);
  for (MlaForm form : {MlaForm::kNaive, MlaForm::kAbsorbed}) {
    s.mla_form = form;
    std::unique_ptr<Model> m = Model::load(dir, s);
    const std::vector<float> whole = run(*m, kTokens, 16);
    for (int64_t chunk : {1, 5}) {
      const std::vector<float> pieces = run(*m, kTokens, chunk);
      EXPECT_TRUE(test::all_close(pieces.data(), whole.data(), static_cast<int64_t>(whole.size()), {.rel_l2 = 1e-5}))
          << "chunk " << chunk;
    }
  }
}

// Several sequences in one pass (different lengths, different cache positions) give each the logits
// it gets alone.
TEST(Model, BatchedSequencesMatchSingle) {
  const std::string dir = write_model(tiny_v3_config(), "batched");
  RunSettings s = small_settings(24);
  for (MlaForm form : {MlaForm::kNaive, MlaForm::kAbsorbed}) {
    s.mla_form = form;
    std::unique_ptr<Model> m = Model::load(dir, s);
    const int64_t vocab = m->config().vocab_size;
    const std::vector<std::vector<int32_t>> prompts = {{5, 17, 3}, {90, 44, 44, 8, 61, 2, 77}, {31}};
    // Alone: prefill, then one decode step with token 9.
    std::vector<std::vector<float>> alone_prefill, alone_step;
    for (const auto& p : prompts) {
      KvCache cache = m->new_cache();
      std::vector<float> all(p.size() * static_cast<size_t>(vocab)), step(static_cast<size_t>(vocab));
      m->forward(p.data(), static_cast<int64_t>(p.size()), cache, all.data(), true);
      const int32_t next = 9;
      m->forward(&next, 1, cache, step.data(), false);
      alone_prefill.push_back(all);
      alone_step.push_back(step);
    }
    // Together.
    std::vector<KvCache> caches;
    for (size_t i = 0; i < prompts.size(); ++i) caches.push_back(m->new_cache());
    std::vector<std::vector<float>> prefill(prompts.size()), step(prompts.size());
    std::vector<Model::SequenceInput> inputs;
    for (size_t i = 0; i < prompts.size(); ++i) {
      prefill[i].resize(prompts[i].size() * static_cast<size_t>(vocab));
      inputs.push_back({prompts[i].data(), static_cast<int64_t>(prompts[i].size()), &caches[i], prefill[i].data(), true});
    }
    m->forward_batch(inputs);
    const int32_t next = 9;
    inputs.clear();
    for (size_t i = 0; i < prompts.size(); ++i) {
      step[i].resize(static_cast<size_t>(vocab));
      inputs.push_back({&next, 1, &caches[i], step[i].data(), false});
    }
    m->forward_batch(inputs);
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_TRUE(test::all_close(prefill[i].data(), alone_prefill[i].data(), static_cast<int64_t>(prefill[i].size()),
                                  {.rel_l2 = 1e-5})) << "prefill of sequence " << i;
      EXPECT_TRUE(test::all_close(step[i].data(), alone_step[i].data(), vocab, {.rel_l2 = 1e-5})) << "step of sequence " << i;
      EXPECT_EQ(caches[i].length(), static_cast<int64_t>(prompts[i].size()) + 1);
    }
  }
}

// A MoE layer's experts as two groups of products (decode, batched decode) give the logits of the
// expert-by-expert loop bit for bit: the same products, and each token adds its experts in the same order.
TEST(Model, GroupedExpertsMatchExpertByExpert) {
  const std::string dir = write_model(tiny_v3_config(), "grouped");
  RunSettings s = small_settings(24);
  std::unique_ptr<Model> grouped = Model::load(dir, s);
  s.moe_group_rows = 0;
  std::unique_ptr<Model> one_by_one = Model::load(dir, s);
  ASSERT_TRUE(grouped->config().has_moe());
  const int64_t vocab = grouped->config().vocab_size;
  const std::vector<std::vector<int32_t>> prompts = {{5, 17, 3}, {90, 44, 44, 8}, {31}};
  std::vector<std::vector<float>> logits[2];
  Model* models[2] = {grouped.get(), one_by_one.get()};
  for (int which = 0; which < 2; ++which) {
    Model& m = *models[which];
    std::vector<KvCache> caches;
    for (size_t i = 0; i < prompts.size(); ++i) caches.push_back(m.new_cache());
    std::vector<std::vector<float>>& out = logits[which];
    out.assign(prompts.size() * 3, std::vector<float>(static_cast<size_t>(8 * vocab)));
    std::vector<Model::SequenceInput> inputs;
    for (size_t i = 0; i < prompts.size(); ++i) {  // prefill: 8 rows x (top-k + shared)
      const int64_t len = static_cast<int64_t>(prompts[i].size());
      inputs.push_back({prompts[i].data(), len, &caches[i], out[i].data(), true});
    }
    m.forward_batch(inputs);
    const int32_t next[3] = {9, 4, 60};
    inputs.clear();
    for (size_t i = 0; i < prompts.size(); ++i)  // batched decode
      inputs.push_back({&next[i], 1, &caches[i], out[prompts.size() + i].data(), false});
    m.forward_batch(inputs);
    m.forward(&next[0], 1, caches[0], out[2 * prompts.size()].data(), false);  // one token
  }
  for (size_t i = 0; i < logits[0].size(); ++i)
    EXPECT_EQ(logits[0][i], logits[1][i]) << "pass " << i / prompts.size() << ", row " << i % prompts.size();
}

// A bf16 cache halves the bytes per token and moves logits only by bf16 rounding of the cached
// latent / keys and values.
TEST(Model, Bf16KvCacheIsCloseAndHalfTheSize) {
  const std::string dir = write_model(tiny_v3_config(), "bf16cache");
  RunSettings s = small_settings(16);
  for (MlaForm form : {MlaForm::kNaive, MlaForm::kAbsorbed}) {
    s.mla_form = form;
    s.kv_cache_type = DType::kF32;
    std::unique_ptr<Model> m32 = Model::load(dir, s);
    s.kv_cache_type = DType::kBF16;
    std::unique_ptr<Model> m16 = Model::load(dir, s);
    const std::vector<float> want = run(*m32, kTokens, 5), got = run(*m16, kTokens, 5);
    EXPECT_TRUE(test::all_close(got.data(), want.data(), static_cast<int64_t>(want.size()), {.rel_l2 = 2e-2}));
    EXPECT_EQ(m16->new_cache().bytes_per_token() * 2, m32->new_cache().bytes_per_token());
  }
  // 576 values per token per layer for V3-style MLA: (kv_lora_rank 32 + rope 8) x 3 layers (with MTP) here.
  EXPECT_EQ(Model::load(dir, s)->new_cache().bytes_per_token(), 3u * (32 + 8) * 2);
}

TEST(Model, MissingTensorIsNamed) {
  const std::string dir = write_model(tiny_v3_config(), "missing", "model.layers.1.mlp.experts.3.up_proj.weight");
  try {
    Model::load(dir, RunSettings{});
    FAIL() << "loaded a model with a missing tensor";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("model.layers.1.mlp.experts.3.up_proj.weight"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[32, 64]"), std::string::npos) << msg;
  }
}

TEST(Model, WrongShapeIsNamed) {
  const std::string dir = write_model(tiny_v3_config(), "shape", "", "model.layers.0.self_attn.kv_b_proj.weight");
  try {
    Model::load(dir, RunSettings{});
    FAIL() << "loaded a model with a wrong shape";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("kv_b_proj"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[129, 32]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected [128, 32]"), std::string::npos) << msg;
  }
}

TEST(Model, MissingModelPathIsNamed) {
  try {
    Model::load("/nonexistent/seek-model", RunSettings{});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/seek-model"), std::string::npos);
  }
}

TEST(Router, V3GroupLimitedSigmoidWithBias) {
  ModelConfig c = config_from_hf_json(tiny_v3_config().dump(), "test");
  // 8 experts in 4 groups of 2. Selection scores = sigmoid + bias; group score = sum of its top 2.
  const float logits[8] = {0.0f, 0.0f, 3.0f, -3.0f, 1.0f, 1.0f, -1.0f, 2.0f};
  const float bias[8] = {0.5f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
  float scratch[64];
  int32_t idx[3];
  float w[3];
  route_token(c, logits, bias, scratch, idx, w);
  // group sums: g0 = 2·(0.5+0.5) = 2.0, g1 = σ(3)+σ(-3) = 1.0, g2 = 2σ(1) = 1.46, g3 = σ(-1)+σ(2) = 1.15
  // keep g0, g2 -> experts 0,1,4,5; top-3 by s' = 1.0, 1.0, 0.731 -> 0, 1, 4 (ties to the lower index)
  EXPECT_EQ(idx[0], 0);
  EXPECT_EQ(idx[1], 1);
  EXPECT_EQ(idx[2], 4);
  // weights use the un-biased scores, normalised, times 2.5
  const float s0 = 0.5f, s4 = 1.0f / (1.0f + std::exp(-1.0f));
  EXPECT_NEAR(w[0], 2.5f * s0 / (2 * s0 + s4), 1e-6f);
  EXPECT_NEAR(w[2], 2.5f * s4 / (2 * s0 + s4), 1e-6f);
}

TEST(Router, V2SoftmaxGreedyUnnormalised) {
  nlohmann::json j = tiny_v3_config();
  j["architectures"] = {"DeepseekV2ForCausalLM"};
  j["model_type"] = "deepseek_v2";
  j["scoring_func"] = "softmax";
  j["topk_method"] = "greedy";
  j["n_group"] = 1;
  j["topk_group"] = 1;
  j["norm_topk_prob"] = false;
  j["routed_scaling_factor"] = 16.0;
  j["num_experts_per_tok"] = 2;
  j.erase("num_nextn_predict_layers");
  j["bos_token_id"] = 0;  // V2's defaults (100000/100001) lie outside this tiny vocabulary
  j["eos_token_id"] = 1;
  const ModelConfig c = config_from_hf_json(j.dump(), "test");
  const float logits[8] = {0, 1, 2, 3, 0, 0, 0, 0};
  float scratch[64], w[2];
  int32_t idx[2];
  route_token(c, logits, nullptr, scratch, idx, w);
  double z = 0;
  for (float l : logits) z += std::exp(l);
  EXPECT_EQ(idx[0], 3);
  EXPECT_EQ(idx[1], 2);
  EXPECT_NEAR(w[0], 16.0 * std::exp(3.0) / z, 1e-5);
  EXPECT_NEAR(w[1], 16.0 * std::exp(2.0) / z, 1e-5);
}

}  // namespace
}  // namespace seek
