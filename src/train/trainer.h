// seek train: the training loop around TrainModel — data, AdamW with a schedule, clipping,
// gradient accumulation, DeepSeek-V3's auxiliary-loss-free bias balancing, checkpoints, resume,
// progress and metrics.
//
// Output directory layout:
//   OUT/config.json, model.safetensors, tokenizer.json, tokenizer_config.json   the final model
//   OUT/metrics.jsonl                                                            one line per logged step
//   OUT/checkpoints/step-000200/   the same model files + optimizer.safetensors + trainer_state.json
//   OUT/checkpoints/latest         the name of the newest complete checkpoint
//   OUT/eval/                      the weights last evaluated (with eval_every; replaced each time)
// A checkpoint is written into a temporary directory and renamed into place, then `latest` is
// replaced atomically, so a run killed at any moment (SIGKILL included) leaves the previous
// checkpoint intact and loses at most the steps since it. --resume continues from `latest` exactly:
// the same parameters, optimizer moments, routing biases, and data stream position.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "train/optimizer.h"
#include "train/train_model.h"

namespace seek::train {

// Held-out evaluation during training: scores of the model saved in `model_dir` (a Hugging Face
// directory with tokenizer files), by name, e.g. {"eval_accuracy": 0.25}. The trainer logs them to
// metrics.jsonl at the step evaluated; what is measured is the caller's (seek train's CLI supplies
// greedy accuracy on held-out reasoning problems: src/rl sits above this layer).
using Evaluator = std::function<std::map<std::string, double>(const std::string& model_dir)>;

struct TrainOptions {
  std::vector<std::string> data;  // JSONL files (see dataset.h)
  std::string config;             // a new model: config.json (or a directory holding one) ...
  std::string init_model;         // ... or start from this checkpoint (fine-tuning / SFT)
  std::string tokenizer;          // directory or tokenizer.json; default: init_model's
  std::string out;
  bool resume = false;

  int64_t steps = 1000;
  int64_t batch = 8;   // sequences per micro-batch
  int64_t seq = 256;   // tokens per sequence
  int64_t accum = 1;   // micro-batches per optimizer step
  Schedule schedule;
  AdamWParams adamw;
  double clip = 1.0;          // global gradient-norm limit (0: none)
  LossWeights loss;
  float bias_gamma = 1e-3f;   // aux-loss-free bias update speed γ (0: off)
  float init_std = 0.02f;
  uint64_t seed = 0;
  int64_t save_every = 100;   // steps between checkpoints (the last step always saves)
  int64_t keep = 2;           // checkpoints kept
  int64_t log_every = 10;
  int64_t eval_every = 0;     // steps between evaluations (0: none); the last step is evaluated too
  Evaluator evaluate;
  int threads = 1;
  bool quiet = false;         // no progress line
  DType save_dtype = DType::kF32;
  bool bf16 = false;          // bf16 forward matmuls, f32 master weights (TrainModel::set_bf16)  // the final model's weights (checkpoints are always f32)
};

struct TrainSummary {
  int64_t first_step = 0;     // the step training started (or resumed) from
  int64_t steps = 0;          // the step it ended at
  double first_loss = 0, last_loss = 0;
  double tokens_per_second = 0;
};

TrainSummary run_training(const TrainOptions& options);

}  // namespace seek::train
