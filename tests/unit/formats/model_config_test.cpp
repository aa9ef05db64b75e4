// HF config.json parsing: the real configs of architecture.md 7 (tests/data/configs), defaults,
// validation messages, and the config -> JSON -> config round trip.
#include "formats/model_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/mmap_file.h"
#include "formats_test_util.h"

namespace seek {
namespace {

std::string config_path(const std::string& name) {
  return (std::filesystem::path(__FILE__).parent_path() / "../../data/configs" / name)
      .lexically_normal()
      .string();
}

ModelConfig load(const std::string& name) { return config_from_hf_json(read_file(config_path(name)), name); }

// A real config with some top-level keys replaced (a null value sets JSON null) or erased.
ModelConfig load_edited(const std::string& name, const nlohmann::json& patch,
                        const std::vector<std::string>& erase = {}) {
  nlohmann::json j = nlohmann::json::parse(read_file(config_path(name)));
  if (patch.is_object())
    for (const auto& [key, value] : patch.items()) j[key] = value;
  for (const auto& key : erase) j.erase(key);
  return config_from_hf_json(j.dump(), "config.json");
}

TEST(ModelConfig, DeepSeekV2Lite) {
  const ModelConfig c = load("deepseek-v2-lite.json");
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV2);
  EXPECT_TRUE(c.has_mla());
  EXPECT_TRUE(c.has_moe());
  EXPECT_EQ(c.hidden_size, 2048);
  EXPECT_EQ(c.num_hidden_layers, 27);
  EXPECT_EQ(c.num_attention_heads, 16);
  EXPECT_EQ(c.q_lora_rank, std::nullopt);
  EXPECT_EQ(c.kv_lora_rank, 512);
  EXPECT_EQ(c.qk_head_dim(), 192);
  EXPECT_EQ(c.v_head_dim, 128);
  EXPECT_EQ(c.intermediate_size, 10944);
  EXPECT_EQ(c.n_routed_experts, 64);
  EXPECT_EQ(c.n_shared_experts, 2);
  EXPECT_EQ(c.num_experts_per_tok, 6);
  EXPECT_EQ(c.moe_intermediate_size, 1408);
  EXPECT_EQ(c.scoring_func, ScoringFunc::kSoftmax);
  EXPECT_EQ(c.topk_method, TopkMethod::kGreedy);
  EXPECT_FALSE(c.norm_topk_prob);
  EXPECT_EQ(c.vocab_size, 102400);
  EXPECT_EQ(c.bos_token_id, 100000);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{100001}));
  EXPECT_EQ(c.rope_scaling.type, RopeScalingType::kYarn);
  EXPECT_EQ(c.rope_scaling.factor, 40);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 4096);
  EXPECT_EQ(c.rope_scaling.mscale_all_dim, 0.707);
  EXPECT_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_EQ(c.num_nextn_predict_layers, 0);
  EXPECT_FALSE(c.is_moe_layer(0));
  EXPECT_TRUE(c.is_moe_layer(1));
  EXPECT_TRUE(c.is_moe_layer(26));
  EXPECT_EQ(c.torch_dtype, "bfloat16");
}

TEST(ModelConfig, DeepSeekV2) {
  const ModelConfig c = load("deepseek-v2.json");
  EXPECT_EQ(c.q_lora_rank, 1536);
  EXPECT_EQ(c.n_routed_experts, 160);
  EXPECT_EQ(c.topk_method, TopkMethod::kGroupLimitedGreedy);
  EXPECT_EQ(c.n_group, 8);
  EXPECT_EQ(c.topk_group, 3);
  EXPECT_EQ(c.routed_scaling_factor, 16.0);
}

TEST(ModelConfig, DeepSeekV3WithFp8) {
  const ModelConfig c = load("deepseek-v3.json");
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV3);
  EXPECT_EQ(c.hidden_size, 7168);
  EXPECT_EQ(c.num_hidden_layers, 61);
  EXPECT_EQ(c.first_k_dense_replace, 3);
  EXPECT_FALSE(c.is_moe_layer(2));
  EXPECT_TRUE(c.is_moe_layer(3));
  EXPECT_EQ(c.n_routed_experts, 256);
  EXPECT_EQ(c.num_experts_per_tok, 8);
  EXPECT_EQ(c.scoring_func, ScoringFunc::kSigmoid);
  EXPECT_EQ(c.topk_method, TopkMethod::kNoauxTc);
  EXPECT_EQ(c.topk_group, 4);
  EXPECT_TRUE(c.norm_topk_prob);
  EXPECT_EQ(c.routed_scaling_factor, 2.5);
  EXPECT_EQ(c.num_nextn_predict_layers, 1);
  EXPECT_EQ(c.rope_scaling.mscale, 1.0);
  EXPECT_EQ(c.bos_token_id, 0);
  ASSERT_TRUE(c.quantization_config.has_value());
  EXPECT_EQ(c.quantization_config->weight_block_rows, 128);
  EXPECT_EQ(c.quantization_config->weight_block_cols, 128);
  EXPECT_EQ(c.quantization_config->activation_scheme, "dynamic");
}

