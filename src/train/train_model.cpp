// TrainModel's parameters: creation from the config's tensor list, random initialisation, loading
// and saving Hugging Face checkpoints, and the entry points around the graph (train_graph.cpp).
#include <filesystem>
#include <random>

#include "core/error.h"
#include "formats/safetensors_checkpoint.h"
#include "kernels/attention.h"
#include "kernels/grad.h"
#include "core/mmap_file.h"
#include "core/quant.h"
#include "model/rope_freqs.h"
#include "model/tensor_specs.h"
#include "model/weight_source.h"
#include "train/train_model.h"

namespace seek::train {

TrainBatch TrainBatch::next_token(int64_t batch, int64_t seq, std::vector<int32_t> tokens) {
  SEEK_CHECK(static_cast<int64_t>(tokens.size()) == batch * seq, "next_token batch: " << tokens.size() << " tokens for "
                                                                                    << batch << " x " << seq);
  TrainBatch b{batch, seq, std::move(tokens), {}};
  b.targets.assign(b.tokens.size(), -1);
  for (int64_t s = 0; s < batch; ++s)
    for (int64_t i = 0; i + 1 < seq; ++i) b.targets[static_cast<size_t>(s * seq + i)] = b.tokens[static_cast<size_t>(s * seq + i + 1)];
  return b;
}

namespace {

bool is_bias_buffer(const std::string& name) { return name.ends_with("e_score_correction_bias"); }

}  // namespace

TrainModel::TrainModel(const ModelConfig& config, int num_threads, KernelLevel level)
    : config_(config), level_(level) {
  validate_config(config_, "training config");
  SEEK_CHECK(num_threads >= 1, "threads must be >= 1 (got " << num_threads << ")");
  pool_ = std::make_unique<ThreadPool>(num_threads);
  const RopeTables tables = rope_tables(config_, config_.has_mla() ? config_.qk_rope_head_dim : config_.head_dim);
  rope_freqs_ = Tensor::empty(DType::kF32, {static_cast<int64_t>(tables.freqs.size())});
  std::copy(tables.freqs.begin(), tables.freqs.end(), rope_freqs_.data_as<float>());
  // DeepSeek rotates interleaved pairs; Hugging Face Qwen2/Llama checkpoints rotate halves.
  rope_params_ = {config_.has_mla() ? kernels::RopeStyle::kInterleaved : kernels::RopeStyle::kHalf, tables.attn_factor};
  attn_scale_ = attention_softmax_scale(config_);
  for (const TensorSpec& s : model_tensor_specs(config_, true)) {
    Parameter p;
    p.name = s.name;
    p.value = Tensor::empty(DType::kF32, s.shape);
    p.grad = Tensor::empty(DType::kF32, s.shape);
    p.trainable = !is_bias_buffer(s.name);
    p.decay = s.shape.size() >= 2;  // matrices only; norms and biases are not decayed
    index_[p.name] = params_.size();
    params_.push_back(std::move(p));
  }
}

std::unique_ptr<TrainModel> TrainModel::load(const std::string& path, int num_threads, KernelLevel level) {
  const std::unique_ptr<WeightSource> source = WeightSource::open(path);
  auto model = std::make_unique<TrainModel>(source->config(), num_threads, level);
  for (Parameter& p : model->params_) {
    SEEK_CHECK(source->has(p.name), path << ": no tensor " << p.name << " (training needs every tensor, MTP included)");
    const Tensor t = source->get_f32(p.name, p.value.shape());
    std::copy_n(t.data_as<float>(), t.numel(), p.value.data_as<float>());
  }
  return model;
}

void TrainModel::init_random(uint64_t seed, float std) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, std);
  for (Parameter& p : params_) {
    float* v = p.value.data_as<float>();
    const bool matrix = p.value.ndim() >= 2;
    const bool zero = p.name.ends_with(".bias") || is_bias_buffer(p.name);
    for (int64_t i = 0; i < p.value.numel(); ++i) v[i] = matrix ? normal(rng) : (zero ? 0.0f : 1.0f);
  }
  // DeepSeek-V3 shares the embedding and output head with its MTP modules; the checkpoint keeps
  // copies, which start equal.
  for (int64_t k = 0; k < config_.num_nextn_predict_layers; ++k) {
    const std::string prefix = "model.layers." + std::to_string(config_.num_hidden_layers + k) + ".";
    const Tensor& embed = parameter("model.embed_tokens.weight").value;
    const Tensor& head = parameter(config_.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight").value;
    std::copy_n(embed.data_as<float>(), embed.numel(), parameter(prefix + "embed_tokens.weight").value.data_as<float>());
    std::copy_n(head.data_as<float>(), head.numel(), parameter(prefix + "shared_head.head.weight").value.data_as<float>());
  }
}

