// Converters between the two model file layouts, driven by tensor_specs.h:
//   export_gguf: any model source -> GGUF with llama.cpp's names and metadata (architecture.md 8.5);
//                routed experts stacked into 3-D tensors, kv_b_proj kept whole (attn_kv_b), the MTP
//                module left out as llama.cpp's converter does, Llama q/k rows permuted to llama.cpp's
//                interleaved-pair RoPE layout; matrices optionally quantised (q8_0, q4_0, bf16, f16)
//                except the MoE router (ffn_gate_inp), which stays f32 as in llama.cpp.
//   export_hf:   any model source -> a Hugging Face directory (config.json + model.safetensors);
//                block-quantised tensors are widened to f32 (safetensors has no block types).
// The tokenizer travels with the weights: embedded as llama.cpp's tokenizer.ggml.* metadata in GGUF
// output, copied as tokenizer.json / tokenizer_config.json into HF output.
// Outputs appear only when complete (atomic writers).
#pragma once

#include <optional>
#include <string>

#include "core/dtype.h"

namespace seek {

class WeightSource;

struct GgufExportOptions {
  std::optional<DType> matrix_type;  // nullopt: keep f32/f16/bf16 as stored (FP8 and others -> f32);
                                     // the MoE router is written f32 either way
  // MLA's kv_b_proj as current llama.cpp wants it (attn_k_b + attn_v_b), or whole (attn_kv_b, the
  // layout of older llama.cpp files, which seek runs on without widening it).
  bool split_kv_b = true;
  // llama.cpp's "_M" recipe over a q4_K or q5_K matrix_type (Q4_K_M, Q5_K_M): q6_K for the output head
  // (the embedding when they are tied) and for v_proj and down_proj in the layers llama.cpp gives more
  // bits (the first and last eighth, and every third between).
  bool k_mix = false;
};

void export_gguf(const WeightSource& source, const std::string& out_path, const GgufExportOptions& options);
void export_hf(const WeightSource& source, const std::string& out_dir);

}  // namespace seek
