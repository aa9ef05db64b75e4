// make_bench_gguf --config CONFIG.json --type q8_0|q4_0|bf16|f32 --out FILE.gguf [--seed S]
//                 [--tokenizer DIR|tokenizer.json] [--split-kv-b 1]
// A GGUF with the real shapes of a released model (its config.json, e.g. tests/data/configs/
// deepseek-v2-lite.json) and random weights, for `seek bench`: speed depends on shapes and types,
// not on trained values. Values are uniform with std 1/sqrt(fan_in) written straight into the
// quantised blocks (no f32 copy of a 16 GB model), norms are 1, so activations stay in range and the
// router spreads tokens over the experts. --tokenizer embeds a tokenizer (padded to the model's
// vocabulary with unused tokens), which llama.cpp-family tools need to load the file at all.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "core/error.h"
#include "core/mmap_file.h"
#include "formats/gguf_writer.h"
#include "formats/model_config.h"
#include "model/tensor_specs.h"
#include "model/weight_names.h"
#include "tokenizer/tokenizer_gguf.h"
#include "tokenizer/tokenizer_spec.h"

namespace {

using namespace seek;

// splitmix64: fast, seedable, good enough for benchmark weights.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
};

// Fills rows x cols values of `type` with uniform values of standard deviation `std` (or the
// constant `fill` when std == 0).
void fill(DType type, uint8_t* out, int64_t rows, int64_t cols, float std_dev, float constant, Rng& rng) {
  const float amplitude = std_dev * std::sqrt(3.0f);  // uniform on [-a, a] has std a / sqrt(3)
  const int64_t n = rows * cols;
  switch (type) {
    case DType::kQ8_0: {
      BlockQ8_0* b = reinterpret_cast<BlockQ8_0*>(out);
      for (int64_t i = 0; i < n / kQK8_0; ++i) {
        b[i].d = f32_to_f16(amplitude / 127.0f);
        for (int j = 0; j < kQK8_0; j += 2) {  // -127..127, each as likely (a 32-bit draw mod 255)
          const uint64_t r = rng.next();
          b[i].qs[j] = static_cast<int8_t>(static_cast<int>((r & 0xffffffffu) % 255) - 127);
          b[i].qs[j + 1] = static_cast<int8_t>(static_cast<int>((r >> 32) % 255) - 127);
        }
      }
      return;
    }
    case DType::kQ4_0: {
      BlockQ4_0* b = reinterpret_cast<BlockQ4_0*>(out);
      for (int64_t i = 0; i < n / kQK4_0; ++i) {
        // Nibbles 1..15 (values -7..7): all sixteen would give values -8..7, whose mean of -d/2 in
        // every row adds the same -d/2·Σx to every output; each layer then multiplies the stream's
        // all-ones direction by ~-0.1·sqrt(fan_in), until every token's state is that direction and
        // the router sends all of them to the same experts.
        b[i].d = f32_to_f16(amplitude / 7.0f);
        for (int j = 0; j < kQK4_0 / 2; j += 2) {
          const uint64_t r = rng.next();
          for (int h = 0; h < 2; ++h) {  // one byte, two nibbles, from a 32-bit draw mod 225
            const int v = static_cast<int>(((r >> (32 * h)) & 0xffffffffu) % 225);
            b[i].qs[j + h] = static_cast<uint8_t>((1 + v % 15) | ((1 + v / 15) << 4));
          }
        }
      }
      return;
    }
    case DType::kBF16:
    case DType::kF32: {
      for (int64_t i = 0; i < n; ++i) {
        const float u = static_cast<float>(rng.next() >> 40) / static_cast<float>(1ull << 24) * 2.0f - 1.0f;
        const float v = std_dev > 0 ? u * amplitude : constant;
        if (type == DType::kF32) reinterpret_cast<float*>(out)[i] = v;
        else reinterpret_cast<uint16_t*>(out)[i] = f32_to_bf16(v);
      }
      return;
    }
    default: SEEK_FAIL("unsupported type " << dtype_name(type));
  }
}

