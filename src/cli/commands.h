// One entry point per subcommand; each lives in its own cmd_<name>.cpp and only parses arguments
// and calls into the library. They return the process exit code and may throw seek::Error, which
// main() prints as one line.
#pragma once

#include "cli/args.h"

namespace seek::cli {

int cmd_tokenize(Args& args);
int cmd_tokenizer_train(Args& args);
int cmd_logits(Args& args);
int cmd_generate(Args& args);
int cmd_chat(Args& args);
int cmd_bench(Args& args);
int cmd_data(Args& args);
int cmd_convert(Args& args);
int cmd_quantize(Args& args);
int cmd_grads(Args& args);
int cmd_train(Args& args);
int cmd_bench_train(Args& args);
int cmd_plot(Args& args);
int cmd_eval(Args& args);

}  // namespace seek::cli
