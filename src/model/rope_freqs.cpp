#include "model/rope_freqs.h"

#include <algorithm>
#include <cmath>

namespace seek {

namespace {

constexpr double kPi = 3.14159265358979323846;

// YaRN's attention temperature term: 0.1 · mscale · ln(factor) + 1 (1 when not extending).
double yarn_mscale(double factor, double mscale) { return factor <= 1.0 ? 1.0 : 0.1 * mscale * std::log(factor) + 1.0; }

void apply_yarn(const ModelConfig& c, int64_t dim, std::vector<double>& omega, double& attn_factor) {
  const RopeScaling& s = c.rope_scaling;
  const double base = c.rope_theta;
  const double l0 = static_cast<double>(s.original_max_position_embeddings);
  // Dimension index at which a frequency completes `rotations` turns over the original context.
  auto correction_dim = [&](double rotations) {
    return static_cast<double>(dim) * std::log(l0 / (rotations * 2.0 * kPi)) / (2.0 * std::log(base));
  };
  const double low = std::max(std::floor(correction_dim(s.beta_fast)), 0.0);
  double high = std::min(std::ceil(correction_dim(s.beta_slow)), static_cast<double>(dim - 1));
  if (low == high) high += 0.001;  // avoid a zero-width ramp
  for (size_t i = 0; i < omega.size(); ++i) {
    const double ramp = std::clamp((static_cast<double>(i) - low) / (high - low), 0.0, 1.0);
    const double keep = 1.0 - ramp;  // 1: keep the original frequency (extrapolate), 0: interpolate
    omega[i] = omega[i] / s.factor * (1.0 - keep) + omega[i] * keep;
  }
  // cos/sin factor: DeepSeek configs give mscale and mscale_all_dim (equal in every release: 1.0);
  // otherwise HF's default 0.1 · ln(factor) + 1.
  attn_factor = s.mscale_all_dim != 0.0 ? yarn_mscale(s.factor, s.mscale) / yarn_mscale(s.factor, s.mscale_all_dim)
                                        : yarn_mscale(s.factor, 1.0);
}

void apply_llama3(const ModelConfig& c, std::vector<double>& omega) {
  const RopeScaling& s = c.rope_scaling;
  const double l0 = static_cast<double>(s.original_max_position_embeddings);
  const double low_wavelen = l0 / s.low_freq_factor, high_wavelen = l0 / s.high_freq_factor;
  for (double& w : omega) {
    const double wavelen = 2.0 * kPi / w;
    if (wavelen < high_wavelen) continue;  // high frequencies are kept
    if (wavelen > low_wavelen) {
      w /= s.factor;  // low frequencies are interpolated
      continue;
    }
    const double smooth = (l0 / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
    w = (1.0 - smooth) * w / s.factor + smooth * w;
  }
}

}  // namespace

RopeTables rope_tables(const ModelConfig& config, int64_t rotary_dim) {
  std::vector<double> omega(static_cast<size_t>(rotary_dim / 2));
  for (size_t i = 0; i < omega.size(); ++i)
    omega[i] = std::pow(config.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(rotary_dim));
  double attn_factor = 1.0;
  switch (config.rope_scaling.type) {
    case RopeScalingType::kNone: break;
    case RopeScalingType::kYarn: apply_yarn(config, rotary_dim, omega, attn_factor); break;
    case RopeScalingType::kLlama3: apply_llama3(config, omega); break;
    case RopeScalingType::kLinear:
      for (double& w : omega) w /= config.rope_scaling.factor;
      break;
  }
  RopeTables t;
  t.freqs.assign(omega.begin(), omega.end());
  t.attn_factor = static_cast<float>(attn_factor);
  return t;
}

std::vector<float> rope_base_freqs(const ModelConfig& config, int64_t rotary_dim) {
  ModelConfig plain = config;
  plain.rope_scaling = RopeScaling{};
  return rope_tables(plain, rotary_dim).freqs;
}

float attention_softmax_scale(const ModelConfig& config) {
  const int64_t head_dim = config.has_mla() ? config.qk_head_dim() : config.head_dim;
  double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  const RopeScaling& s = config.rope_scaling;
  if (config.has_mla() && s.type == RopeScalingType::kYarn && s.mscale_all_dim != 0.0) {
    const double m = yarn_mscale(s.factor, s.mscale_all_dim);
    scale *= m * m;
  }
  return static_cast<float>(scale);
}

}  // namespace seek
