// seek grads --model DIR --tokens "1,2,3;4,5,6" [--mtp-lambda L] [--balance-alpha A] [-t N]
//            [--out GRADS.safetensors] [--steps N --lr LR [--beta1 --beta2 --eps --weight-decay --clip]
//             --steps-out STEPS.json]
// The training loss of one batch (sequences separated by ';', equal lengths) and the gradient of
// every parameter, written under the parameters' Hugging Face names with the losses as metadata;
// with --steps, N AdamW steps at a constant learning rate on that batch, the losses before each step
// written as JSON. For checking seek's training against another implementation (tests/train).
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "formats/safetensors.h"
#include "train/optimizer.h"
#include "train/train_model.h"

namespace seek::cli {

namespace {

train::TrainBatch parse_batch(const std::string& text) {
  std::vector<int32_t> tokens;
  int64_t batch = 0, seq = -1;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ';')) {
    const std::vector<int32_t> one = parse_token_list(part);
    SEEK_CHECK(seq < 0 || static_cast<int64_t>(one.size()) == seq,
               "--tokens: every sequence needs the same length (" << seq << " and " << one.size() << ")");
    seq = static_cast<int64_t>(one.size());
    tokens.insert(tokens.end(), one.begin(), one.end());
    ++batch;
  }
  SEEK_CHECK(batch >= 1 && seq >= 2, "--tokens needs at least one sequence of two tokens");
  return train::TrainBatch::next_token(batch, seq, std::move(tokens));
}

}  // namespace

int cmd_grads(Args& args) {
  const std::string model_path = args.get_or("--model", "");
  const std::optional<std::string> token_text = args.get("--tokens");
  const int threads = static_cast<int>(args.get_int("-t", 1));
  train::LossWeights weights;
  weights.mtp_lambda = static_cast<float>(args.get_double("--mtp-lambda", 0.0));
  weights.balance_alpha = static_cast<float>(args.get_double("--balance-alpha", 0.0));
  const std::optional<std::string> out = args.get("--out");
  const int64_t steps = args.get_int("--steps", 0);
  const float lr = static_cast<float>(args.get_double("--lr", 1e-3));
  train::AdamWParams hp;
  hp.beta1 = static_cast<float>(args.get_double("--beta1", hp.beta1));
  hp.beta2 = static_cast<float>(args.get_double("--beta2", hp.beta2));
  hp.eps = static_cast<float>(args.get_double("--eps", hp.eps));
  hp.weight_decay = static_cast<float>(args.get_double("--weight-decay", hp.weight_decay));
  const double clip = args.get_double("--clip", 0.0);
  const std::optional<std::string> steps_out = args.get("--steps-out");
  args.finish();
  SEEK_CHECK(!model_path.empty(), "--model DIR is required");
  SEEK_CHECK(token_text.has_value(), "--tokens is required");
  SEEK_CHECK(steps == 0 || steps_out.has_value(), "--steps needs --steps-out FILE.json");

  const train::TrainBatch batch = parse_batch(*token_text);
  auto model = train::TrainModel::load(model_path, threads);
  model->zero_grad();
  const train::StepLosses first = model->forward_backward(batch, weights);
  if (out) {
    std::vector<NamedTensor> tensors;
    for (const train::Parameter& p : model->parameters()) tensors.emplace_back(p.name, p.grad);
    auto num = [](double v) { std::ostringstream s; s.precision(17); s << v; return s.str(); };
    write_safetensors(*out, tensors, {{"total", num(first.total)}, {"ce", num(first.ce)}, {"mtp", num(first.mtp)},
                                      {"balance", num(first.balance)}});
  }
  std::printf("loss %.9g (ce %.9g, mtp %.9g, balance %.9g)\n", first.total, first.ce, first.mtp, first.balance);
  if (steps == 0) return 0;

  nlohmann::json log = {{"losses", nlohmann::json::array()}, {"ce", nlohmann::json::array()},
                        {"mtp", nlohmann::json::array()}, {"balance", nlohmann::json::array()},
                        {"grad_norms", nlohmann::json::array()}};
  train::AdamW opt(model->parameters(), hp);
  ThreadPool pool(threads);
  train::StepLosses l = first;
  for (int64_t s = 0; s < steps; ++s) {
    if (s > 0) {
      model->zero_grad();
      l = model->forward_backward(batch, weights);
    }
    log["losses"].push_back(l.total);
    log["ce"].push_back(l.ce);
    log["mtp"].push_back(l.mtp);
    log["balance"].push_back(l.balance);
    log["grad_norms"].push_back(train::clip_grad_norm(model->parameters(), clip, pool));
    opt.step(model->parameters(), lr, pool);
  }
  const std::string text = log.dump(1);
  write_file_atomic(*steps_out, text.data(), text.size());
  return 0;
}

}  // namespace seek::cli
