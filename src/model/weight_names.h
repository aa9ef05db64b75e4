// Tensor names: Hugging Face names are seek's canonical names; GGUF files use llama.cpp's
// (architecture.md 8.2 and 8.5). One table maps between them, used by the loader and the writers.
#pragma once

#include <optional>
#include <string>

namespace seek {

// HF name -> GGUF name, e.g. "model.layers.3.self_attn.kv_a_proj_with_mqa.weight" ->
// "blk.3.attn_kv_a_mqa.weight". Routed experts ("model.layers.N.mlp.experts.E.up_proj.weight") map to
// the stacked tensor ("blk.N.ffn_up_exps.weight") and set *expert_idx = E. nullopt for names GGUF
// has no place for (the MTP layer, FP8 scales).
std::optional<std::string> gguf_name_for(const std::string& hf_name, int* expert_idx);

// The HF name of layer `layer_idx`'s tensor `suffix`: hf_layer_name(3, "mlp.gate.weight").
std::string hf_layer_name(int64_t layer_idx, const std::string& suffix);

}  // namespace seek
