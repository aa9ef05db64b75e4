// Every tensor a model of a given config has in Hugging Face layout: name, shape and role. The single
// list behind the converters (HF <-> GGUF) and the shape checks against real checkpoints' manifests;
// the model loader requests exactly these names (tested).
#pragma once

#include <string>
#include <vector>

#include "formats/model_config.h"

namespace seek {

struct TensorSpec {
  std::string name;            // HF name, e.g. "model.layers.0.self_attn.kv_b_proj.weight"
  std::vector<int64_t> shape;  // outermost first
  bool is_matrix = false;      // a 2-D projection (quantisable); false for norms, biases, router bias
  bool is_mtp = false;         // part of an MTP module (layer >= num_hidden_layers)
};

// In checkpoint order: embedding, layers (attention, then FFN), final norm, head, MTP modules.
std::vector<TensorSpec> model_tensor_specs(const ModelConfig& config, bool include_mtp);

}  // namespace seek