TEST(ModelConfig, R1DistillQwen) {
  const ModelConfig c = load("r1-distill-qwen-1.5b.json");
  EXPECT_EQ(c.architecture, Architecture::kQwen2);
  EXPECT_FALSE(c.has_mla());
  EXPECT_FALSE(c.has_moe());
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.num_key_value_heads, 2);
  EXPECT_TRUE(c.qkv_bias);
  EXPECT_FALSE(c.attention_bias);
  EXPECT_EQ(c.rope_scaling.type, RopeScalingType::kNone);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.bos_token_id, 151643);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int64_t>{151643}));
  EXPECT_FALSE(c.is_moe_layer(5));
}

TEST(ModelConfig, R1DistillLlamaWithLlama3Rope) {
  const ModelConfig c = load("r1-distill-llama-8b.json");
  EXPECT_EQ(c.architecture, Architecture::kLlama);
  EXPECT_EQ(c.head_dim, 128);
  EXPECT_EQ(c.num_key_value_heads, 8);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.rope_theta, 500000.0);
  EXPECT_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.rope_scaling.type, RopeScalingType::kLlama3);
  EXPECT_EQ(c.rope_scaling.factor, 8.0);
  EXPECT_EQ(c.rope_scaling.low_freq_factor, 1.0);
  EXPECT_EQ(c.rope_scaling.high_freq_factor, 4.0);
  EXPECT_EQ(c.rope_scaling.original_max_position_embeddings, 8192);
}

TEST(ModelConfig, LoadFromDirectory) {
  test::TempDir dir;
  test::write_bytes(dir.file("config.json"), read_file(config_path("deepseek-v2-lite.json")));
  EXPECT_EQ(load_hf_config(dir.path()), load("deepseek-v2-lite.json"));
  test::TempDir empty;
  EXPECT_SEEK_ERROR(load_hf_config(empty.path()), "config.json");
}

TEST(ModelConfig, HfJsonRoundTripsForEveryRealConfig) {
  for (const char* name : {"deepseek-v2-lite.json", "deepseek-v2.json", "deepseek-v3.json",
                           "r1-distill-qwen-1.5b.json", "r1-distill-llama-8b.json"}) {
    const ModelConfig c = load(name);
    const std::string text = config_to_hf_json(c);
    EXPECT_EQ(config_from_hf_json(text, "written.json"), c) << name << "\n" << text;
  }
}

TEST(ModelConfig, DefaultsFollowHfClasses) {
  // Qwen2: head_dim = hidden / heads; kv heads default to heads; eos absent -> none.
  const ModelConfig q =
      load_edited("r1-distill-qwen-1.5b.json", {}, {"num_key_value_heads", "eos_token_id", "rms_norm_eps"});
  EXPECT_EQ(q.num_key_value_heads, 12);
  EXPECT_TRUE(q.eos_token_ids.empty());
  EXPECT_EQ(q.rms_norm_eps, 1e-6);
  // V3: missing MoE keys take DeepseekV3Config's values.
  const ModelConfig v3 =
      load_edited("deepseek-v3.json", {}, {"n_group", "topk_group", "scoring_func", "topk_method"});
  EXPECT_EQ(v3.n_group, 8);
  EXPECT_EQ(v3.topk_group, 4);
  EXPECT_EQ(v3.scoring_func, ScoringFunc::kSigmoid);
  // V2: n_routed_experts null means a dense model; absent q_lora_rank means 1536.
  const ModelConfig dense =
      load_edited("deepseek-v2-lite.json", {{"n_routed_experts", nullptr}}, {"q_lora_rank"});
  EXPECT_FALSE(dense.has_moe());
  EXPECT_FALSE(dense.is_moe_layer(5));
  EXPECT_EQ(dense.q_lora_rank, 1536);
  // eos as a list; no architectures but a model_type.
  const ModelConfig llama = load_edited("r1-distill-llama-8b.json",
                                        {{"eos_token_id", {128001, 128008, 128009}}}, {"architectures"});
  EXPECT_EQ(llama.eos_token_ids, (std::vector<int64_t>{128001, 128008, 128009}));
  EXPECT_EQ(config_from_hf_json(config_to_hf_json(llama), "x"), llama);
  // rope_type "default" is no scaling.
  EXPECT_EQ(load_edited("r1-distill-llama-8b.json", {{"rope_scaling", {{"rope_type", "default"}}}})
                .rope_scaling.type,
            RopeScalingType::kNone);
}

#define EXPECT_BAD_CONFIG(name, patch, ...) \
  EXPECT_SEEK_ERROR(load_edited(name, patch), "config.json", __VA_ARGS__)

