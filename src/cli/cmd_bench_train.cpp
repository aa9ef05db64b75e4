// seek bench train --config C.json [-B 8] [-T 256] [--steps 5] [--warmup 1] [-t N]
//                  [--mtp-lambda 0.3] [--balance-alpha 1e-4] [--bf16] [--profile] [--json]
// Training throughput: full steps (forward, losses, backward, clipping, AdamW) of a randomly
// initialised model on random tokens, as tokens/s and achieved GFLOP/s against the f32 FMA peak
// measured in the same run. FLOPs follow bench/train_torch.py (PaLM / llm.c convention: 6 x the
// parameters a token multiplies by, plus 6·H·(dk+dv)·T per token for QKᵀ and PV counted over the
// full T x T; lookups, norms and the optimizer not counted), so the two figures compare directly.
// --profile adds where a step's time goes: each op's forward and backward time, and the optimizer.
#include <algorithm>
#include <cstdio>
#include <map>
#include <random>

#include "cli/commands.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "kernels/ceilings.h"
#include "train/optimizer.h"
#include "train/train_model.h"

namespace seek::cli {

namespace {

// Weights one token multiplies by in a block at layer l (train_torch.py's N).
double block_matmul_params(const ModelConfig& c, int64_t l) {
  const double d = static_cast<double>(c.hidden_size), H = static_cast<double>(c.num_attention_heads);
  double n = 0;
  if (c.has_mla()) {
    const double qk = static_cast<double>(c.qk_head_dim());
    n += c.q_lora_rank ? d * static_cast<double>(*c.q_lora_rank) + static_cast<double>(*c.q_lora_rank) * H * qk : d * H * qk;
    n += d * static_cast<double>(c.kv_lora_rank + c.qk_rope_head_dim);
    n += static_cast<double>(c.kv_lora_rank) * H * static_cast<double>(c.qk_nope_head_dim + c.v_head_dim);
    n += H * static_cast<double>(c.v_head_dim) * d;
  } else {
    const double hd = static_cast<double>(c.head_dim), kv = static_cast<double>(c.num_key_value_heads);
    n += d * H * hd * 2 + d * kv * hd * 2;
  }
  if (c.is_moe_layer(l)) {
    const double w = static_cast<double>(c.moe_intermediate_size);
    n += static_cast<double>(c.n_routed_experts) * d + static_cast<double>(c.num_experts_per_tok) * 3 * d * w +
         3 * d * w * static_cast<double>(c.n_shared_experts);
  } else {
    n += 3 * d * static_cast<double>(c.intermediate_size);
  }
  return n;
}

// The op profile of `steps` steps as a table, per step, largest total first.
void print_profile(const train::OpProfile& profile, const std::map<std::string, double>& other, double step_s,
                   int64_t steps) {
  std::vector<std::pair<double, std::string>> order;
  double ops_total = 0;
  for (const auto& [name, t] : profile.ops) {
    order.emplace_back(t.forward_s + t.backward_s, name);
    ops_total += t.forward_s + t.backward_s;
  }
  std::sort(order.rbegin(), order.rend());
  const double n = static_cast<double>(steps), ms = 1e3 / n;
  std::printf("\n%-20s %8s %12s %12s %8s\n", "op (per step)", "calls", "forward ms", "backward ms", "share");
  for (const auto& [total, name] : order) {
    const train::OpProfile::Times& t = profile.ops.at(name);
    std::printf("%-20s %8.0f %12.2f %12.2f %7.1f%%\n", name.c_str(), static_cast<double>(t.calls) / n, t.forward_s * ms,
                t.backward_s * ms, 100.0 * total / n / step_s);
  }
  double rest = step_s * n - ops_total;
  for (const auto& [name, s] : other) {
    std::printf("%-20s %8s %12.2f %12s %7.1f%%\n", name.c_str(), "", s * ms, "", 100.0 * s / n / step_s);
    rest -= s;
  }
  std::printf("%-20s %8s %12.2f %12s %7.1f%%\n", "(rest of the step)", "", rest * ms, "", 100.0 * rest / n / step_s);
}

}  // namespace

int cmd_bench_train(Args& args) {
  const std::string config_path = args.get_or("--config", "");
  const int64_t B = args.get_int("-B", 8), T = args.get_int("-T", 256);
  const int64_t steps = args.get_int("--steps", 5), warmup = args.get_int("--warmup", 1);
  const int threads = static_cast<int>(args.get_int("-t", ThreadPool::default_threads()));
  train::LossWeights w;
  w.mtp_lambda = static_cast<float>(args.get_double("--mtp-lambda", 0.3));
  w.balance_alpha = static_cast<float>(args.get_double("--balance-alpha", 1e-4));
  const bool json = args.flag("--json");
  const bool bf16 = args.flag("--bf16");
  const bool profile = args.flag("--profile");
  args.finish();
  SEEK_CHECK(!config_path.empty(), "--config config.json is required");
  SEEK_CHECK(B >= 1 && T >= 3 && steps >= 1, "-B >= 1, -T >= 3 and --steps >= 1");

  const ModelConfig c = config_from_hf_json(read_file(config_path), config_path);
  ThreadPool pool(threads);
  const kernels::Ceilings ceil = kernels::measure_ceilings(pool, {.buffer_bytes = size_t{64} << 20, .repeats = 3});

  train::TrainModel model(c, threads);
  model.init_random(1);
  model.set_bf16(bf16);
  train::AdamW opt(model.parameters(), {});
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(c.vocab_size - 1));
  std::vector<double> times;
  train::OpProfile ops;
  std::map<std::string, double> other;  // profiled time outside the tape
  for (int64_t s = 0; s < warmup + steps; ++s) {
    std::vector<int32_t> tokens(static_cast<size_t>(B * T));
    for (int32_t& t : tokens) t = token(rng);
    const train::TrainBatch batch = train::TrainBatch::next_token(B, T, std::move(tokens));
    const bool measured = s >= warmup;
    if (profile && measured) model.set_profile(&ops);
    const double t0 = monotonic_seconds();
    model.zero_grad();
    const double t1 = monotonic_seconds();
    const train::StepLosses l = model.forward_backward(batch, w);
    SEEK_CHECK(std::isfinite(l.total), "non-finite loss at step " << s);
    const double t2 = monotonic_seconds();
    train::clip_grad_norm(model.parameters(), 1.0, pool);
    const double t3 = monotonic_seconds();
    opt.step(model.parameters(), 1e-3f, pool);
    const double t4 = monotonic_seconds();
    if (!measured) continue;
    times.push_back(t4 - t0);
    other["zero_grad"] += t1 - t0;
    other["clip_grad_norm"] += t3 - t2;
    other["AdamW"] += t4 - t3;
  }
  std::sort(times.begin(), times.end());
  const double step_s = times[times.size() / 2], best_s = times.front();

