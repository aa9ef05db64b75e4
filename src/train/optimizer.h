// AdamW (Loshchilov & Hutter: decoupled weight decay), global-norm gradient clipping and learning
// rate schedules, with the exact update PyTorch's torch.optim.AdamW performs (so 10 steps match the
// reference's losses):
//   p ← p (1 - lr·wd)                       (parameters with decay only: matrices)
//   m ← β1 m + (1-β1) g;   v ← β2 v + (1-β2) g²
//   p ← p - lr / (1-β1^t) · m / (sqrt(v) / sqrt(1-β2^t) + eps)
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "train/train_model.h"

namespace seek::train {

struct AdamWParams {
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float weight_decay = 0.1f;
};

class AdamW {
 public:
  AdamW(const std::vector<Parameter>& params, const AdamWParams& hp);

  // One update of every trainable parameter from its gradient, at learning rate lr.
  void step(std::vector<Parameter>& params, float lr, ThreadPool& pool);
  int64_t steps() const { return step_; }

  // Moments and step count as safetensors ("<name>.exp_avg", "<name>.exp_avg_sq"), atomically.
  void save(const std::string& path, const std::vector<Parameter>& params) const;
  void load(const std::string& path, const std::vector<Parameter>& params);

 private:
  AdamWParams hp_;
  int64_t step_ = 0;
  std::vector<Tensor> m_, v_;  // by parameter index (undefined for buffers)
};

// sqrt(Σ g²) over every trainable parameter's gradient.
double grad_norm(const std::vector<Parameter>& params, ThreadPool& pool);
// Scales every gradient by max_norm / (norm + 1e-6) when the norm exceeds max_norm (as
// torch.nn.utils.clip_grad_norm_). Returns the norm before clipping.
double clip_grad_norm(std::vector<Parameter>& params, double max_norm, ThreadPool& pool);

enum class ScheduleKind { kConstant, kCosine, kWsd };

// Learning rate at a step: linear warmup from 0, then
//   constant;  cosine: down to min_lr at total_steps;  wsd (warmup-stable-decay, as in MiniCPM and
//   DeepSeek-V3's step schedule): flat, then a linear decay to min_lr over the last decay_fraction.
struct Schedule {
  ScheduleKind kind = ScheduleKind::kCosine;
  float lr = 1e-3f;
  float min_lr = 1e-4f;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  float decay_fraction = 0.2f;  // wsd only

  float at(int64_t step) const;  // step counts from 0
};
ScheduleKind parse_schedule_kind(const std::string& name);  // "constant", "cosine", "wsd"

}  // namespace seek::train
