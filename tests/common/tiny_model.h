// Tiny random checkpoints written by the tests themselves: a config.json and a model.safetensors
// holding every tensor of model_tensor_specs() with seeded random values.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "core/mmap_file.h"
#include "formats/model_config.h"
#include "formats/safetensors.h"
#include "model/tensor_specs.h"

namespace seek::test {

// A small V3-style config: q_lora, sigmoid noaux_tc routing with groups, shared expert, a dense
// first layer, YaRN, and an MTP module.
inline nlohmann::json tiny_v3_config() {
  return {{"architectures", {"DeepseekV3ForCausalLM"}}, {"model_type", "deepseek_v3"}, {"vocab_size", 96},
          {"hidden_size", 64}, {"intermediate_size", 96}, {"moe_intermediate_size", 32},
          {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"num_key_value_heads", 4},
          {"q_lora_rank", 48}, {"kv_lora_rank", 32}, {"qk_nope_head_dim", 16}, {"qk_rope_head_dim", 8},
          {"v_head_dim", 16}, {"n_routed_experts", 8}, {"n_shared_experts", 1}, {"num_experts_per_tok", 3},
          {"n_group", 4}, {"topk_group", 2}, {"topk_method", "noaux_tc"}, {"scoring_func", "sigmoid"},
          {"norm_topk_prob", true}, {"routed_scaling_factor", 2.5}, {"first_k_dense_replace", 1},
          {"moe_layer_freq", 1}, {"num_nextn_predict_layers", 1}, {"rms_norm_eps", 1e-6},
          {"rope_theta", 10000.0}, {"max_position_embeddings", 4096}, {"tie_word_embeddings", false},
          {"rope_scaling", {{"type", "yarn"}, {"factor", 4.0}, {"original_max_position_embeddings", 256},
                            {"beta_fast", 32}, {"beta_slow", 1}, {"mscale", 1.0}, {"mscale_all_dim", 1.0}}}};
}

// Writes config.json + model.safetensors with random weights for every spec; `skip` leaves one tensor
// out and `reshape` gives one tensor a wrong shape.
inline std::string write_model(const nlohmann::json& config_json, const std::string& name, const std::string& skip = "",
                        const std::string& reshape = "") {
  const std::string dir = ::testing::TempDir() + "seek_model_test_" + name;
  std::filesystem::create_directories(dir);
  const std::string text = config_json.dump();
  write_file_atomic(dir + "/config.json", text.data(), text.size());
  const ModelConfig config = config_from_hf_json(text, "test config");
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& s : model_tensor_specs(config, true)) {
    if (s.name == skip) continue;
    std::vector<int64_t> shape = s.shape;
    if (s.name == reshape) shape[0] += 1;
    Tensor t = Tensor::empty(DType::kF32, shape);
    float* p = t.data_as<float>();
    const bool norm = !s.is_matrix;
    const float scale = norm ? 0.1f : 1.0f / std::sqrt(static_cast<float>(shape.back()));
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = (norm ? 1.0f : 0.0f) + scale * normal(rng);
    tensors.emplace_back(s.name, t);
  }
  write_safetensors(dir + "/model.safetensors", tensors);
  return dir;
}

}  // namespace seek::test
