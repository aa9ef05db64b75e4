// seek bench --model PATH [-p 512] [-n 128] [-t N] [--parallel N] [--json]: prefill (pp) and decode
// (tg) tokens/s, peak RSS, KV cache bytes per token, and how close both come to this machine's
// measured limits:
//   decode roofline  = read bandwidth / weight bytes one token reads  (tokens/s)
//   prefill ceiling  = peak FLOP/s of the instruction the weights use (f32 FMA, bf16 dot, int8 VNNI)
// The ceilings are measured in the same run, just before the model is timed.
// --parallel N (N > 1) then decodes N sequences together, one token each per forward_batch() pass
// (each with its own KV cache holding the same -p prompt), and reports the aggregate decode
// tokens/s and its ratio to the single-sequence tg figure: the weights are read once per pass for
// all N rows, so the ratio approaches N while decode stays memory bound (for MoE less: N tokens reach
// more routed experts than one). Peak RSS then includes the N caches.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/clock.h"
#include "core/error.h"
#include "kernels/ceilings.h"

namespace seek::cli {

namespace {

// Peak resident memory since the last reset_peak_rss() (Linux VmHWM), MiB.
double peak_rss_mib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0.0;
  char line[256];
  double kib = 0.0;
  while (std::fgets(line, sizeof(line), f) != nullptr)
    if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
  std::fclose(f);
  return kib / 1024.0;
}

// The ceiling measurement streams a 512 MiB buffer; forget that peak so the figure is the model's.
void reset_peak_rss() {
  if (std::FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

// Peak of the instruction family the weights' matmuls use, in FLOP/s (int8: ops/s).
double peak_for(DType type, const kernels::Ceilings& c, const char** name) {
  switch (type) {
    // Without the instruction, prefill runs as an f32 GEMM on widened / dequantised panels.
    case DType::kBF16:
      if (c.bf16_dot_gflops <= 0) break;
      *name = "bf16 dot";
      return c.bf16_dot_gflops * 1e9;
    case DType::kQ8_0:
    case DType::kQ4_0:
      if (c.int8_dot_gops <= 0) break;
      *name = "int8 dot";
      return c.int8_dot_gops * 1e9;
    case DType::kF32:
    case DType::kF16:
    case DType::kF8E4M3:
    case DType::kI32:
    case DType::kI64:
    case DType::kU8:
    case DType::kI8:
    case DType::kI16:
    case DType::kF64:
    case DType::kQ4_K:  // the AVX2 int8 products at every level (and for q4_1, q5_0, q5_1, iq4_*): no int8 dot-product peak applies
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: break;
  }
  *name = "f32 fma";
  return c.f32_fma_gflops * 1e9;
}

// N sequences decoding together: each gets its own cache filled with the prompt (untimed), then
// n_gen passes of forward_batch() with one new token per sequence are timed.
struct ParallelDecode {
  int64_t sequences = 1;
  int64_t tokens = 0;    // generated over all sequences
  double seconds = 0.0;
  double experts_per_layer = 0.0;  // routed experts a pass ran per MoE layer (measured; 0 when dense)
};

ParallelDecode bench_parallel_decode(Model& model, const std::vector<int32_t>& prompt, int64_t n_gen, int64_t n_seq,
                                     std::mt19937& rng, std::uniform_int_distribution<int32_t>& token) {
  const int64_t n_prompt = static_cast<int64_t>(prompt.size()), chunk = model.settings().max_batch_tokens;
  const size_t vocab = static_cast<size_t>(model.config().vocab_size);
  std::vector<KvCache> caches;
  caches.reserve(static_cast<size_t>(n_seq));
  std::vector<float> logits(static_cast<size_t>(n_seq) * vocab);
  for (int64_t s = 0; s < n_seq; ++s) {
    caches.push_back(model.new_cache());
    for (int64_t i = 0; i < n_prompt; i += chunk)
      model.forward(prompt.data() + i, std::min(chunk, n_prompt - i), caches.back(), logits.data(), false);
  }
  std::vector<int32_t> next(static_cast<size_t>(n_seq), prompt.back());
  std::vector<Model::SequenceInput> batch(static_cast<size_t>(n_seq));
  for (int64_t s = 0; s < n_seq; ++s) {
    Model::SequenceInput& in = batch[static_cast<size_t>(s)];
    in.tokens = &next[static_cast<size_t>(s)];
    in.n = 1;
    in.cache = &caches[static_cast<size_t>(s)];
    in.logits = logits.data() + static_cast<size_t>(s) * vocab;
  }
  model.reset_routing_counts();
  const double t0 = monotonic_seconds();
  for (int64_t i = 0; i < n_gen; ++i) {
    model.forward_batch(batch);
    for (int32_t& t : next) t = token(rng);  // different tokens per row, as real requests have
  }
  const double seconds = monotonic_seconds() - t0;
  const Model::RoutingCounts& routed = model.routing_counts();
  const double passes = static_cast<double>(routed.layer_passes);
  const double experts = passes > 0 ? static_cast<double>(routed.experts_run) / passes : 0.0;
  return ParallelDecode{n_seq, n_seq * n_gen, seconds, experts};
}

// Routed experts per MoE layer that n independently and uniformly routed tokens reach: an expert is
// missed by all n with probability (1 - k/E)^n. Printed beside the measured figure, for comparison.
double uniform_distinct_experts(const ModelConfig& c, int64_t n) {
  const double e = static_cast<double>(c.n_routed_experts), k = static_cast<double>(c.num_experts_per_tok);
  return e * (1.0 - std::pow(1.0 - k / e, static_cast<double>(n)));
}

// Weight bytes one forward_batch() pass reads: one token's, plus the routed experts the pass ran per
// MoE layer beyond one token's top-k (`experts_per_layer`, measured; experts sized at the dominant
// weight type). A dense model's pass reads one token's bytes.
double pass_weight_bytes(const ModelConfig& c, const ModelCost& cost, double experts_per_layer) {
  if (!c.has_moe() || experts_per_layer <= 0.0) return cost.decode_weight_bytes;
  int64_t moe_layers = 0;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) moe_layers += c.is_moe_layer(l) ? 1 : 0;
  const DType t = cost.dominant_weight_type;
  const double expert_bytes = 3.0 * static_cast<double>(c.hidden_size * c.moe_intermediate_size) *
                              static_cast<double>(dtype_block_bytes(t)) / dtype_block_size(t);
  const double extra = experts_per_layer - static_cast<double>(c.num_experts_per_tok);
  return cost.decode_weight_bytes + static_cast<double>(moe_layers) * extra * expert_bytes;
}

}  // namespace

int cmd_bench(Args& args) {
  ModelOptions options = parse_model_options(args);
  const int64_t n_prompt = args.get_int("-p", 512);
  const int64_t n_gen = args.get_int("-n", 128);
  const int64_t n_parallel = args.get_int("--parallel", 1);
  const bool json = args.flag("--json");
  args.finish();
  SEEK_CHECK(n_prompt >= 1 && n_gen >= 1, "-p and -n must be >= 1");
  SEEK_CHECK(n_parallel >= 1 && n_parallel <= 512, "--parallel must be in [1, 512] (got " << n_parallel << ")");
  options.settings.max_context = n_prompt + n_gen + 1;
  options.settings.max_batch_tokens = std::max(std::min<int64_t>(n_prompt, 512), n_parallel);

  // The ceilings first, while nothing else of ours runs: measured after loading, the kernel's
  // read-ahead of a large mmap'd file could hold a core and halve the FMA figure (seen: a 9 GB
  // V2-Lite file read "126% of peak").
  ThreadPool pool(options.settings.num_threads);
  kernels::CeilingOptions copt;
  copt.repeats = 3;
  const kernels::Ceilings ceilings = kernels::measure_ceilings(pool, copt);
  reset_peak_rss();

  std::unique_ptr<Model> model = load_model(options);
  const ModelConfig& config = model->config();
  SEEK_CHECK(n_prompt + n_gen + 1 <= model->settings().max_context,
             "-p " << n_prompt << " and -n " << n_gen << " need " << n_prompt + n_gen + 1
                   << " positions; the model holds " << config.max_position_embeddings
                   << " (max_position_embeddings)");
  const ModelCost cost = model->cost();

  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(std::min<int64_t>(config.vocab_size, 32000) - 1));
  std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
  for (int32_t& t : prompt) t = token(rng);
  std::vector<float> logits(static_cast<size_t>(config.vocab_size));

