// TrainModel: the model of model/model.h as a differentiable graph, for training.
//
// The same architecture, config and kernels as inference, in the plain form (naive MLA, every token
// through its experts, no KV cache): DESIGN.md's "the model is written once" holds because the
// inference fast paths are each tested equal to this path (tests/unit/train: logits of TrainModel
// == Model::forward on the same checkpoint). Parameters carry the Hugging Face names and shapes of
// model_tensor_specs(), f32 master copies; checkpoints are Hugging Face directories every part of
// seek (and transformers) loads.
//
// One step: forward_backward() builds the graph of a micro-batch on a tape, computes
//   total = CE(next token) + λ · CE(MTP, token after next) + α · Σ_moe-layers balance
// (training.md 3; tests/reference/model.py training_loss), and adds d(total)/d(param) · grad_scale
// to every parameter's gradient. DeepSeek-V3's bias (e_score_correction_bias) only selects experts
// and has no gradient; the trainer moves it with the expert loads this returns.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/arena.h"
#include "core/thread_pool.h"
#include "formats/model_config.h"
#include "kernels/kernels.h"
#include "train/tape.h"

namespace seek::train {

struct Parameter {
  std::string name;      // Hugging Face name
  Tensor value;          // f32 master weights
  Tensor grad;           // f32, same shape; accumulates until zero_grad()
  bool trainable = true; // false: buffers such as e_score_correction_bias
  bool decay = true;     // weight decay applies (matrices); norms, biases and embeddings' rows... see AdamW
};

// A micro-batch of `batch` sequences of `seq` tokens, sequence-major.
struct TrainBatch {
  int64_t batch = 0, seq = 0;
  std::vector<int32_t> tokens;   // [batch * seq]
  std::vector<int32_t> targets;  // [batch * seq]: the token row i must predict, -1 where not scored

  // Plain language modelling: targets[b, t] = tokens[b, t + 1], the last row of each sequence unscored.
  static TrainBatch next_token(int64_t batch, int64_t seq, std::vector<int32_t> tokens);
};

struct LossWeights {
  float mtp_lambda = 0.0f;     // λ: weight of the MTP loss (0: the MTP module does not run)
  float balance_alpha = 0.0f;  // α: weight of the sequence-wise balance loss (0: not computed)
};

struct StepLosses {
  double total = 0, ce = 0, mtp = 0, balance = 0;
  int64_t scored_tokens = 0;  // rows that counted in the CE
  // Routed slots each expert received, per MoE layer that ran (main layers, then MTP blocks): [E].
  std::vector<std::vector<int64_t>> expert_counts;
  std::vector<int64_t> moe_layers;  // the layer index of each expert_counts entry
};

class TrainModel {
 public:
  TrainModel(const ModelConfig& config, int num_threads, KernelLevel level = best_kernel_level());
  // f32 copies of every tensor of a Hugging Face directory (or any file WeightSource reads).
  static std::unique_ptr<TrainModel> load(const std::string& path, int num_threads,
                                          KernelLevel level = best_kernel_level());

  // Normal(0, std) matrices, RMSNorm weights 1, biases 0; the MTP module's embedding and head start
  // as copies of the main ones (DeepSeek-V3 shares them).
  void init_random(uint64_t seed, float std = 0.02f);

  const ModelConfig& config() const { return config_; }
  std::vector<Parameter>& parameters() { return params_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  Parameter& parameter(const std::string& name);
  Parameter* find_parameter(const std::string& name);  // null when the model has none of that name
  int64_t num_parameters(bool include_mtp = true) const;
  void zero_grad();
  // Mixed precision: forward matmuls read bf16 copies of the weight matrices (refreshed from the f32
  // master weights at every step; AVX-512 BF16 dot products for row blocks >= 16), while gradients,
  // the optimizer and checkpoints stay f32.
  void set_bf16(bool on) { bf16_ = on; }
  // Times the ops of every following step into *profile (null: stop).
  void set_profile(OpProfile* profile) { profile_ = profile; }
  bool bf16() const { return bf16_; }

  StepLosses forward_backward(const TrainBatch& batch, const LossWeights& weights, float grad_scale = 1.0f);
  // Forward only, no gradient: the main head's logits [batch * seq, vocab].
  Tensor logits(const TrainBatch& batch);
  // Losses of a batch without touching gradients (evaluation).
  StepLosses evaluate(const TrainBatch& batch, const LossWeights& weights);

  // config.json + model.safetensors in `dir` (created; files written atomically). Weights are
  // stored as `dtype` (f32 for checkpoints that resume exactly; bf16 halves a released model) and
  // config.json's torch_dtype says which.
  void save(const std::string& dir, DType dtype = DType::kF32) const;

 private:
  struct Graph;  // the Vars of one forward pass (train_graph.cpp)
  StepLosses run(const TrainBatch& batch, const LossWeights& weights, bool backward, float grad_scale,
                 Tensor* logits_out);
  void reserve_scratch(int64_t rows);

  ModelConfig config_;
  std::vector<Parameter> params_;
  std::unordered_map<std::string, size_t> index_;
  // RoPE and attention constants from the config, fixed for the model's life.
  Tensor rope_freqs_;
  kernels::RopeParams rope_params_;
  float attn_scale_ = 1.0f;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Arena> scratch_;
  TapeMemory memory_;  // every step's values and gradients, reused
  std::unique_ptr<ThreadContexts> thread_contexts_;
  KernelLevel level_;
  int64_t scratch_rows_ = 0;
  bool bf16_ = false;
  OpProfile* profile_ = nullptr;
  std::vector<Tensor> bf16_copies_;  // by parameter index, matrices only
};

}  // namespace seek::train
