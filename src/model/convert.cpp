#include "model/convert.h"

#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <map>

#include "core/error.h"
#include "core/log.h"
#include "core/mmap_file.h"
#include "core/quant.h"
#include "core/thread_pool.h"
#include "formats/gguf.h"
#include "formats/gguf_writer.h"
#include "formats/safetensors_checkpoint.h"
#include "model/mla_layout.h"
#include "model/rope_freqs.h"
#include "model/tensor_specs.h"
#include "model/weight_names.h"
#include "model/weight_source.h"
#include "tokenizer/tokenizer_gguf.h"

namespace seek {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The MoE router (mlp.gate.weight -> ffn_gate_inp). llama.cpp's converter and quantiser always
// write it f32: expert choice flips on near-ties of its logits, and it is tiny ([n_experts, d]).
bool is_router(const TensorSpec& spec) { return ends_with(spec.name, "mlp.gate.weight"); }

// `type` for rows of `cols` values: a K-quant or iq4_xs needs whole 256-value super-blocks, and rows that
// are not take the 32-value type llama.cpp's quantiser falls back to (q2_K, q3_K, iq4_xs -> iq4_nl,
// q4_K -> q5_0, q5_K -> q5_1, q6_K -> q8_0: DeepSeek-V2-Lite's experts of 1,408, MLA's attn_k_b of 128).
DType row_type(DType type, int64_t cols) {
  if (cols % dtype_block_size(type) == 0) return type;
  if (cols % 32 != 0) return DType::kF32;
  switch (type) {
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_XS: return DType::kIQ4_NL;
    case DType::kQ4_K: return DType::kQ5_0;
    case DType::kQ5_K: return DType::kQ5_1;
    default: return DType::kQ8_0;
  }
}

// GgufExportOptions::k_mix: whether the recipe gives this matrix q6_K (llama.cpp's use_more_bits picks
// the layers: the first and last eighth, and every third one between).
bool more_bits(const TensorSpec& spec, const ModelConfig& c) {
  if (spec.name == "lm_head.weight") return true;
  if (spec.name == "model.embed_tokens.weight") return c.tie_word_embeddings;
  if (!ends_with(spec.name, "self_attn.v_proj.weight") && !ends_with(spec.name, "down_proj.weight")) return false;
  const std::string prefix = "model.layers.";
  if (spec.name.compare(0, prefix.size(), prefix) != 0) return false;
  const int64_t layer = std::stoll(spec.name.substr(prefix.size())), n = c.num_hidden_layers;
  return layer < n / 8 || layer >= 7 * n / 8 || (layer - n / 8) % 3 == 2;
}

// Storage type a tensor gets in the output: matrices may be quantised; everything else stays a float
// type the kernels read exactly (norms and biases are tiny), and the router is always f32.
DType output_type(const TensorSpec& spec, DType stored, const GgufExportOptions& options, const ModelConfig& c) {
  if (is_router(spec)) return DType::kF32;
  const bool quantisable = spec.is_matrix && spec.shape.size() == 2 && spec.shape[1] % 32 == 0;
  if (quantisable && options.matrix_type) {
    const DType type = options.k_mix && more_bits(spec, c) ? DType::kQ6_K : *options.matrix_type;
    return row_type(type, spec.shape[1]);
  }
  if (!spec.is_matrix) return DType::kF32;
  if (stored == DType::kF32 || stored == DType::kF16 || stored == DType::kBF16) return stored;
  if (dtype_is_quantized(stored) && quantisable) return stored;
  return DType::kF32;
}

// Re-encodes rows of `src` (any dtype) as `type`, into `dst` rows. Quantising is most of `seek
// quantize`'s time (a K-quant fits every 32-value sub-block against 17 candidate ranges: 4 min 50 s
// for a 1.5B model on one core), so large tensors are split by rows over the cores.
void convert_rows(const Tensor& src, DType type, uint8_t* dst) {
  const int64_t cols = src.dim(-1), rows_n = src.numel() / std::max<int64_t>(cols, 1);
  // FP8 with block scales is widened first: its values alone are not the weights.
  const Tensor s = src.block_scales() != nullptr ? src.to_f32() : src.is_contiguous() ? src : src.Copy();
  const size_t in_bytes = dtype_row_bytes(s.dtype(), cols), out_bytes = dtype_row_bytes(type, cols);
  const uint8_t* in = static_cast<const uint8_t*>(s.data());
  const auto encode = [&](int64_t begin, int64_t end) {
    std::vector<float> row(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      if (s.dtype() == type) {
        std::memcpy(dst + r * out_bytes, in + r * in_bytes, out_bytes);
        continue;
      }
      dequantize_row(s.dtype(), in + r * in_bytes, row.data(), cols);
      quantize_row(type, row.data(), dst + r * out_bytes, cols);
    }
  };
  if (s.dtype() == type || rows_n * cols < (int64_t{1} << 16)) return encode(0, rows_n);
  static ThreadPool pool(ThreadPool::default_threads());  // writers call this from one thread at a time
  pool.parallel_for(rows_n, encode);
}

// llama.cpp stores Llama's q/k rows so that RoPE rotates adjacent pairs: within each head, new row
// 2i+j comes from HF row j·(hd/2)+i. `inverse` undoes it.
Tensor permute_rope_rows(const Tensor& w, int64_t heads, bool inverse) {
  const Tensor src = w.is_contiguous() ? w : w.Copy();
  Tensor out = Tensor::empty(src.dtype(), src.shape());
  const int64_t rows_n = src.dim(0), hd = rows_n / heads, half = hd / 2;
  const size_t rb = src.row_bytes();
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t i = 0; i < half; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const int64_t interleaved = h * hd + 2 * i + j, halves = h * hd + j * half + i;
        const int64_t to = inverse ? halves : interleaved, from = inverse ? interleaved : halves;
        std::memcpy(out.row(to), src.row(from), rb);
      }
  return out;
}

