// seek train end to end on a tiny DeepSeek-V3-style model: SFT lowers the loss and leaves a
// checkpoint the inference engine loads; a run killed with SIGKILL resumes to exactly the
// parameters of an uninterrupted run; a half-written checkpoint never breaks a resume.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/seek_binary.h"
#include "common/tiny_model.h"
#include "core/mmap_file.h"
#include "engine/generator.h"
#include "model/model.h"
#include "rl/evaluate.h"
#include "rl/generator.h"
#include "rl/problem_json.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/tokenizer_writer.h"
#include "train/dataset.h"
#include "train/trainer.h"

namespace seek::train {
namespace {

namespace fs = std::filesystem;
using seek::test::seek_binary;

// Data, tokenizer and config shared by the tests (made once).
struct Workspace {
  std::string dir, data, tokenizer, config;
};

const Workspace& workspace() {
  static const Workspace ws = [] {
    Workspace w;
    w.dir = ::testing::TempDir() + "seek_trainer_test";
    fs::remove_all(w.dir);
    fs::create_directories(w.dir);
    w.data = w.dir + "/train.jsonl";
    rl::ProblemGenerator gen({.tasks = {rl::Task::kAdd, rl::Task::kSort}, .level = 1, .seed = 3});
    std::string text;
    for (int i = 0; i < 300; ++i) text += rl::problem_to_json(gen.next()).dump() + "\n";
    write_file_atomic(w.data, text.data(), text.size());
    BpeTrainer bpe;
    bpe.add_text(text);
    write_tokenizer_dir(bpe.train({.vocab_size = 320}).spec, w.dir + "/tok");
    w.tokenizer = w.dir + "/tok";
    nlohmann::json cfg = test::tiny_v3_config();
    cfg["vocab_size"] = 320;
    w.config = w.dir + "/config.json";
    const std::string c = cfg.dump();
    write_file_atomic(w.config, c.data(), c.size());
    return w;
  }();
  return ws;
}

TrainOptions small_run(const std::string& out, int64_t steps) {
  const Workspace& w = workspace();
  TrainOptions o;
  o.data = {w.data};
  o.config = w.config;
  o.tokenizer = w.tokenizer;
  o.out = out;
  o.steps = steps;
  o.batch = 2;
  o.seq = 48;
  o.schedule = {.kind = ScheduleKind::kCosine, .lr = 3e-3f, .min_lr = 3e-4f, .warmup_steps = 3, .total_steps = steps};
  o.loss = {.mtp_lambda = 0.3f, .balance_alpha = 1e-3f};
  o.threads = 2;
  o.quiet = true;
  o.save_every = 5;
  return o;
}

TEST(Dataset, ChatExamplesScoreOnlyTheCompletionAndPackWithoutCrossing) {
  const Workspace& w = workspace();
  const Tokenizer tok = Tokenizer::load(w.tokenizer);
  const std::vector<Example> ex = load_examples({w.data}, tok);
  ASSERT_EQ(ex.size(), 300u);
  const Example& e = ex[0];
  // The prompt ends with the R1 generation prompt "<｜Assistant｜><think>\n"; scoring starts after it
  // and ends with EOS.
  size_t first = 0;
  while (!e.scored[first]) ++first;
  const std::string prompt = tok.decode(std::span<const int32_t>(e.tokens.data(), first));
  EXPECT_TRUE(prompt.ends_with("<｜Assistant｜><think>\n")) << prompt;
  EXPECT_EQ(e.tokens.back(), *tok.eos_id());
  EXPECT_TRUE(e.scored.back());
  const std::string completion = tok.decode(std::span<const int32_t>(e.tokens.data() + first, e.tokens.size() - first));
  EXPECT_TRUE(completion.find("</think>") != std::string::npos && completion.find("\\boxed{") != std::string::npos);
  EXPECT_FALSE(completion.starts_with("<think>"));  // not repeated after the generation prompt

  // Packing: the same seed gives the same batches; targets are the next token or -1.
  Packer a(ex, 9), b(ex, 9);
  for (int i = 0; i < 3; ++i) {
    const TrainBatch x = a.next(2, 40), y = b.next(2, 40);
    EXPECT_EQ(x.tokens, y.tokens);
    EXPECT_EQ(x.targets, y.targets);
    for (size_t r = 0; r + 1 < x.tokens.size(); ++r)
      if (x.targets[r] >= 0 && (r + 1) % 40 != 0) {
        EXPECT_EQ(x.targets[r], x.tokens[r + 1]);
      }
  }
}

TEST(Trainer, SftLowersTheLossAndTheCheckpointGenerates) {
  const std::string out = workspace().dir + "/sft";
  fs::remove_all(out);
  TrainOptions o = small_run(out, 40);
  // Held-out evaluation every 15 steps and after the last: the evaluator gets a loadable model.
  std::vector<std::string> evaluated;
  o.eval_every = 15;
  o.evaluate = [&](const std::string& dir) {
    evaluated.push_back(dir);
    RunSettings rs;
    rs.max_context = 256;
    auto model = Model::load(dir, rs);
    rl::ProblemGenerator heldout({.tasks = {rl::Task::kSort}, .level = 1, .split = rl::Split::kHeldout, .seed = 2});
    const rl::EvalResult r = rl::evaluate(*model, Tokenizer::load(dir), {heldout.next()}, {.max_tokens = 16});
    return std::map<std::string, double>{{"eval_accuracy", r.greedy_accuracy}, {"eval_calls", static_cast<double>(evaluated.size())}};
  };
  const TrainSummary s = run_training(o);
  ASSERT_EQ(evaluated.size(), 3u);  // steps 15, 30 and 40
  EXPECT_EQ(evaluated[0], out + "/eval");
  EXPECT_LT(s.last_loss, 0.6 * s.first_loss) << s.first_loss << " -> " << s.last_loss;
  EXPECT_TRUE(fs::exists(out + "/checkpoints/step-000040/optimizer.safetensors"));
  EXPECT_FALSE(fs::exists(out + "/checkpoints/step-000030"));  // keep = 2
  // The final model runs in the inference engine with its tokenizer.
  RunSettings rs;
  rs.max_context = 256;
  auto model = Model::load(out, rs);
  const Tokenizer tok = Tokenizer::load(out);
  Generator gen(*model, tok);
  int pieces = 0;
  gen.generate(tok.encode("hello"), SamplingParams{}, 8, [&](int32_t, std::string_view) { return ++pieces > 0; });
  EXPECT_GT(pieces, 0);
  // seek eval's scoring runs on it: greedy completions re-opened with the prompt's "<think>\n".
  rl::ProblemGenerator heldout({.tasks = {rl::Task::kAdd}, .level = 1, .split = rl::Split::kHeldout, .seed = 1});
  const std::vector<rl::Problem> problems = {heldout.next(), heldout.next()};
  const rl::EvalResult r = rl::evaluate(*model, tok, problems, {.samples = 2, .max_tokens = 24});
  EXPECT_EQ(r.problems, 2);
  EXPECT_EQ(r.by_task.at("add").problems, 2);
  ASSERT_EQ(r.greedy_completions.size(), 2u);
  EXPECT_TRUE(r.greedy_completions[0].starts_with("<think>\n"));
  EXPECT_GE(r.pass_at_1, 0.0);
  EXPECT_LE(r.pass_at_1, 1.0);
  // Metrics: one JSON line per logged step, with expert loads, and one per evaluation after it.
  std::ifstream metrics(out + "/metrics.jsonl");
  std::string line;
  std::vector<nlohmann::json> logged, evals;
  while (std::getline(metrics, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    (j.contains("eval_accuracy") ? evals : logged).push_back(j);
  }
  ASSERT_FALSE(logged.empty());
  EXPECT_EQ(logged.back()["step"], 40);
  EXPECT_EQ(logged.back()["expert_load"].size(), 2u);  // the MoE layer and the MTP block
  ASSERT_EQ(evals.size(), 3u);
  const int64_t eval_steps[] = {15, 30, 40};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(evals[i]["step"], eval_steps[i]);
    EXPECT_EQ(evals[i]["eval_calls"], static_cast<double>(i + 1));
    EXPECT_GE(evals[i]["eval_accuracy"].get<double>(), 0.0);
    EXPECT_LE(evals[i]["eval_accuracy"].get<double>(), 1.0);
    EXPECT_GT(evals[i]["eval_seconds"].get<double>(), 0.0);
  }
}

std::vector<std::string> cli_args(const TrainOptions& o, bool resume) {
  std::vector<std::string> a = {seek_binary(), "train", "--data", o.data[0], "--config", o.config, "--tokenizer",
                                o.tokenizer, "--out", o.out, "--steps", std::to_string(o.steps), "--batch", "2",
                                "--seq", "48", "--lr", "3e-3", "--min-lr", "3e-4", "--warmup", "3",
                                "--mtp-lambda", "0.3", "--balance-alpha", "1e-3", "--save-every", "5", "-t", "2", "--quiet"};
  if (resume) a.push_back("--resume");
  return a;
}

pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& s : args) argv.push_back(const_cast<char*>(s.c_str()));
    argv.push_back(nullptr);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    dup2(null_fd, 1);
    dup2(null_fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Trainer, KilledRunResumesExactly) {
  ASSERT_TRUE(fs::exists(seek_binary())) << seek_binary();
  const std::string base = workspace().dir;
  TrainOptions full = small_run(base + "/full", 60), killed = small_run(base + "/killed", 60);
  fs::remove_all(full.out);
  fs::remove_all(killed.out);
  ASSERT_EQ(wait_exit(spawn(cli_args(full, false))), 0);

  // Kill the second run with SIGKILL as soon as it has written a checkpoint.
  const pid_t pid = spawn(cli_args(killed, false));
  const fs::path latest = killed.out + "/checkpoints/latest";
  for (int i = 0; i < 20000 && !fs::exists(latest); ++i) std::this_thread::sleep_for(std::chrono::microseconds(200));
  kill(pid, SIGKILL);
  wait_exit(pid);
  ASSERT_TRUE(fs::exists(latest));
  // A checkpoint cut short by a kill is only ever a temporary directory; resuming ignores it.
  fs::create_directories(killed.out + "/checkpoints/.step-000099.tmp");
  write_file_atomic(killed.out + "/checkpoints/.step-000099.tmp/model.safetensors", "junk", 4);
  // Restarting without --resume refuses to overwrite.
  EXPECT_NE(wait_exit(spawn(cli_args(killed, false))), 0);
  ASSERT_EQ(wait_exit(spawn(cli_args(killed, true))), 0);
  EXPECT_FALSE(fs::exists(killed.out + "/checkpoints/.step-000099.tmp"));

  EXPECT_EQ(read_file(full.out + "/model.safetensors"), read_file(killed.out + "/model.safetensors"))
      << "the resumed run's parameters differ from the uninterrupted run's";
}

}  // namespace
}  // namespace seek::train
