// Hugging Face config.json <-> ModelConfig (declared in model_config.h).
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/mmap_file.h"
#include "formats/model_config.h"

namespace seek {

namespace {

using json = nlohmann::json;

// Typed, null-aware access to the fields of one JSON object; errors name the source and the key.
// A key that is absent or null reads as "not given" (HF's from_dict treats both as None).
class Fields {
 public:
  Fields(const json& obj, const std::string& source, std::string prefix = "")
      : obj_(obj), source_(source), prefix_(std::move(prefix)) {}

  const json* get(const char* key) const {
    const auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  const std::string& source() const { return source_; }
  bool present(const char* key) const { return obj_.find(key) != obj_.end(); }
  bool is_null(const char* key) const { return present(key) && obj_.find(key)->is_null(); }

  std::optional<int64_t> int_opt(const char* key) const {
    const json* v = get(key);
    if (v == nullptr) return std::nullopt;
    return to_int(*v, key);
  }
  int64_t int_or(const char* key, int64_t fallback) const { return int_opt(key).value_or(fallback); }
  int64_t int_required(const char* key, const char* why = nullptr) const {
    const auto v = int_opt(key);
    SEEK_CHECK(v.has_value(),
               source_ << ": missing required field '" << prefix_ << key << "'" << (why ? why : ""));
    return *v;
  }
  double number_or(const char* key, double fallback) const {
    const json* v = get(key);
    if (v == nullptr) return fallback;
    SEEK_CHECK(v->is_number(),
               source_ << ": " << prefix_ << key << " = " << v->dump() << " must be a number");
    return v->get<double>();
  }
  double number_required(const char* key) const {
    SEEK_CHECK(get(key) != nullptr, source_ << ": missing required field '" << prefix_ << key << "'");
    return number_or(key, 0);
  }
  bool bool_or(const char* key, bool fallback) const {
    const json* v = get(key);
    if (v == nullptr) return fallback;
    SEEK_CHECK(v->is_boolean(),
               source_ << ": " << prefix_ << key << " = " << v->dump() << " must be true or false");
    return v->get<bool>();
  }
  std::string string_or(const char* key, const std::string& fallback) const {
    const json* v = get(key);
    if (v == nullptr) return fallback;
    SEEK_CHECK(v->is_string(),
               source_ << ": " << prefix_ << key << " = " << v->dump() << " must be a string");
    return v->get<std::string>();
  }
  // One id or a list of ids (eos_token_id); absent/null -> `fallback`.
  std::vector<int64_t> int_list_or(const char* key, std::vector<int64_t> fallback) const {
    const json* v = get(key);
    if (v == nullptr) return is_null(key) ? std::vector<int64_t>{} : fallback;
    if (!v->is_array()) return {to_int(*v, key)};
    std::vector<int64_t> out;
    for (const json& item : *v) out.push_back(to_int(item, key));
    return out;
  }

  int64_t to_int(const json& v, const char* key) const {
    SEEK_CHECK(v.is_number_integer(),
               source_ << ": " << prefix_ << key << " = " << v.dump() << " must be an integer");
    SEEK_CHECK(!v.is_number_unsigned() ||
                   v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()),
               source_ << ": " << prefix_ << key << " = " << v.dump() << " is too large");
    return v.get<int64_t>();
  }