Parameter* TrainModel::find_parameter(const std::string& name) {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &params_[it->second];
}

Parameter& TrainModel::parameter(const std::string& name) {
  const auto it = index_.find(name);
  SEEK_CHECK(it != index_.end(), "the model has no parameter " << name);
  return params_[it->second];
}

int64_t TrainModel::num_parameters(bool include_mtp) const {
  int64_t n = 0;
  const std::string mtp_prefix = "model.layers." + std::to_string(config_.num_hidden_layers) + ".";
  for (const Parameter& p : params_) {
    if (!p.trainable) continue;
    if (!include_mtp && config_.num_nextn_predict_layers > 0 && p.name.starts_with(mtp_prefix)) continue;
    n += p.value.numel();
  }
  return n;
}

void TrainModel::zero_grad() {
  for (Parameter& p : params_) std::fill_n(p.grad.data_as<float>(), p.grad.numel(), 0.0f);
}

void TrainModel::reserve_scratch(int64_t rows) {
  if (rows <= scratch_rows_) return;
  // The largest matmul of a step: forward x [rows, k]; backward dx [rows, n_out] and
  // dW = dyᵀ [n_out, rows] against xᵀ, so both sides reach max(rows, widest parameter dimension).
  int64_t widest = 0;
  for (const Parameter& p : params_)
    for (int64_t d : p.value.shape()) widest = std::max(widest, d);
  const int64_t side = std::max(rows, widest);
  const kernels::KernelContext ctx{pool_.get(), nullptr, level_};
  const size_t bytes = std::max({kernels::matmul_scratch_bytes(ctx, side, side, DType::kF32),
                                 kernels::matmul_scratch_bytes(ctx, side, side, DType::kBF16),
                                 kernels::matmul_nn_scratch_bytes(ctx, side, side)}) +
                       kernels::attention_scratch_bytes(ctx, rows) + kernels::rmsnorm_backward_scratch_bytes(ctx, widest) +
                       (size_t{1} << 20);
  scratch_ = std::make_unique<Arena>(bytes);
  // The one-thread contexts: a whole product of the same sizes on one thread (no attention scratch).
  ThreadPool one_thread(1);
  const kernels::KernelContext one{&one_thread, nullptr, level_};
  const size_t one_bytes = std::max({kernels::matmul_scratch_bytes(one, side, side, DType::kF32),
                                     kernels::matmul_nn_scratch_bytes(one, side, side)}) +
                           (size_t{64} << 10);
  thread_contexts_ = std::make_unique<ThreadContexts>(pool_->num_threads(), level_, one_bytes);
  scratch_rows_ = rows;
}

StepLosses TrainModel::forward_backward(const TrainBatch& batch, const LossWeights& weights, float grad_scale) {
  return run(batch, weights, true, grad_scale, nullptr);
}

StepLosses TrainModel::evaluate(const TrainBatch& batch, const LossWeights& weights) {
  return run(batch, weights, false, 1.0f, nullptr);
}

Tensor TrainModel::logits(const TrainBatch& batch) {
  Tensor out;
  run(batch, LossWeights{}, false, 1.0f, &out);
  return out;
}

void TrainModel::save(const std::string& dir, DType dtype) const {
  SEEK_CHECK(dtype == DType::kF32 || dtype == DType::kBF16 || dtype == DType::kF16,
             "models are saved as f32, bf16 or f16, not " << dtype_name(dtype));
  std::filesystem::create_directories(dir);
  ModelConfig saved = config_;
  saved.torch_dtype = dtype == DType::kF32 ? "float32" : dtype == DType::kBF16 ? "bfloat16" : "float16";
  const std::string config_text = config_to_hf_json(saved);
  write_file_atomic(dir + "/config.json", config_text.data(), config_text.size());
  std::vector<NamedTensor> tensors;
  for (const Parameter& p : params_) {
    // Norm weights and the routing bias stay f32 (as DeepSeek ships e_score_correction_bias).
    if (dtype == DType::kF32 || p.value.ndim() < 2) {
      tensors.emplace_back(p.name, p.value);
      continue;
    }
    Tensor t = Tensor::empty(dtype, p.value.shape());
    quantize_row(dtype, p.value.data_as<float>(), t.data(), p.value.numel());
    tensors.emplace_back(p.name, t);
  }
  write_safetensors_sharded(dir, tensors, {.max_shard_bytes = uint64_t{5} << 30, .metadata = {{"format", "pt"}}});
}

}  // namespace seek::train
