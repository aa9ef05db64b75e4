// Options every model-running subcommand shares: --model, -t/--threads, --ctx, --mla.
#pragma once

#include <memory>
#include <string>

#include "cli/args.h"
#include "model/model.h"

namespace seek::cli {

struct ModelOptions {
  std::string path;        // --model: HF directory or .gguf
  RunSettings settings;    // -t, --ctx, --batch, --mla
};

// Reads the shared options (the model path is required until a default model ships).
ModelOptions parse_model_options(Args& args);
std::unique_ptr<Model> load_model(const ModelOptions& options);

// "1,2,3" -> ids; errors name the offending item.
std::vector<int32_t> parse_token_list(const std::string& text);

}  // namespace seek::cli
