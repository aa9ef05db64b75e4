#include "train/trainer.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "model/weight_names.h"
#include "train/dataset.h"

namespace seek::train {

namespace fs = std::filesystem;

namespace {

std::string step_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "step-%06lld", static_cast<long long>(step));
  return buf;
}

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s / 60 % 60));
  else
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  return buf;
}

// The tokenizer files that travel with every saved model.
std::vector<fs::path> tokenizer_files(const std::string& tokenizer) {
  const fs::path dir = fs::is_directory(tokenizer) ? fs::path(tokenizer) : fs::path(tokenizer).parent_path();
  std::vector<fs::path> files;
  for (const char* name : {"tokenizer.json", "tokenizer_config.json"})
    if (fs::exists(dir / name)) files.push_back(dir / name);
  return files;
}

void copy_files_atomic(const std::vector<fs::path>& files, const fs::path& dir) {
  for (const fs::path& f : files) {
    const std::string bytes = read_file(f.string());
    write_file_atomic((dir / f.filename()).string(), bytes.data(), bytes.size());
  }
}

// Moves each MoE layer's selection bias toward balance: b_i += γ · sign(mean load - load_i)
// (DeepSeek-V3, training.md 3.2). Layers without a bias (softmax/greedy routing) are left alone.
void update_routing_bias(TrainModel& model, const StepLosses& load, float gamma) {
  if (gamma == 0.0f) return;
  for (size_t i = 0; i < load.moe_layers.size(); ++i) {
    Parameter* p = model.find_parameter(hf_layer_name(load.moe_layers[i], "mlp.gate.e_score_correction_bias"));
    if (p == nullptr) continue;
    float* bias = p->value.data_as<float>();
    const std::vector<int64_t>& counts = load.expert_counts[i];
    double mean = 0.0;
    for (int64_t c : counts) mean += static_cast<double>(c);
    mean /= static_cast<double>(counts.size());
    for (size_t e = 0; e < counts.size(); ++e) {
      const double diff = mean - static_cast<double>(counts[e]);
      bias[e] += gamma * static_cast<float>((diff > 0) - (diff < 0));
    }
  }
}

// Adds one micro-batch's expert counts into the step's.
void add_counts(StepLosses& into, const StepLosses& from) {
  if (into.expert_counts.empty()) {
    into.expert_counts = from.expert_counts;
    into.moe_layers = from.moe_layers;
    return;
  }
  for (size_t i = 0; i < from.expert_counts.size(); ++i)
    for (size_t e = 0; e < from.expert_counts[i].size(); ++e) into.expert_counts[i][e] += from.expert_counts[i][e];
}

struct Checkpoints {
  fs::path dir;

  std::optional<fs::path> latest() const {
    const fs::path pointer = dir / "latest";
    if (!fs::exists(pointer)) return std::nullopt;
    std::string name = read_file(pointer.string());
    while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
    SEEK_CHECK(fs::is_directory(dir / name), pointer.string() << " names " << name << ", which does not exist");
    return dir / name;
  }

  // Writes into a temporary directory, renames it into place, then points `latest` at it.
  void save(const TrainModel& model, const AdamW& opt, const nlohmann::json& state,
            const std::vector<fs::path>& tok_files, int64_t step, int64_t keep) const {
    fs::create_directories(dir);
    const fs::path final_dir = dir / step_name(step);
    const fs::path tmp = dir / ("." + step_name(step) + ".tmp");
    fs::remove_all(tmp);
    model.save(tmp.string());
    opt.save((tmp / "optimizer.safetensors").string(), model.parameters());
    copy_files_atomic(tok_files, tmp);
    const std::string text = state.dump(1);
    write_file_atomic((tmp / "trainer_state.json").string(), text.data(), text.size());
    fs::remove_all(final_dir);
    fs::rename(tmp, final_dir);
    const std::string name = step_name(step) + "\n";
    write_file_atomic((dir / "latest").string(), name.data(), name.size());
    // Older checkpoints beyond `keep`, oldest first.
    std::vector<fs::path> all;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().starts_with("step-")) all.push_back(e.path());
    std::sort(all.begin(), all.end());
    for (size_t i = 0; i + static_cast<size_t>(std::max<int64_t>(keep, 1)) < all.size(); ++i) fs::remove_all(all[i]);
  }

  void remove_partial() const {
    if (!fs::exists(dir)) return;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename().string().ends_with(".tmp")) fs::remove_all(e.path());
  }
};

// Keeps the metrics lines of steps <= `step` (a resumed run rewrites what came after).
void truncate_metrics(const fs::path& path, int64_t step) {
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      const nlohmann::json j = nlohmann::json::parse(line);
      if (j.value("step", int64_t{0}) <= step) kept += line + "\n";
    } catch (const nlohmann::json::exception&) {
      // a line cut by a kill: drop it
    }
  }
  write_file_atomic(path.string(), kept.data(), kept.size());
}