// A tensor of random values: a matrix (rows of `cols` = shape.back()) or a norm (all ones).
void add_random(GgufWriter& writer, const std::string& name, DType t, const std::vector<int64_t>& shape, bool matrix,
                uint64_t seed) {
  writer.add_tensor(name, t, shape, [t, shape, matrix, seed]() {
    Tensor out = Tensor::empty(t, shape);
    Rng rng{seed};
    const int64_t cols = shape.back(), rows = out.numel() / cols;
    fill(t, static_cast<uint8_t*>(out.data()), rows, cols, matrix ? 1.0f / std::sqrt(static_cast<float>(cols)) : 0.0f,
         1.0f, rng);
    return out;
  });
}

int run(int argc, char** argv) {
  std::string config_path, out_path, type_name = "q8_0", tokenizer_path;
  uint64_t seed = 1;
  bool split_kv_b = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--config") config_path = v;
    else if (k == "--out") out_path = v;
    else if (k == "--type") type_name = v;
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--tokenizer") tokenizer_path = v;
    else if (k == "--split-kv-b") split_kv_b = v == "1";
    else SEEK_FAIL("unknown option " << k);
  }
  SEEK_CHECK(!config_path.empty() && !out_path.empty(),
             "usage: make_bench_gguf --config CONFIG.json --type q8_0|q4_0|bf16|f32 --out FILE.gguf");
  const DType type = type_name == "q8_0" ? DType::kQ8_0 : type_name == "q4_0" ? DType::kQ4_0
                     : type_name == "bf16" ? DType::kBF16 : type_name == "f32" ? DType::kF32
                     : throw Error("--type must be q8_0, q4_0, bf16 or f32");
  ModelConfig config = config_from_hf_json(read_file(config_path), config_path);
  config.quantization_config.reset();
  GgufWriter writer;
  config_to_gguf_metadata(config, writer);
  if (!tokenizer_path.empty()) add_tokenizer_to_gguf(load_tokenizer_spec(tokenizer_path), config.vocab_size, &writer.metadata());
  std::map<std::string, std::vector<const TensorSpec*>> stacks;
  const std::vector<TensorSpec> specs = model_tensor_specs(config, /*include_mtp=*/false);
  uint64_t tensor_seed = seed;
  for (const TensorSpec& spec : specs) {
    int expert = -1;
    const std::string g = *gguf_name_for(spec.name, &expert);
    if (expert >= 0) {
      stacks[g].push_back(&spec);
      continue;
    }
    const bool matrix = spec.is_matrix && spec.shape[1] % 32 == 0;
    // --split-kv-b: MLA's kv_b_proj in current llama.cpp's form, attn_k_b [H, rank, nope] and
    // attn_v_b [H, v, rank] (llama.cpp requires it and refuses an extra attn_kv_b). seek reads it
    // too, rebuilding kv_b_proj in f32 at load (see weight_source.cpp).
    const std::string kv_b = "attn_kv_b.weight";
    if (split_kv_b && g.size() > kv_b.size() && g.compare(g.size() - kv_b.size(), kv_b.size(), kv_b) == 0) {
      const std::string stem = g.substr(0, g.size() - kv_b.size());
      const int64_t H = config.num_attention_heads, rank = config.kv_lora_rank;
      add_random(writer, stem + "attn_k_b.weight", type, {H, rank, config.qk_nope_head_dim}, true, ++tensor_seed);
      add_random(writer, stem + "attn_v_b.weight", type, {H, config.v_head_dim, rank}, true, ++tensor_seed);
      continue;
    }
    add_random(writer, g, matrix ? type : DType::kF32, spec.shape, matrix, ++tensor_seed);
  }
  for (auto& [g, experts] : stacks) {
    const std::vector<int64_t> shape = experts[0]->shape;
    const int64_t n = static_cast<int64_t>(experts.size());
    const uint64_t s = ++tensor_seed;
    writer.add_tensor(g, type, {n, shape[0], shape[1]}, [type, shape, n, s]() {
      Tensor out = Tensor::empty(type, {n, shape[0], shape[1]});
      Rng rng{s};
      fill(type, static_cast<uint8_t*>(out.data()), n * shape[0], shape[1], 1.0f / std::sqrt(static_cast<float>(shape[1])),
           1.0f, rng);
      return out;
    });
  }
  writer.write(out_path);
  std::printf("wrote %s (%zu tensors)\n", out_path.c_str(), writer.num_tensors());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_bench_gguf: error: %s\n", e.what());
    return 1;
  }
}