bool is_llama_qk(const ModelConfig& c, const std::string& name) {
  return c.architecture == Architecture::kLlama &&
         (ends_with(name, "self_attn.q_proj.weight") || ends_with(name, "self_attn.k_proj.weight"));
}

int64_t rope_heads(const ModelConfig& c, const std::string& name) {
  return ends_with(name, "q_proj.weight") ? c.num_attention_heads : c.num_key_value_heads;
}

// Current llama.cpp files split kv_b_proj per head into attn_k_b [H, rank, nope] (W_UK transposed, the
// absorbed query's projection) and attn_v_b [H, v, rank] (architecture.md 8.5).
void add_split_kv_b(GgufWriter& writer, const WeightSource& source, const TensorSpec& spec,
                    const std::string& kv_b_name, DType type) {
  const ModelConfig& c = source.config();
  const int64_t H = c.num_attention_heads, nope = c.qk_nope_head_dim, vd = c.v_head_dim, rank = c.kv_lora_rank;
  const std::string stem = kv_b_name.substr(0, kv_b_name.size() - std::string("attn_kv_b.weight").size());
  const std::string name = spec.name;
  const std::vector<int64_t> shape = spec.shape;
  // Row lengths must hold whole blocks for quantised types; otherwise keep a float type.
  const DType k_type = dtype_is_quantized(type) ? row_type(type, nope) : type;
  const DType v_type = dtype_is_quantized(type) ? row_type(type, rank) : type;
  writer.add_tensor(stem + "attn_k_b.weight", k_type, {H, rank, nope}, [&source, name, shape, H, nope, vd, rank, k_type]() {
    const Tensor t = mla_w_uk_transposed(source.get(name, shape), H, nope, vd, rank);
    Tensor out = Tensor::empty(k_type, {H, rank, nope});
    convert_rows(t, k_type, static_cast<uint8_t*>(out.data()));
    return out;
  });
  writer.add_tensor(stem + "attn_v_b.weight", v_type, {H, vd, rank}, [&source, name, shape, H, nope, vd, rank, v_type]() {
    const Tensor w = source.get(name, shape);
    Tensor out = Tensor::empty(v_type, {H, vd, rank});
    const size_t per_head = dtype_row_bytes(v_type, rank) * static_cast<size_t>(vd);
    for (int64_t h = 0; h < H; ++h)
      convert_rows(w.narrow(0, h * (nope + vd) + nope, vd), v_type, static_cast<uint8_t*>(out.data()) + h * per_head);
    return out;
  });
}

// Embeds the source's tokenizer (tokenizer.json beside config.json, or a GGUF source's own) so
// that the output is self-contained, as llama.cpp's converter makes it. A tokenizer GGUF cannot
// express is left out with a warning rather than failing the conversion.
void add_source_tokenizer(const WeightSource& source, const ModelConfig& c, GgufMetadata* md) {
  try {
    std::optional<TokenizerSpec> spec;
    if (source.is_gguf()) {
      const GgufFile file = GgufFile::open(source.path());
      if (gguf_has_tokenizer(file.metadata())) spec = tokenizer_spec_from_gguf(file.metadata());
    } else if (std::filesystem::exists(source.path() + "/tokenizer.json")) {
      spec = load_tokenizer_spec(source.path());
    }
    if (spec) add_tokenizer_to_gguf(*spec, c.vocab_size, md);
  } catch (const Error& e) {
    SEEK_LOG_WARN("the tokenizer is not embedded in the GGUF: " << e.what());
  }
}

}  // namespace

