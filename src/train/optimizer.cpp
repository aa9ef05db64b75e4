#include "train/optimizer.h"

#include <cmath>
#include <numbers>

#include "core/error.h"
#include "kernels/grad.h"
#include "formats/safetensors.h"

namespace seek::train {

AdamW::AdamW(const std::vector<Parameter>& params, const AdamWParams& hp) : hp_(hp) {
  for (const Parameter& p : params) {
    m_.push_back(p.trainable ? Tensor::empty(DType::kF32, p.value.shape()) : Tensor());
    v_.push_back(p.trainable ? Tensor::empty(DType::kF32, p.value.shape()) : Tensor());
  }
}

void AdamW::step(std::vector<Parameter>& params, float lr, ThreadPool& pool) {
  SEEK_ASSERT(params.size() == m_.size());
  ++step_;
  const double bc1 = 1.0 - std::pow(static_cast<double>(hp_.beta1), static_cast<double>(step_));
  const double bc2 = 1.0 - std::pow(static_cast<double>(hp_.beta2), static_cast<double>(step_));
  const float step_size = static_cast<float>(lr / bc1);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const kernels::KernelContext ctx{&pool, nullptr, best_kernel_level()};
  for (size_t i = 0; i < params.size(); ++i) {
    Parameter& p = params[i];
    if (!p.trainable) continue;
    kernels::AdamWUpdate u;
    u.keep = p.decay ? 1.0f - lr * hp_.weight_decay : 1.0f;
    u.b1 = hp_.beta1;
    u.b2 = hp_.beta2;
    u.eps = hp_.eps;
    u.step_size = step_size;
    u.inv_sqrt_bc2 = inv_sqrt_bc2;
    kernels::adamw_update(ctx, p.value.data_as<float>(), p.grad.data_as<float>(), m_[i].data_as<float>(),
                          v_[i].data_as<float>(), p.value.numel(), u);
  }
}

void AdamW::save(const std::string& path, const std::vector<Parameter>& params) const {
  std::vector<NamedTensor> tensors;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].trainable) continue;
    tensors.emplace_back(params[i].name + ".exp_avg", m_[i]);
    tensors.emplace_back(params[i].name + ".exp_avg_sq", v_[i]);
  }
  write_safetensors(path, tensors, {{"step", std::to_string(step_)}});
}

void AdamW::load(const std::string& path, const std::vector<Parameter>& params) {
  const SafetensorsFile file = SafetensorsFile::open(path);
  const auto it = file.metadata().find("step");
  SEEK_CHECK(it != file.metadata().end(), path << ": optimizer state without a step count");
  step_ = std::stoll(it->second);
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].trainable) continue;
    for (auto [suffix, dst] : {std::pair{".exp_avg", &m_[i]}, std::pair{".exp_avg_sq", &v_[i]}}) {
      const std::string name = params[i].name + suffix;
      SEEK_CHECK(file.has(name), path << ": no optimizer tensor " << name);
      const Tensor t = file.tensor(name);
      SEEK_CHECK(t.shape() == dst->shape() && t.dtype() == DType::kF32,
                 path << ": " << name << " is " << t.shape_string() << ", expected " << dst->shape_string());
      std::copy_n(t.data_as<float>(), t.numel(), dst->data_as<float>());
    }
  }
}

double grad_norm(const std::vector<Parameter>& params, ThreadPool& pool) {
  const kernels::KernelContext ctx{&pool, nullptr, best_kernel_level()};
  double sum = 0.0;
  for (const Parameter& p : params)
    if (p.trainable) sum += kernels::sum_squares(ctx, p.grad.data_as<float>(), p.grad.numel());
  return std::sqrt(sum);
}

double clip_grad_norm(std::vector<Parameter>& params, double max_norm, ThreadPool& pool) {
  const double norm = grad_norm(params, pool);
  if (max_norm <= 0.0 || norm <= max_norm) return norm;
  const kernels::KernelContext ctx{&pool, nullptr, best_kernel_level()};
  const float scale = static_cast<float>(max_norm / (norm + 1e-6));
  for (Parameter& p : params)
    if (p.trainable) kernels::scale(ctx, p.grad.data_as<float>(), scale, p.grad.numel());
  return norm;
}

float Schedule::at(int64_t step) const {
  if (warmup_steps > 0 && step < warmup_steps)
    return lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  const int64_t after = step - warmup_steps, span = std::max<int64_t>(1, total_steps - warmup_steps);
  const double progress = std::min(1.0, static_cast<double>(after) / static_cast<double>(span));
  switch (kind) {
    case ScheduleKind::kConstant: return lr;
    case ScheduleKind::kCosine:
      return min_lr + (lr - min_lr) * static_cast<float>(0.5 * (1.0 + std::cos(std::numbers::pi * progress)));
    case ScheduleKind::kWsd: {
      const double decay_start = 1.0 - static_cast<double>(decay_fraction);
      if (progress <= decay_start) return lr;
      const double d = (progress - decay_start) / std::max(1e-9, static_cast<double>(decay_fraction));
      return lr + (min_lr - lr) * static_cast<float>(d);
    }
  }
  return lr;
}

ScheduleKind parse_schedule_kind(const std::string& name) {
  if (name == "constant") return ScheduleKind::kConstant;
  if (name == "cosine") return ScheduleKind::kCosine;
  if (name == "wsd") return ScheduleKind::kWsd;
  SEEK_FAIL("unknown learning-rate schedule '" << name << "' (constant, cosine, wsd)");
}

}  // namespace seek::train