 private:
  const json& obj_;
  const std::string& source_;
  std::string prefix_;
};

Architecture parse_architecture(const json& root, const std::string& source) {
  static const std::pair<const char*, Architecture> kByHfName[] = {
      {"DeepseekV2ForCausalLM", Architecture::kDeepseekV2},
      {"DeepseekV3ForCausalLM", Architecture::kDeepseekV3},
      {"Qwen2ForCausalLM", Architecture::kQwen2},
      {"LlamaForCausalLM", Architecture::kLlama},
  };
  static const std::pair<const char*, Architecture> kByModelType[] = {
      {"deepseek_v2", Architecture::kDeepseekV2},
      {"deepseek_v3", Architecture::kDeepseekV3},
      {"qwen2", Architecture::kQwen2},
      {"llama", Architecture::kLlama},
  };
  const char* const supported =
      "DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, Qwen2ForCausalLM, LlamaForCausalLM";
  const auto archs = root.find("architectures");
  if (archs != root.end() && !archs->is_null()) {
    SEEK_CHECK(archs->is_array() && !archs->empty(),
               source << ": architectures = " << archs->dump() << " must be a non-empty list of class names");
    for (const json& name : *archs) {
      SEEK_CHECK(name.is_string(),
                 source << ": architectures = " << archs->dump() << " must be a list of strings");
      for (const auto& [text, arch] : kByHfName)
        if (name.get<std::string>() == text) return arch;
    }
    SEEK_FAIL(source << ": unsupported architecture " << archs->dump() << " (supported: " << supported
                     << ")");
  }
  const auto model_type = root.find("model_type");
  SEEK_CHECK(model_type != root.end() && model_type->is_string(),
             source << ": missing required field 'architectures' (supported: " << supported << ")");
  for (const auto& [text, arch] : kByModelType)
    if (model_type->get<std::string>() == text) return arch;
  SEEK_FAIL(source << ": unsupported model_type " << model_type->dump()
                   << " (supported: deepseek_v2, deepseek_v3, "
                   << "qwen2, llama)");
}

RopeScaling parse_rope_scaling(const json& root, const std::string& source) {
  RopeScaling rs;
  const auto it = root.find("rope_scaling");
  if (it == root.end() || it->is_null()) return rs;
  SEEK_CHECK(it->is_object(), source << ": rope_scaling = " << it->dump() << " must be an object or null");
  const Fields f(*it, source, "rope_scaling.");
  const std::string type = f.string_or("rope_type", f.string_or("type", ""));
  if (type == "default") return rs;
  if (type == "yarn") {
    rs.type = RopeScalingType::kYarn;
    rs.factor = f.number_required("factor");
    // Defaults of DeepSeek's DeepseekV2YarnRotaryEmbedding (HF remote code).
    rs.original_max_position_embeddings = f.int_or("original_max_position_embeddings", 4096);
    rs.beta_fast = f.number_or("beta_fast", 32.0);
    rs.beta_slow = f.number_or("beta_slow", 1.0);
    rs.mscale = f.number_or("mscale", 1.0);
    rs.mscale_all_dim = f.number_or("mscale_all_dim", 0.0);
  } else if (type == "llama3") {
    rs.type = RopeScalingType::kLlama3;
    rs.factor = f.number_required("factor");
    rs.low_freq_factor = f.number_required("low_freq_factor");
    rs.high_freq_factor = f.number_required("high_freq_factor");
    rs.original_max_position_embeddings = f.int_required("original_max_position_embeddings");
  } else if (type == "linear") {
    rs.type = RopeScalingType::kLinear;
    rs.factor = f.number_required("factor");
  } else {
    SEEK_FAIL(source << ": rope_scaling type \"" << type
                     << "\" is not supported (supported: yarn, llama3, linear, default)");
  }
  return rs;
}

Fp8Quantization parse_quantization(const json& q, const std::string& source) {
  SEEK_CHECK(q.is_object(), source << ": quantization_config = " << q.dump() << " must be an object");
  const Fields f(q, source, "quantization_config.");
  const std::string method = f.string_or("quant_method", "");
  SEEK_CHECK(method == "fp8", source << ": quantization_config.quant_method = \"" << method
                                     << "\" is not supported (only fp8 block quantisation)");
  Fp8Quantization fp8;
  fp8.fmt = f.string_or("fmt", "e4m3");
  fp8.activation_scheme = f.string_or("activation_scheme", "dynamic");
  if (const json* block = f.get("weight_block_size")) {
    SEEK_CHECK(block->is_array() && block->size() == 2, source << ": quantization_config.weight_block_size = "
                                                               << block->dump() << " must be [rows, cols]");
    fp8.weight_block_rows = f.to_int((*block)[0], "weight_block_size[0]");
    fp8.weight_block_cols = f.to_int((*block)[1], "weight_block_size[1]");
  }
  return fp8;
}

void parse_mla_moe(const Fields& f, ModelConfig& m) {
  const bool v3 = m.architecture == Architecture::kDeepseekV3;
  // q_lora_rank: null means "no q compression" (V2-Lite); absent means HF's default 1536.
  m.q_lora_rank =
      f.is_null("q_lora_rank") ? std::nullopt : std::optional<int64_t>(f.int_or("q_lora_rank", 1536));
  m.kv_lora_rank = f.int_or("kv_lora_rank", 512);
  m.qk_nope_head_dim = f.int_or("qk_nope_head_dim", 128);
  m.qk_rope_head_dim = f.int_or("qk_rope_head_dim", 64);
  m.v_head_dim = f.int_or("v_head_dim", 128);

  // V2's class leaves the MoE fields None (a dense model); V3's defaults are V3's values.
  m.n_routed_experts = f.is_null("n_routed_experts") ? 0 : f.int_or("n_routed_experts", v3 ? 256 : 0);
  m.n_shared_experts = f.int_or("n_shared_experts", v3 && !f.is_null("n_shared_experts") ? 1 : 0);
  if (m.n_routed_experts > 0) {
    m.num_experts_per_tok = v3 ? f.int_or("num_experts_per_tok", 8)
                               : f.int_required("num_experts_per_tok", " (the model has routed experts)");
  } else {
    m.num_experts_per_tok = f.int_or("num_experts_per_tok", 0);
  }
  m.moe_intermediate_size = f.int_or("moe_intermediate_size", v3 ? 2048 : 1407);
  m.first_k_dense_replace = f.int_or("first_k_dense_replace", v3 ? 3 : 0);
  m.moe_layer_freq = f.int_or("moe_layer_freq", 1);
  m.n_group = f.int_or("n_group", v3 && !f.is_null("n_group") ? 8 : 1);
  m.topk_group = f.int_or("topk_group", v3 && !f.is_null("topk_group") ? 4 : 1);
  m.norm_topk_prob = f.bool_or("norm_topk_prob", v3);
  m.routed_scaling_factor = f.number_or("routed_scaling_factor", v3 ? 2.5 : 1.0);
  m.num_nextn_predict_layers = f.int_or("num_nextn_predict_layers", v3 ? 1 : 0);

  const std::string scoring = f.string_or("scoring_func", v3 ? "sigmoid" : "softmax");
  if (scoring == "softmax") {
    m.scoring_func = ScoringFunc::kSoftmax;
  } else if (scoring == "sigmoid") {
    m.scoring_func = ScoringFunc::kSigmoid;
  } else {
    SEEK_FAIL(f.source() << ": scoring_func = \"" << scoring << "\" is not supported (softmax, sigmoid)");
  }
  const std::string topk = f.string_or("topk_method", v3 ? "noaux_tc" : "greedy");
  if (topk == "greedy") {
    m.topk_method = TopkMethod::kGreedy;
  } else if (topk == "group_limited_greedy") {
    m.topk_method = TopkMethod::kGroupLimitedGreedy;
  } else if (topk == "noaux_tc") {
    m.topk_method = TopkMethod::kNoauxTc;
  } else {
    SEEK_FAIL(f.source() << ": topk_method = \"" << topk
                         << "\" is not supported (greedy, group_limited_greedy, noaux_tc)");
  }
}

}  // namespace

ModelConfig config_from_hf_json(const std::string& json_text, const std::string& source_name) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::exception& e) {
    SEEK_FAIL(source_name << ": not valid JSON: " << e.what());
  }
  SEEK_CHECK(root.is_object(), source_name << ": expected a JSON object, got " << root.type_name());
  const Fields f(root, source_name);

  ModelConfig m;
  m.architecture = parse_architecture(root, source_name);
  const bool deepseek = m.has_mla();
  m.vocab_size = f.int_required("vocab_size");
  m.hidden_size = f.int_required("hidden_size");
  m.intermediate_size = f.int_required("intermediate_size");
  m.num_hidden_layers = f.int_required("num_hidden_layers");
  m.num_attention_heads = f.int_required("num_attention_heads");
  m.num_key_value_heads = f.int_or("num_key_value_heads", m.num_attention_heads);
  m.rms_norm_eps = f.number_or("rms_norm_eps", 1e-6);
  m.rope_theta = f.number_or("rope_theta", 10000.0);
  m.rope_scaling = parse_rope_scaling(root, source_name);
  m.tie_word_embeddings = f.bool_or("tie_word_embeddings", false);
  m.torch_dtype = f.string_or("torch_dtype", f.string_or("dtype", ""));

  const std::string act = f.string_or("hidden_act", "silu");
  SEEK_CHECK(act == "silu", source_name << ": hidden_act = \"" << act << "\" is not supported (only silu)");

  switch (m.architecture) {
    case Architecture::kDeepseekV2:
    case Architecture::kDeepseekV3: {
      const bool v3 = m.architecture == Architecture::kDeepseekV3;
      m.max_position_embeddings = f.int_or("max_position_embeddings", v3 ? 4096 : 2048);
      m.bos_token_id = f.is_null("bos_token_id")
                           ? std::nullopt
                           : std::optional<int64_t>(f.int_or("bos_token_id", v3 ? 0 : 100000));
      m.eos_token_ids = f.int_list_or("eos_token_id", {v3 ? 1 : 100001});
      m.attention_bias = f.bool_or("attention_bias", false);
      m.qkv_bias = m.attention_bias;
      parse_mla_moe(f, m);
      break;
    }
    case Architecture::kQwen2:
      m.max_position_embeddings = f.int_or("max_position_embeddings", 32768);
      m.bos_token_id = f.int_opt("bos_token_id");
      m.eos_token_ids = f.int_list_or("eos_token_id", {});
      m.qkv_bias = true;  // Qwen2 always has q/k/v biases and no o_proj bias
      SEEK_CHECK(!f.bool_or("use_sliding_window", false),
                 source_name << ": use_sliding_window = true is not supported (sliding-window attention)");
      break;
    case Architecture::kLlama:
      m.max_position_embeddings = f.int_or("max_position_embeddings", 2048);
      m.bos_token_id =
          f.is_null("bos_token_id") ? std::nullopt : std::optional<int64_t>(f.int_or("bos_token_id", 1));
      m.eos_token_ids = f.int_list_or("eos_token_id", {2});
      m.attention_bias = f.bool_or("attention_bias", false);
      m.qkv_bias = m.attention_bias;
      SEEK_CHECK(!f.bool_or("mlp_bias", false), source_name << ": mlp_bias = true is not supported");
      break;
  }
  if (!deepseek) {
    SEEK_CHECK(m.num_attention_heads > 0,
               source_name << ": num_attention_heads = " << m.num_attention_heads << " must be > 0");
    const auto head_dim = f.int_opt("head_dim");
    SEEK_CHECK(head_dim || m.hidden_size % m.num_attention_heads == 0,
               source_name << ": hidden_size = " << m.hidden_size
                           << " must be divisible by num_attention_heads = " << m.num_attention_heads
                           << " (or head_dim must be given)");
    m.head_dim = head_dim.value_or(m.hidden_size / m.num_attention_heads);
  }
  if (const json* q = f.get("quantization_config"))
    m.quantization_config = parse_quantization(*q, source_name);

  validate_config(m, source_name);
  return m;
}