TEST(ModelConfig, ValidationNamesFieldAndValue) {
  const char* lite = "deepseek-v2-lite.json";
  const char* qwen = "r1-distill-qwen-1.5b.json";
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"num_attention_heads", 0}}),
                    "num_attention_heads = 0 must be > 0");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"hidden_size", -1}}), "hidden_size = -1 must be > 0");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"vocab_size", 1LL << 40}}), "vocab_size = 1099511627776",
                    "larger than");
  EXPECT_BAD_CONFIG(qwen, (nlohmann::json{{"num_key_value_heads", 5}}),
                    "num_attention_heads = 12 must be divisible by num_key_value_heads = 5");
  EXPECT_BAD_CONFIG(qwen, (nlohmann::json{{"hidden_size", 1537}}), "hidden_size = 1537",
                    "num_attention_heads = 12");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"num_experts_per_tok", 65}}),
                    "num_experts_per_tok = 65 must be <= n_routed_experts = 64");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"topk_group", 2}}), "topk_group = 2 must be <= n_group = 1");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"n_group", 3}, {"topk_group", 1}}),
                    "n_routed_experts = 64 must be divisible by n_group = 3");
  EXPECT_BAD_CONFIG("deepseek-v3.json", (nlohmann::json{{"topk_group", 1}, {"num_experts_per_tok", 33}}),
                    "num_experts_per_tok = 33", "topk_group * (n_routed_experts / n_group) = 32");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"first_k_dense_replace", 28}}), "first_k_dense_replace = 28");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"qk_rope_head_dim", 63}}), "qk_rope_head_dim = 63 must be even");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"q_lora_rank", 0}}), "q_lora_rank = 0 must be > 0");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"rms_norm_eps", 0}}),
                    "rms_norm_eps = 0 must be in [1e-30, 1e+30]");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"rope_theta", 1e200}}), "rope_theta = 1e+200");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"eos_token_id", 102400}}), "eos_token_id = 102400",
                    "outside the vocabulary");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"scoring_func", "relu"}}), "scoring_func = \"relu\"");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"topk_method", "random"}}), "topk_method = \"random\"");
  EXPECT_BAD_CONFIG(
      lite, (nlohmann::json{{"rope_scaling", {{"type", "yarn"}, {"factor", 40}, {"beta_fast", 0.5}}}}),
      "rope_scaling.beta_fast = 0.5 must be > rope_scaling.beta_slow = 1");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"rope_scaling", {{"type", "dynamic"}, {"factor", 2}}}}),
                    "rope_scaling type \"dynamic\" is not supported");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"rope_scaling", {{"type", "yarn"}}}}),
                    "missing required field 'rope_scaling.factor'");
  EXPECT_BAD_CONFIG("r1-distill-llama-8b.json",
                    (nlohmann::json{{"rope_scaling",
                                     {{"rope_type", "llama3"},
                                      {"factor", 8.0},
                                      {"low_freq_factor", 4.0},
                                      {"high_freq_factor", 4.0},
                                      {"original_max_position_embeddings", 8192}}}}),
                    "rope_scaling.high_freq_factor = 4 must be > rope_scaling.low_freq_factor = 4");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"architectures", {"MistralForCausalLM"}}}),
                    "unsupported architecture", "MistralForCausalLM", "DeepseekV2ForCausalLM",
                    "LlamaForCausalLM");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"hidden_size", "2048"}}),
                    "hidden_size = \"2048\" must be an integer");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"hidden_size", 2048.5}}),
                    "hidden_size = 2048.5 must be an integer");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"norm_topk_prob", 1}}),
                    "norm_topk_prob = 1 must be true or false");
  EXPECT_BAD_CONFIG(lite, (nlohmann::json{{"hidden_act", "gelu"}}), "hidden_act = \"gelu\"");
  EXPECT_BAD_CONFIG(qwen, (nlohmann::json{{"use_sliding_window", true}}), "use_sliding_window");
  EXPECT_BAD_CONFIG("deepseek-v3.json", (nlohmann::json{{"quantization_config", {{"quant_method", "awq"}}}}),
                    "quantization_config.quant_method = \"awq\" is not supported");
  EXPECT_BAD_CONFIG(
      "deepseek-v3.json",
      (nlohmann::json{{"quantization_config", {{"quant_method", "fp8"}, {"weight_block_size", {128}}}}}),
      "weight_block_size");
}

TEST(ModelConfig, MissingRequiredFieldsAreNamed) {
  for (const char* field :
       {"hidden_size", "vocab_size", "num_hidden_layers", "num_attention_heads", "intermediate_size"}) {
    const std::string expected = std::string("missing required field '") + field + "'";
    EXPECT_SEEK_ERROR(load_edited("r1-distill-qwen-1.5b.json", {}, {field}), "config.json", expected.c_str());
  }
  EXPECT_SEEK_ERROR(load_edited("deepseek-v2-lite.json", {}, {"num_experts_per_tok"}),
                    "missing required field 'num_experts_per_tok'");
  EXPECT_SEEK_ERROR(load_edited("deepseek-v2-lite.json", {}, {"architectures", "model_type"}),
                    "missing required field 'architectures'");
}

TEST(ModelConfig, NotJsonOrNotAnObject) {
  EXPECT_SEEK_ERROR(config_from_hf_json("{", "c.json"), "c.json", "not valid JSON");
  EXPECT_SEEK_ERROR(config_from_hf_json("[]", "c.json"), "c.json", "expected a JSON object");
  EXPECT_SEEK_ERROR(config_from_hf_json("{\"architectures\": 5}", "c.json"), "c.json", "architectures");
}

}  // namespace
}  // namespace seek