  // Warm-up: touch every weight page once so the first timed pass is not a disk read.
  {
    KvCache warm = model->new_cache();
    model->forward(prompt.data(), std::min<int64_t>(n_prompt, model->settings().max_batch_tokens), warm,
                   logits.data(), false);
  }
  KvCache cache = model->new_cache();
  const int64_t chunk = model->settings().max_batch_tokens;
  double t0 = monotonic_seconds();
  for (int64_t i = 0; i < n_prompt; i += chunk)
    model->forward(prompt.data() + i, std::min(chunk, n_prompt - i), cache, logits.data(), false);
  const double prefill_s = monotonic_seconds() - t0;

  int32_t next = prompt.back();
  t0 = monotonic_seconds();
  for (int64_t i = 0; i < n_gen; ++i) {
    model->forward(&next, 1, cache, logits.data(), false);
    next = token(rng);
  }
  const double decode_s = monotonic_seconds() - t0;
  const ParallelDecode parallel = n_parallel > 1 ? bench_parallel_decode(*model, prompt, n_gen, n_parallel, rng, token)
                                                 : ParallelDecode{};

  const double pp = static_cast<double>(n_prompt) / prefill_s, tg = static_cast<double>(n_gen) / decode_s;
  const double roofline_tg = ceilings.read_gbs * 1e9 / cost.decode_weight_bytes;
  const char* peak_name = "";
  const double peak = peak_for(cost.dominant_weight_type, ceilings, &peak_name);
  const double avg_ctx = static_cast<double>(n_prompt) / 2.0;
  const double prefill_flops = static_cast<double>(n_prompt) * (2.0 * cost.active_params + cost.attention_flops_per_position * avg_ctx);
  const double prefill_flops_s = prefill_flops / prefill_s;
  const double kv_bytes = static_cast<double>(cache.bytes_per_token());
  // Without --parallel the "parallel" figure is the single-sequence one (ratio 1).
  const double tg_parallel = n_parallel > 1 ? static_cast<double>(parallel.tokens) / parallel.seconds : tg;
  const double pass_bytes = pass_weight_bytes(config, cost, parallel.experts_per_layer);
  const double roofline_parallel = static_cast<double>(n_parallel) * ceilings.read_gbs * 1e9 / pass_bytes;

