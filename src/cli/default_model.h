// The model a command runs when it is given no --model: models/seek-r1-tiny, the small
// DeepSeek-V3-architecture reasoner this project trained with its own pipeline (docs/TRAINING.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace seek::cli {

// Where the default model is looked for, in order: beside the running binary (build/seek reads
// ../models/seek-r1-tiny, a binary next to models/ reads models/seek-r1-tiny), then the source tree
// this binary was built from.
std::vector<std::string> default_model_candidates();

// The first candidate holding a config.json, if any.
std::optional<std::string> find_default_model();

// find_default_model(), or an error that says where it looked and what to pass instead.
std::string default_model_or_fail();

}  // namespace seek::cli