ModelConfig load_hf_config(const std::string& dir) {
  const std::string path = dir + "/config.json";
  return config_from_hf_json(read_file(path), path);
}

std::string config_to_hf_json(const ModelConfig& m) {
  json j;
  j["architectures"] = {std::string(architecture_hf_name(m.architecture))};
  static const char* const kModelType[] = {"deepseek_v2", "deepseek_v3", "qwen2", "llama"};
  j["model_type"] = kModelType[static_cast<int>(m.architecture)];
  j["vocab_size"] = m.vocab_size;
  j["hidden_size"] = m.hidden_size;
  j["intermediate_size"] = m.intermediate_size;
  j["num_hidden_layers"] = m.num_hidden_layers;
  j["num_attention_heads"] = m.num_attention_heads;
  j["num_key_value_heads"] = m.num_key_value_heads;
  j["hidden_act"] = "silu";
  j["rms_norm_eps"] = m.rms_norm_eps;
  j["rope_theta"] = m.rope_theta;
  j["max_position_embeddings"] = m.max_position_embeddings;
  j["tie_word_embeddings"] = m.tie_word_embeddings;
  j["bos_token_id"] = m.bos_token_id ? json(*m.bos_token_id) : json(nullptr);
  if (m.eos_token_ids.size() == 1) {
    j["eos_token_id"] = m.eos_token_ids[0];
  } else {
    j["eos_token_id"] = m.eos_token_ids.empty() ? json(nullptr) : json(m.eos_token_ids);
  }
  if (!m.torch_dtype.empty()) j["torch_dtype"] = m.torch_dtype;

  const RopeScaling& rs = m.rope_scaling;
  switch (rs.type) {
    case RopeScalingType::kNone: j["rope_scaling"] = nullptr; break;
    case RopeScalingType::kYarn:
      j["rope_scaling"] = {{"type", "yarn"},
                           {"factor", rs.factor},
                           {"original_max_position_embeddings", rs.original_max_position_embeddings},
                           {"beta_fast", rs.beta_fast},
                           {"beta_slow", rs.beta_slow},
                           {"mscale", rs.mscale},
                           {"mscale_all_dim", rs.mscale_all_dim}};
      break;
    case RopeScalingType::kLlama3:
      j["rope_scaling"] = {{"rope_type", "llama3"},
                           {"factor", rs.factor},
                           {"low_freq_factor", rs.low_freq_factor},
                           {"high_freq_factor", rs.high_freq_factor},
                           {"original_max_position_embeddings", rs.original_max_position_embeddings}};
      break;
    case RopeScalingType::kLinear:
      j["rope_scaling"] = {{"rope_type", "linear"}, {"factor", rs.factor}};
      break;
  }

  switch (m.architecture) {
    case Architecture::kDeepseekV2:
    case Architecture::kDeepseekV3:
      j["attention_bias"] = m.attention_bias;
      j["q_lora_rank"] = m.q_lora_rank ? json(*m.q_lora_rank) : json(nullptr);
      j["kv_lora_rank"] = m.kv_lora_rank;
      j["qk_nope_head_dim"] = m.qk_nope_head_dim;
      j["qk_rope_head_dim"] = m.qk_rope_head_dim;
      j["v_head_dim"] = m.v_head_dim;
      j["n_routed_experts"] = m.n_routed_experts > 0 ? json(m.n_routed_experts) : json(nullptr);
      j["n_shared_experts"] = m.n_shared_experts;
      j["num_experts_per_tok"] = m.num_experts_per_tok;
      j["moe_intermediate_size"] = m.moe_intermediate_size;
      j["first_k_dense_replace"] = m.first_k_dense_replace;
      j["moe_layer_freq"] = m.moe_layer_freq;
      j["scoring_func"] = scoring_func_name(m.scoring_func);
      j["topk_method"] = topk_method_name(m.topk_method);
      j["n_group"] = m.n_group;
      j["topk_group"] = m.topk_group;
      j["norm_topk_prob"] = m.norm_topk_prob;
      j["routed_scaling_factor"] = m.routed_scaling_factor;
      j["num_nextn_predict_layers"] = m.num_nextn_predict_layers;
      break;
    case Architecture::kQwen2:
      j["use_sliding_window"] = false;
      if (m.head_dim * m.num_attention_heads != m.hidden_size) j["head_dim"] = m.head_dim;
      break;
    case Architecture::kLlama:
      j["attention_bias"] = m.attention_bias;
      j["mlp_bias"] = false;
      j["head_dim"] = m.head_dim;
      break;
  }
  if (m.quantization_config) {
    const Fp8Quantization& q = *m.quantization_config;
    j["quantization_config"] = {{"quant_method", "fp8"},
                                {"fmt", q.fmt},
                                {"activation_scheme", q.activation_scheme},
                                {"weight_block_size", {q.weight_block_rows, q.weight_block_cols}}};
  }
  return j.dump(2) + "\n";
}

}  // namespace seek