  // FLOPs per step (see the header).
  const double d = static_cast<double>(c.hidden_size), V = static_cast<double>(c.vocab_size);
  double n_main = V * d;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) n_main += block_matmul_params(c, l);
  const bool mtp = w.mtp_lambda != 0.0f && c.num_nextn_predict_layers > 0;
  const double n_mtp = mtp ? 2 * d * d + block_matmul_params(c, c.num_hidden_layers) + V * d : 0.0;
  const double att_width = c.has_mla() ? static_cast<double>(c.qk_head_dim() + c.v_head_dim) : 2.0 * static_cast<double>(c.head_dim);
  const double Bd = static_cast<double>(B), Td = static_cast<double>(T);
  const double flops = 6 * n_main * Bd * Td + 6 * n_mtp * Bd * (Td - 1) +
                       6 * static_cast<double>(c.num_attention_heads) * att_width * Bd *
                           (static_cast<double>(c.num_hidden_layers) * Td * Td + (mtp ? (Td - 1) * (Td - 1) : 0.0));
  const double tok_s = Bd * Td / step_s, gflops = flops / step_s / 1e9;
  if (json) {
    std::printf("{\"tokens_per_s\": %.1f, \"step_seconds\": %.4f, \"step_seconds_min\": %.4f, \"gflops\": %.2f, \"peak_f32_gflops\": %.1f, "
                "\"fraction_of_peak\": %.4f, \"flops_per_step\": %.6g, \"batch\": %lld, \"seq\": %lld, \"threads\": %d}\n",
                tok_s, step_s, best_s, gflops, ceil.f32_fma_gflops, gflops / ceil.f32_fma_gflops, flops,
                static_cast<long long>(B), static_cast<long long>(T), threads);
  } else {
    std::printf("model      %s: %lld layers, hidden %lld, %lld trainable parameters\n", config_path.c_str(),
                static_cast<long long>(c.num_hidden_layers), static_cast<long long>(c.hidden_size),
                static_cast<long long>(model.num_parameters()));
    std::printf("batch      %lld x %lld tokens, %d threads, %s matmuls, median of %lld steps\n", static_cast<long long>(B),
                static_cast<long long>(T), threads, bf16 ? "bf16 forward" : "f32", static_cast<long long>(steps));
    std::printf("train      %.0f tokens/s  (%.3f s/step; fastest step %.3f s = %.0f tokens/s)\n", tok_s, step_s, best_s,
                Bd * Td / best_s);
    std::printf("compute    %.1f GFLOP/s = %.1f%% of the measured f32 FMA peak (%.0f GFLOP/s)\n", gflops,
                100.0 * gflops / ceil.f32_fma_gflops, ceil.f32_fma_gflops);
    if (profile) {
      double mean = 0;
      for (double t : times) mean += t;
      print_profile(ops, other, mean / static_cast<double>(times.size()), steps);
    }
  }
  return 0;
}

}  // namespace seek::cli
