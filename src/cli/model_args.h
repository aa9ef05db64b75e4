// Options every model-running subcommand shares: --model, -t/--threads, --ctx, --mla.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/args.h"
#include "engine/sampler.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace seek::cli {

struct ModelOptions {
  std::string path;        // --model: HF directory or .gguf; without it the default model (default_model.h)
  RunSettings settings;    // -t, --ctx, --batch, --mla
};

// Reads the shared options; without --model, the default model (models/seek-r1-tiny).
ModelOptions parse_model_options(Args& args);
std::unique_ptr<Model> load_model(const ModelOptions& options);

// The tokenizer of a model: --tokenizer when given; else its directory's tokenizer.json; for a .gguf
// file the tokenizer embedded in it, else a tokenizer.json beside it.
Tokenizer load_tokenizer(const std::string& model_path, const std::optional<std::string>& override_path);

// --temp, --top-p, --top-k, --min-p, --repeat-penalty, --seed.
SamplingParams parse_sampling_options(Args& args, float default_temperature = 0.0f);

// "1,2,3" -> ids; errors name the offending item.
std::vector<int32_t> parse_token_list(const std::string& text);

}  // namespace seek::cli