  if (json) {
    std::printf(
        "{\"model\": \"%s\", \"threads\": %d, \"weight_type\": \"%s\", \"weight_gib\": %.3f, "
        "\"decode_weight_mib_per_token\": %.3f, \"pp_tokens\": %lld, \"pp_tok_s\": %.3f, \"tg_tokens\": %lld, "
        "\"tg_tok_s\": %.3f, \"read_gbs\": %.2f, \"tg_roofline_tok_s\": %.3f, \"tg_fraction_of_roofline\": %.4f, "
        "\"prefill_gflops\": %.2f, \"peak_gflops\": %.2f, \"peak_kind\": \"%s\", \"pp_fraction_of_peak\": %.4f, "
        "\"kv_bytes_per_token\": %.0f, \"peak_rss_mib\": %.1f, \"parallel\": %lld, \"tg_parallel_tok_s\": %.3f, "
        "\"tg_parallel_speedup\": %.3f, \"tg_parallel_roofline_tok_s\": %.3f, "
        "\"tg_parallel_experts_per_layer\": %.2f}\n",
        options.path.c_str(), options.settings.num_threads, std::string(dtype_name(cost.dominant_weight_type)).c_str(),
        cost.total_weight_bytes / (1 << 30), cost.decode_weight_bytes / (1 << 20), static_cast<long long>(n_prompt), pp,
        static_cast<long long>(n_gen), tg, ceilings.read_gbs, roofline_tg, tg / roofline_tg, prefill_flops_s / 1e9,
        peak / 1e9, peak_name, prefill_flops_s / peak, kv_bytes, peak_rss_mib(),
        static_cast<long long>(parallel.sequences), tg_parallel, tg_parallel / tg, roofline_parallel,
        parallel.experts_per_layer);
    return 0;
  }
  std::printf("model      %s (%s weights, %.2f GiB; %.1f MiB read per decoded token)\n", options.path.c_str(),
              std::string(dtype_name(cost.dominant_weight_type)).c_str(), cost.total_weight_bytes / (1 << 30),
              cost.decode_weight_bytes / (1 << 20));
  std::printf("machine    %d threads, %s; read %.1f GB/s, %s peak %.0f GFLOP/s\n", options.settings.num_threads,
              ceilings.isa.c_str(), ceilings.read_gbs, peak_name, peak / 1e9);
  std::printf("%-10s %10s %12s %14s %10s\n", "test", "tokens", "tok/s", "limit tok/s", "of limit");
  std::printf("%-10s %10lld %12.2f %14.2f %9.1f%%\n", "pp", static_cast<long long>(n_prompt), pp,
              pp * peak / prefill_flops_s, 100.0 * prefill_flops_s / peak);
  std::printf("%-10s %10lld %12.2f %14.2f %9.1f%%\n", "tg", static_cast<long long>(n_gen), tg, roofline_tg,
              100.0 * tg / roofline_tg);
  if (n_parallel > 1) {
    // The limit: N tokens per pass over the weight bytes a pass reads (KV cache reads left out).
    const std::string name = "tg x" + std::to_string(n_parallel);
    std::printf("%-10s %10lld %12.2f %14.2f %9.1f%%   %.2fx one sequence\n", name.c_str(),
                static_cast<long long>(parallel.tokens), tg_parallel, roofline_parallel,
                100.0 * tg_parallel / roofline_parallel, tg_parallel / tg);
    if (config.has_moe()) {
      std::printf(
          "moe        %lld sequences reached %.1f of %lld routed experts per layer and pass (one: %lld; "
          "uniform routing: %.1f): a pass reads %.0f MiB of weights, %.2fx one token's\n",
          static_cast<long long>(n_parallel), parallel.experts_per_layer,
          static_cast<long long>(config.n_routed_experts), static_cast<long long>(config.num_experts_per_tok),
          uniform_distinct_experts(config, n_parallel), pass_bytes / (1 << 20),
          pass_bytes / cost.decode_weight_bytes);
    }
  }
  std::printf("prefill    %.1f GFLOP/s achieved (2 x %.3g active params + attention per token)\n",
              prefill_flops_s / 1e9, cost.active_params);
  std::printf("kv cache   %.0f bytes per token\n", kv_bytes);
  std::printf("peak rss   %.1f MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace seek::cli