// Saves the current weights to OUT/eval/, runs the evaluator on them and logs its scores at `step`
// (metrics line and progress line). Returns the seconds it took.
double evaluate_at(const TrainOptions& o, const TrainModel& model, const std::vector<fs::path>& tok_files, int64_t step,
                   std::ofstream& metrics) {
  const double t0 = monotonic_seconds();
  const fs::path dir = fs::path(o.out) / "eval";
  model.save(dir.string());
  copy_files_atomic(tok_files, dir);
  nlohmann::json m = {{"step", step}};
  for (const auto& [name, value] : o.evaluate(dir.string())) m[name] = value;
  const double seconds = monotonic_seconds() - t0;
  m["eval_seconds"] = seconds;
  metrics << m.dump() << "\n";
  metrics.flush();
  if (!o.quiet) {
    std::string scores;
    for (const auto& [name, value] : m.items())
      if (name != "step" && name != "eval_seconds") scores += "  " + name + " " + std::to_string(value.get<double>()).substr(0, 6);
    std::fprintf(stderr, "eval at step %lld:%s  (%.1f s)\n", static_cast<long long>(step), scores.c_str(), seconds);
  }
  return seconds;
}

}  // namespace

TrainSummary run_training(const TrainOptions& o) {
  SEEK_CHECK(!o.out.empty(), "--out DIR is required");
  SEEK_CHECK(!o.data.empty(), "--data FILE.jsonl is required");
  SEEK_CHECK(o.config.empty() != o.init_model.empty(), "give exactly one of --config (a new model) and --model (start from a checkpoint)");
  SEEK_CHECK(o.steps >= 1 && o.batch >= 1 && o.seq >= 2 && o.accum >= 1, "steps, batch, accum must be >= 1 and seq >= 2");
  const std::string tok_path = !o.tokenizer.empty() ? o.tokenizer : o.init_model;
  SEEK_CHECK(!tok_path.empty(), "--tokenizer DIR is required for a new model");
  const Tokenizer tokenizer = Tokenizer::load(tok_path);
  const std::vector<fs::path> tok_files = tokenizer_files(tok_path);

  const Checkpoints ckpt{fs::path(o.out) / "checkpoints"};
  ckpt.remove_partial();  // left by a run killed mid-write
  const std::optional<fs::path> latest = ckpt.latest();
  SEEK_CHECK(o.resume || !latest, o.out << " already holds checkpoints (" << latest->filename().string()
                                        << "); pass --resume to continue, or choose another --out");

  std::unique_ptr<TrainModel> model;
  int64_t start_step = 0;
  nlohmann::json resumed_state;
  if (latest) {
    model = TrainModel::load(latest->string(), o.threads);
    resumed_state = nlohmann::json::parse(read_file((*latest / "trainer_state.json").string()));
    start_step = resumed_state.at("step").get<int64_t>();
    const std::pair<const char*, int64_t> stream_options[] = {
        {"batch", o.batch}, {"seq", o.seq}, {"accum", o.accum}, {"seed", static_cast<int64_t>(o.seed)}};
    for (const auto& [key, got] : stream_options) {
      const int64_t want = resumed_state.at(key).get<int64_t>();
      SEEK_CHECK(want == got, "--resume: the checkpoint was trained with --" << key << " " << want << ", not " << got
                                                                           << " (the data stream would differ)");
    }
  } else if (!o.init_model.empty()) {
    model = TrainModel::load(o.init_model, o.threads);
  } else {
    const std::string cfg = fs::is_directory(o.config) ? (fs::path(o.config) / "config.json").string() : o.config;
    model = std::make_unique<TrainModel>(config_from_hf_json(read_file(cfg), cfg), o.threads);
    model->init_random(o.seed, o.init_std);
  }
  model->set_bf16(o.bf16);
  SEEK_CHECK(tokenizer.vocab_size() <= model->config().vocab_size,
             tok_path << ": the tokenizer has " << tokenizer.vocab_size() << " ids but the model's vocabulary is "
                      << model->config().vocab_size);

  const std::vector<Example> examples = load_examples(o.data, tokenizer);
  Packer packer(examples, o.seed);
  for (int64_t i = 0; i < start_step * o.accum; ++i) packer.next(o.batch, o.seq);  // replay to the resume point

  AdamW opt(model->parameters(), o.adamw);
  if (latest) opt.load((*latest / "optimizer.safetensors").string(), model->parameters());
  ThreadPool opt_pool(o.threads);

  const fs::path metrics_path = fs::path(o.out) / "metrics.jsonl";
  fs::create_directories(o.out);
  truncate_metrics(metrics_path, start_step);
  std::ofstream metrics(metrics_path, std::ios::app);
  if (!o.quiet)
    std::fprintf(stderr, "seek train: %lld parameters (%lld without MTP), %zu examples, %lld tokens; steps %lld..%lld of %lld x %lld x %lld tokens\n",
                 static_cast<long long>(model->num_parameters()), static_cast<long long>(model->num_parameters(false)),
                 examples.size(), static_cast<long long>(packer.total_tokens()), static_cast<long long>(start_step),
                 static_cast<long long>(o.steps), static_cast<long long>(o.accum), static_cast<long long>(o.batch),
                 static_cast<long long>(o.seq));

  TrainSummary summary;
  summary.first_step = start_step;
  const double t_start = monotonic_seconds();
  double eval_seconds = 0.0;  // kept out of the tokens/s figures
  double elapsed_before = latest ? resumed_state.value("elapsed_s", 0.0) : 0.0;
  int64_t tokens_done = 0;
  for (int64_t step = start_step; step < o.steps; ++step) {
    const double t0 = monotonic_seconds();
    model->zero_grad();
    StepLosses sum;
    for (int64_t a = 0; a < o.accum; ++a) {
      const StepLosses l = model->forward_backward(packer.next(o.batch, o.seq), o.loss, 1.0f / static_cast<float>(o.accum));
      sum.total += l.total / static_cast<double>(o.accum);
      sum.ce += l.ce / static_cast<double>(o.accum);
      sum.mtp += l.mtp / static_cast<double>(o.accum);
      sum.balance += l.balance / static_cast<double>(o.accum);
      sum.scored_tokens += l.scored_tokens;
      add_counts(sum, l);
    }
    SEEK_CHECK(std::isfinite(sum.total), "step " << step << ": the loss is " << sum.total
                                                 << "; lower --lr or check the data (nothing after the last checkpoint is saved)");
    const double norm = clip_grad_norm(model->parameters(), o.clip, opt_pool);
    const float lr = o.schedule.at(step);
    opt.step(model->parameters(), lr, opt_pool);
    update_routing_bias(*model, sum, o.bias_gamma);
    const double dt = monotonic_seconds() - t0;
    const int64_t step_tokens = o.accum * o.batch * o.seq;
    tokens_done += step_tokens;
    if (step == start_step) summary.first_loss = sum.total;
    summary.last_loss = sum.total;

    const int64_t done = step + 1;
    if (done % o.log_every == 0 || done == o.steps || step == start_step) {
      nlohmann::json m = {{"step", done}, {"loss", sum.total}, {"ce", sum.ce}, {"lr", lr}, {"grad_norm", norm},
                          {"tokens_per_s", static_cast<double>(step_tokens) / dt}, {"tokens", done * step_tokens}};
      if (o.loss.mtp_lambda != 0.0f) m["mtp"] = sum.mtp;
      if (o.loss.balance_alpha != 0.0f) m["balance"] = sum.balance;
      if (!sum.expert_counts.empty()) {
        nlohmann::json loads = nlohmann::json::array();
        double worst = 0.0;
        for (const std::vector<int64_t>& counts : sum.expert_counts) {
          double total = 0.0, mx = 0.0;
          for (int64_t c : counts) total += static_cast<double>(c), mx = std::max(mx, static_cast<double>(c));
          nlohmann::json row = nlohmann::json::array();
          for (int64_t c : counts) row.push_back(static_cast<double>(c) / std::max(total, 1.0));
          loads.push_back(row);
          worst = std::max(worst, mx / std::max(total / static_cast<double>(counts.size()), 1e-9));
        }
        m["expert_load"] = loads;
        m["max_load_ratio"] = worst;
      }
      metrics << m.dump() << "\n";
      metrics.flush();
      if (!o.quiet) {
        const double rate = static_cast<double>(tokens_done) / (monotonic_seconds() - t_start - eval_seconds);
        const double eta = static_cast<double>((o.steps - done) * step_tokens) / std::max(rate, 1e-9);
        std::fprintf(stderr, "step %lld/%lld  loss %.4f  ce %.4f%s  lr %.2e  gnorm %.2f  %.0f tok/s  ETA %s\n",
                     static_cast<long long>(done), static_cast<long long>(o.steps), sum.total, sum.ce,
                     m.contains("max_load_ratio") ? ("  load " + std::to_string(m["max_load_ratio"].get<double>()).substr(0, 4) + "x").c_str() : "",
                     static_cast<double>(lr), norm, rate, format_duration(eta).c_str());
      }
    }
    if (done % o.save_every == 0 || done == o.steps) {
      const nlohmann::json state = {{"step", done}, {"batch", o.batch}, {"seq", o.seq}, {"accum", o.accum},
                                    {"seed", o.seed}, {"loss", sum.total},
                                    {"elapsed_s", elapsed_before + monotonic_seconds() - t_start}};
      ckpt.save(*model, opt, state, tok_files, done, o.keep);
    }
    if (o.evaluate && o.eval_every > 0 && (done % o.eval_every == 0 || done == o.steps))
      eval_seconds += evaluate_at(o, *model, tok_files, done, metrics);
  }
  summary.steps = o.steps;
  summary.tokens_per_second = static_cast<double>(tokens_done) / std::max(monotonic_seconds() - t_start - eval_seconds, 1e-9);
  // The final model at the top of OUT, ready for seek generate / chat / serve.
  model->save(o.out, o.save_dtype);
  copy_files_atomic(tok_files, o.out);
  return summary;
}

}  // namespace seek::train
