// The model a command runs when it is given no --model: models/seek-r1-tiny, the small
// DeepSeek-V3-architecture reasoner this project trained with its own pipeline (docs/TRAINING.md).
#pragma once

#include <string>

namespace seek::cli {

// Its directory, looked for in order beside the running binary (build/seek reads
// ../models/seek-r1-tiny, a binary next to models/ reads models/seek-r1-tiny), then in the source
// tree this binary was built from: the first holding a config.json. If none does, an error says
// where it looked and what to pass instead.
std::string default_model_or_fail();

}  // namespace seek::cli
