// seek train --data F.jsonl [--data G.jsonl] (--config config.json | --model DIR) [--tokenizer DIR]
//            --out DIR [--resume] [--steps N] [--batch B] [--seq T] [--accum K]
//            [--lr LR] [--min-lr LR] [--warmup N] [--schedule cosine|wsd|constant] [--decay-fraction F]
//            [--weight-decay W] [--beta1 B] [--beta2 B] [--clip C] [--mtp-lambda L] [--balance-alpha A]
//            [--bias-gamma G] [--init-std S] [--seed S] [--save-every N] [--keep K] [--log-every N]
//            [-t THREADS] [--quiet] [--save-dtype f32|bf16] [--bf16]
//            [--eval-every N [--eval-task mix] [--eval-level 1] [--eval-count 50] [--eval-max-tokens 384]]
// Pretraining ({"text"} lines) or SFT (conversations, loss on the assistant's tokens); see
// src/train/trainer.h for the output layout, checkpoints and --resume. With --eval-every, the model
// is scored every N steps on held-out reasoning problems (greedy, the checker of `seek eval`):
// metrics.jsonl gets eval_accuracy, eval_format and eval_accuracy_<task> at those steps.
#include <cstdio>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "rl/evaluate.h"
#include "tokenizer/chat_template.h"
#include "train/trainer.h"

namespace seek::cli {

namespace {

// Greedy accuracy of a saved model on a fixed set of held-out problems (drawn once, so every
// evaluation of the run scores the same problems).
train::Evaluator heldout_evaluator(std::vector<rl::Problem> problems, int64_t max_tokens, int threads) {
  return [problems = std::move(problems), max_tokens, threads](const std::string& dir) {
    ModelOptions mo;
    mo.path = dir;
    mo.settings.num_threads = threads;
    mo.settings.max_context = 1024;
    std::unique_ptr<Model> model = load_model(mo);
    const Tokenizer tokenizer = load_tokenizer(dir, std::nullopt);
    rl::EvalOptions eo;
    eo.max_tokens = max_tokens;
    const rl::EvalResult r = rl::evaluate(*model, tokenizer, problems, eo);
    std::map<std::string, double> scores = {{"eval_accuracy", r.greedy_accuracy}, {"eval_format", r.greedy_format}};
    if (r.by_task.size() > 1)
      for (const auto& [name, s] : r.by_task)
        scores["eval_accuracy_" + name] = static_cast<double>(s.greedy_correct) / static_cast<double>(s.problems);
    return scores;
  };
}

}  // namespace

int cmd_train(Args& args) {
  train::TrainOptions o;
  o.data = args.get_all("--data");
  o.config = args.get_or("--config", "");
  o.init_model = args.get_or("--model", "");
  o.tokenizer = args.get_or("--tokenizer", "");
  o.out = args.get_or("--out", "");
  o.resume = args.flag("--resume");
  o.steps = args.get_int("--steps", o.steps);
  o.batch = args.get_int("--batch", o.batch);
  o.seq = args.get_int("--seq", o.seq);
  o.accum = args.get_int("--accum", o.accum);
  o.schedule.lr = static_cast<float>(args.get_double("--lr", 1e-3));
  o.schedule.min_lr = static_cast<float>(args.get_double("--min-lr", o.schedule.lr * 0.1));
  o.schedule.warmup_steps = args.get_int("--warmup", std::min<int64_t>(100, o.steps / 10));
  o.schedule.kind = train::parse_schedule_kind(args.get_or("--schedule", "cosine"));
  o.schedule.decay_fraction = static_cast<float>(args.get_double("--decay-fraction", o.schedule.decay_fraction));
  o.schedule.total_steps = o.steps;
  o.adamw.weight_decay = static_cast<float>(args.get_double("--weight-decay", o.adamw.weight_decay));
  o.adamw.beta1 = static_cast<float>(args.get_double("--beta1", o.adamw.beta1));
  o.adamw.beta2 = static_cast<float>(args.get_double("--beta2", o.adamw.beta2));
  o.clip = args.get_double("--clip", o.clip);
  o.loss.mtp_lambda = static_cast<float>(args.get_double("--mtp-lambda", 0.3));
  o.loss.balance_alpha = static_cast<float>(args.get_double("--balance-alpha", 1e-4));
  o.bias_gamma = static_cast<float>(args.get_double("--bias-gamma", o.bias_gamma));
  o.init_std = static_cast<float>(args.get_double("--init-std", o.init_std));
  o.seed = static_cast<uint64_t>(args.get_int("--seed", 0));
  o.save_every = args.get_int("--save-every", o.save_every);
  o.keep = args.get_int("--keep", o.keep);
  o.log_every = args.get_int("--log-every", o.log_every);
  o.threads = static_cast<int>(args.get_int("-t", ThreadPool::default_threads()));
  o.quiet = args.flag("--quiet");
  o.bf16 = args.flag("--bf16");
  o.eval_every = args.get_int("--eval-every", 0);
  const std::string eval_task = args.get_or("--eval-task", "mix");
  const int eval_level = static_cast<int>(args.get_int("--eval-level", 1));
  const int64_t eval_count = args.get_int("--eval-count", 50);
  const int64_t eval_max_tokens = args.get_int("--eval-max-tokens", 384);
  const std::string save_dtype = args.get_or("--save-dtype", "f32");
  SEEK_CHECK(save_dtype == "f32" || save_dtype == "bf16", "--save-dtype f32|bf16, not " << save_dtype);
  o.save_dtype = save_dtype == "bf16" ? DType::kBF16 : DType::kF32;
  args.finish();
  SEEK_CHECK(o.save_every >= 1 && o.log_every >= 1, "--save-every and --log-every must be >= 1");
  SEEK_CHECK(o.eval_every >= 0, "--eval-every must be >= 0 (0: no evaluation)");
  if (o.eval_every > 0) {
    SEEK_CHECK(eval_count >= 1 && eval_max_tokens >= 1, "--eval-count and --eval-max-tokens must be >= 1");
    // The problems are asked through the tokenizer's chat template: fail now, not at the first
    // evaluation after a stretch of training (run_training itself reports a missing tokenizer).
    const std::string tok = !o.tokenizer.empty() ? o.tokenizer : o.init_model;
    if (!tok.empty()) {
      try {
        (void)ChatTemplate::for_tokenizer(Tokenizer::load(tok));
      } catch (const Error& e) {
        SEEK_FAIL("--eval-every scores chat prompts, but " << e.what());
      }
    }
    o.evaluate = heldout_evaluator(rl::heldout_problems(eval_task, eval_level, eval_count, 0), eval_max_tokens, o.threads);
  }
  const train::TrainSummary s = train::run_training(o);
  std::printf("trained steps %lld..%lld: loss %.4f -> %.4f, %.0f tokens/s; model in %s\n",
              static_cast<long long>(s.first_step), static_cast<long long>(s.steps), s.first_loss, s.last_loss,
              s.tokens_per_second, o.out.c_str());
  return 0;
}

}  // namespace seek::cli
