// ModelConfig <-> GGUF metadata: round trips of the real configs, and files written the way
// llama.cpp's converter writes them (no seek.* keys; old and new deepseek2 layouts).
#include <gtest/gtest.h>

#include <filesystem>

#include "core/mmap_file.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats/model_config.h"
#include "formats_test_util.h"

namespace seek {
namespace {

ModelConfig load(const std::string& name) {
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../data/configs" / name;
  return config_from_hf_json(read_file(path.string()), name);
}

// Writes `w` to a scratch file and reads the config back.
ModelConfig via_file(const GgufWriter& w, const test::TempDir& dir) {
  const std::string path = dir.file("m.gguf");
  w.write(path);
  return config_from_gguf(GgufFile::open(path));
}

TEST(ModelConfigGguf, RealConfigsRoundTrip) {
  test::TempDir dir;
  for (const char* name : {"deepseek-v2-lite.json", "deepseek-v2.json", "deepseek-v3.json",
                           "r1-distill-qwen-1.5b.json", "r1-distill-llama-8b.json"}) {
    ModelConfig c = load(name);
    GgufWriter w;
    config_to_gguf_metadata(c, w);
    EXPECT_EQ(w.metadata().entries()[0].first, "general.architecture");
    // GGUF tensors are never FP8: the quantisation scheme of the HF checkpoint does not carry over.
    c.quantization_config.reset();
    EXPECT_EQ(via_file(w, dir), c) << name;
  }
}

TEST(ModelConfigGguf, WritesLlamaCppKeys) {
  GgufWriter w;
  config_to_gguf_metadata(load("deepseek-v3.json"), w);
  const GgufMetadata& md = w.metadata();
  EXPECT_EQ(md.get_string("general.architecture"), "deepseek2");
  EXPECT_EQ(md.get_int("deepseek2.attention.head_count_kv"), 1);
  EXPECT_EQ(md.get_int("deepseek2.attention.key_length"), 576);
  EXPECT_EQ(md.get_int("deepseek2.attention.value_length"), 512);
  EXPECT_EQ(md.get_int("deepseek2.attention.key_length_mla"), 192);
  EXPECT_EQ(md.get_int("deepseek2.attention.value_length_mla"), 128);
  EXPECT_EQ(md.get_int("deepseek2.attention.q_lora_rank"), 1536);
  EXPECT_EQ(md.get_int("deepseek2.rope.dimension_count"), 64);
  EXPECT_EQ(md.get_int("deepseek2.leading_dense_block_count"), 3);
  EXPECT_EQ(md.get_int("deepseek2.expert_gating_func"), 2);
  EXPECT_EQ(md.get_int("deepseek2.expert_group_used_count"), 4);
  EXPECT_EQ(md.get_int("deepseek2.nextn_predict_layers"), 1);
  EXPECT_TRUE(md.get_bool("deepseek2.expert_weights_norm"));
  EXPECT_FLOAT_EQ(md.get_float("deepseek2.rope.scaling.yarn_log_multiplier"), 0.1f);
  EXPECT_EQ(md.find("deepseek2.rope.scaling.factor")->type, GgufType::kF32);
  EXPECT_EQ(md.find("deepseek2.context_length")->type, GgufType::kU32);

  GgufWriter lite;
  config_to_gguf_metadata(load("deepseek-v2-lite.json"), lite);
  EXPECT_FALSE(lite.metadata().has("deepseek2.attention.q_lora_rank"));

  GgufWriter llama;
  config_to_gguf_metadata(load("r1-distill-llama-8b.json"), llama);
  // llama3 scaling must not look like linear scaling to llama.cpp.
  EXPECT_FALSE(llama.metadata().has("llama.rope.scaling.factor"));
  EXPECT_EQ(llama.metadata().get_int("llama.attention.head_count_kv"), 8);
  EXPECT_EQ(llama.metadata().get_int("tokenizer.ggml.bos_token_id"), 128000);
}

// What llama.cpp's convert_hf_to_gguf.py writes for DeepSeek-V2-Lite (architecture.md 8.5).
GgufWriter llama_cpp_v2_lite(bool old_layout) {
  GgufWriter w;
  GgufMetadata& md = w.metadata();
  md.set("general.architecture", GgufValue::string("deepseek2"));
  md.set("general.name", GgufValue::string("DeepSeek-V2-Lite-Chat"));
  md.set("deepseek2.block_count", GgufValue::u32(27));
  md.set("deepseek2.context_length", GgufValue::u32(163840));
  md.set("deepseek2.embedding_length", GgufValue::u32(2048));
  md.set("deepseek2.feed_forward_length", GgufValue::u32(10944));
  md.set("deepseek2.attention.head_count", GgufValue::u32(16));
  md.set("deepseek2.attention.head_count_kv", GgufValue::u32(old_layout ? 16 : 1));
  md.set("deepseek2.rope.freq_base", GgufValue::f32(10000));
  md.set("deepseek2.attention.layer_norm_rms_epsilon", GgufValue::f32(1e-6f));
  md.set("deepseek2.expert_used_count", GgufValue::u32(6));
  md.set("deepseek2.expert_group_count", GgufValue::u32(1));
  md.set("deepseek2.expert_group_used_count", GgufValue::u32(1));
  md.set("deepseek2.leading_dense_block_count", GgufValue::u32(1));
  md.set("deepseek2.vocab_size", GgufValue::u32(102400));
  md.set("deepseek2.attention.kv_lora_rank", GgufValue::u32(512));
  if (old_layout) {
    md.set("deepseek2.attention.key_length", GgufValue::u32(192));
    md.set("deepseek2.attention.value_length", GgufValue::u32(128));
  } else {
    md.set("deepseek2.attention.key_length", GgufValue::u32(576));
    md.set("deepseek2.attention.value_length", GgufValue::u32(512));
    md.set("deepseek2.attention.key_length_mla", GgufValue::u32(192));
    md.set("deepseek2.attention.value_length_mla", GgufValue::u32(128));
    md.set("deepseek2.expert_gating_func", GgufValue::u32(1));
  }
  md.set("deepseek2.expert_feed_forward_length", GgufValue::u32(1408));
  md.set("deepseek2.expert_count", GgufValue::u32(64));
  md.set("deepseek2.expert_shared_count", GgufValue::u32(2));
  md.set("deepseek2.expert_weights_scale", GgufValue::f32(1.0f));
  md.set("deepseek2.rope.dimension_count", GgufValue::u32(64));
  md.set("deepseek2.rope.scaling.type", GgufValue::string("yarn"));
  md.set("deepseek2.rope.scaling.factor", GgufValue::f32(40));
  md.set("deepseek2.rope.scaling.original_context_length", GgufValue::u32(4096));
  md.set("deepseek2.rope.scaling.yarn_log_multiplier", GgufValue::f32(0.0707f));
  md.set("general.file_type", GgufValue::u32(7));
  md.set("tokenizer.ggml.model", GgufValue::string("gpt2"));
  md.set("tokenizer.ggml.bos_token_id", GgufValue::u32(100000));
  md.set("tokenizer.ggml.eos_token_id", GgufValue::u32(100001));
  w.add_tensor("token_embd.weight", Tensor::empty(DType::kF32, {4, 32}));
  w.add_tensor("output.weight", Tensor::empty(DType::kQ8_0, {4, 32}));
  return w;
}

TEST(ModelConfigGguf, LlamaCppDeepseek2FileGivesTheHfConfig) {
  test::TempDir dir;
  ModelConfig expected = load("deepseek-v2-lite.json");
  expected.torch_dtype.clear();
  for (bool old_layout : {false, true}) {
    const ModelConfig got = via_file(llama_cpp_v2_lite(old_layout), dir);
    EXPECT_EQ(got, expected) << (old_layout ? "old layout" : "MLA layout");
    EXPECT_EQ(got.rope_scaling.mscale_all_dim, 0.707);  // from yarn_log_multiplier 0.0707 stored as f32
    EXPECT_EQ(got.rms_norm_eps, 1e-6);
  }
}

TEST(ModelConfigGguf, Deepseek2SigmoidRoutingMeansV3) {
  test::TempDir dir;
  GgufWriter w = llama_cpp_v2_lite(false);
  w.metadata().set("deepseek2.expert_gating_func", GgufValue::u32(2));
  w.metadata().set("deepseek2.expert_weights_norm", GgufValue::boolean(true));
  w.metadata().set("deepseek2.attention.q_lora_rank", GgufValue::u32(1536));
  const ModelConfig c = via_file(w, dir);
  EXPECT_EQ(c.architecture, Architecture::kDeepseekV3);
  EXPECT_EQ(c.scoring_func, ScoringFunc::kSigmoid);
  EXPECT_EQ(c.topk_method, TopkMethod::kNoauxTc);
  EXPECT_EQ(c.q_lora_rank, 1536);
  EXPECT_TRUE(c.norm_topk_prob);

  w.metadata().set("deepseek2.expert_gating_func", GgufValue::u32(3));
  EXPECT_SEEK_ERROR(via_file(w, dir), "m.gguf", "deepseek2.expert_gating_func = 3");
}

TEST(ModelConfigGguf, TiedEmbeddingsAndBiasesInferredFromTensors) {
  test::TempDir dir;
  ModelConfig qwen = load("r1-distill-qwen-1.5b.json");
  GgufWriter w;
  config_to_gguf_metadata(qwen, w);
  w.metadata().erase("seek.tie_word_embeddings");
  w.add_tensor("token_embd.weight", Tensor::empty(DType::kF32, {2, 2}));
  const ModelConfig tied = via_file(w, dir);
  EXPECT_TRUE(tied.tie_word_embeddings);  // no output.weight: llama.cpp reuses token_embd
  EXPECT_TRUE(tied.qkv_bias);

  GgufWriter l;
  config_to_gguf_metadata(load("r1-distill-llama-8b.json"), l);
  l.metadata().erase("seek.attention_bias");
  l.add_tensor("blk.0.attn_q.bias", Tensor::empty(DType::kF32, {4}));
  EXPECT_TRUE(via_file(l, dir).attention_bias);
}

TEST(ModelConfigGguf, ErrorsNameFileAndKey) {
  test::TempDir dir;
  GgufWriter w;
  w.metadata().set("general.architecture", GgufValue::string("gpt2"));
  EXPECT_SEEK_ERROR(via_file(w, dir), "m.gguf", "general.architecture = \"gpt2\"", "deepseek2, qwen2, llama");

  GgufWriter none;
  EXPECT_SEEK_ERROR(via_file(none, dir), "m.gguf", "'general.architecture' is missing");

  GgufWriter l;
  config_to_gguf_metadata(load("r1-distill-llama-8b.json"), l);
  l.metadata().erase("llama.block_count");
  EXPECT_SEEK_ERROR(via_file(l, dir), "m.gguf", "'llama.block_count' is missing");
  l.metadata().set("llama.block_count", GgufValue::string("32"));
  EXPECT_SEEK_ERROR(via_file(l, dir), "'llama.block_count' has type string");
  l.metadata().set("llama.block_count", GgufValue::i32(-3));
  EXPECT_SEEK_ERROR(via_file(l, dir), "'llama.block_count' = -3 is out of range");
  l.metadata().set("llama.block_count", GgufValue::u32(32));
  l.metadata().set("llama.attention.head_count_kv", GgufValue::u32(7));
  EXPECT_SEEK_ERROR(via_file(l, dir), "m.gguf", "num_key_value_heads = 7");
}

TEST(ModelConfigGguf, VocabSizeFallsBackToTokenList) {
  test::TempDir dir;
  GgufWriter w;
  ModelConfig c = load("r1-distill-qwen-1.5b.json");
  c.vocab_size = 151936;
  config_to_gguf_metadata(c, w);
  w.metadata().erase("qwen2.vocab_size");
  w.metadata().set("tokenizer.ggml.tokens", GgufValue::string_array(std::vector<std::string>(151936, "t")));
  EXPECT_EQ(via_file(w, dir).vocab_size, 151936);
  w.metadata().erase("tokenizer.ggml.tokens");
  EXPECT_SEEK_ERROR(via_file(w, dir), "'qwen2.vocab_size' is missing");
}

}  // namespace
}  // namespace seek