void export_gguf(const WeightSource& source, const std::string& out_path, const GgufExportOptions& options) {
  const ModelConfig& c = source.config();
  GgufWriter writer;
  config_to_gguf_metadata(c, writer);
  // llama.cpp's LLAMA_FTYPE: one K-quant throughout is closest to its "_S" mix, k_mix is "_M".
  writer.metadata().set("general.file_type", GgufValue::u32(options.matrix_type == DType::kQ8_0   ? 7
                                                            : options.matrix_type == DType::kQ4_0 ? 2
                                                            : options.matrix_type == DType::kQ4_1 ? 3
                                                            : options.matrix_type == DType::kQ5_0 ? 8
                                                            : options.matrix_type == DType::kQ5_1 ? 9
                                                            : options.matrix_type == DType::kQ2_K ? 10
                                                            : options.matrix_type == DType::kQ3_K ? 11
                                                            : options.matrix_type == DType::kQ4_K ? 14u + options.k_mix
                                                            : options.matrix_type == DType::kQ5_K ? 16u + options.k_mix
                                                            : options.matrix_type == DType::kQ6_K ? 18
                                                            : options.matrix_type == DType::kIQ4_NL ? 25
                                                            : options.matrix_type == DType::kIQ4_XS ? 30
                                                            : options.matrix_type == DType::kBF16 ? 32
                                                            : options.matrix_type == DType::kF16  ? 1
                                                                                                  : 0));
  add_source_tokenizer(source, c, &writer.metadata());
  const std::vector<TensorSpec> specs = model_tensor_specs(c, /*include_mtp=*/false);
  std::map<std::string, std::vector<const TensorSpec*>> stacks;  // stacked expert name -> its experts in order
  for (const TensorSpec& spec : specs) {
    int expert = -1;
    const std::optional<std::string> g = gguf_name_for(spec.name, &expert);
    SEEK_ASSERT_MSG(g.has_value(), "no GGUF name for " << spec.name);
    if (expert >= 0) {
      stacks[*g].push_back(&spec);
      continue;
    }
    const Tensor stored = source.get(spec.name, spec.shape);
    const DType type = output_type(spec, stored.dtype(), options, c);
    if (options.split_kv_b && ends_with(spec.name, "self_attn.kv_b_proj.weight")) {
      add_split_kv_b(writer, source, spec, *g, type);
      continue;
    }
    const bool permute = is_llama_qk(c, spec.name);
    const std::string name = spec.name;
    writer.add_tensor(*g, type, spec.shape, [&source, &c, name, shape = spec.shape, type, permute]() {
      Tensor t = source.get(name, shape);
      if (permute) t = permute_rope_rows(t, rope_heads(c, name), /*inverse=*/false);
      Tensor out = Tensor::empty(type, shape);
      convert_rows(t, type, static_cast<uint8_t*>(out.data()));
      return out;
    });
  }
  for (auto& [gname, experts] : stacks) {
    const std::vector<int64_t> shape = experts[0]->shape;
    const DType type = output_type(*experts[0], source.get(experts[0]->name, shape).dtype(), options, c);
    std::vector<std::string> names;
    for (const TensorSpec* s : experts) names.push_back(s->name);
    const int64_t n_exp = static_cast<int64_t>(names.size());
    writer.add_tensor(gname, type, {n_exp, shape[0], shape[1]}, [&source, names, shape, type, n_exp]() {
      Tensor out = Tensor::empty(type, {n_exp, shape[0], shape[1]});
      const size_t per_expert = dtype_row_bytes(type, shape[1]) * static_cast<size_t>(shape[0]);
      for (int64_t e = 0; e < n_exp; ++e)
        convert_rows(source.get(names[static_cast<size_t>(e)], shape), type,
                     static_cast<uint8_t*>(out.data()) + e * per_expert);
      return out;
    });
  }
  if (c.rope_scaling.type == RopeScalingType::kLlama3) {
    // llama.cpp reads Llama 3.1 scaling only as this tensor of per-frequency divisors.
    const std::vector<float> base = rope_base_freqs(c, c.head_dim);
    const RopeTables scaled = rope_tables(c, c.head_dim);
    Tensor factors = Tensor::empty(DType::kF32, {static_cast<int64_t>(base.size())});
    for (size_t i = 0; i < base.size(); ++i) factors.data_as<float>()[i] = base[i] / scaled.freqs[i];
    writer.add_tensor("rope_freqs.weight", factors);
  }
  writer.write(out_path);
}

void export_hf(const WeightSource& source, const std::string& out_dir) {
  const ModelConfig& c = source.config();
  std::filesystem::create_directories(out_dir);
  std::vector<NamedTensor> tensors;
  for (const TensorSpec& spec : model_tensor_specs(c, /*include_mtp=*/true)) {
    if (spec.is_mtp && !source.has(spec.name)) continue;  // GGUF files carry no MTP module
    Tensor t = source.get(spec.name, spec.shape);
    if (source.is_gguf() && is_llama_qk(c, spec.name)) t = permute_rope_rows(t, rope_heads(c, spec.name), true);
    if (dtype_is_quantized(t.dtype()) || t.dtype() == DType::kF8E4M3 || !t.is_contiguous()) t = t.to_f32();
    tensors.emplace_back(spec.name, t);
  }
  ModelConfig out_config = c;
  out_config.quantization_config.reset();  // FP8 weights were widened
  const std::string json = config_to_hf_json(out_config);
  write_file_atomic(out_dir + "/config.json", json.data(), json.size());
  write_safetensors_sharded(out_dir, tensors);
  if (!source.is_gguf()) {
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "generation_config.json"}) {
      const std::string from = source.path() + "/" + f;
      if (std::filesystem::exists(from))
        std::filesystem::copy_file(from, out_dir + "/" + f, std::filesystem::copy_options::overwrite_existing);
    }
  }
}

}  // namespace seek
