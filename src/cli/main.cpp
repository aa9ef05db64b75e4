// seek: the one binary. Dispatches to a subcommand and turns any seek::Error into one clear line and
// a non-zero exit code.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"

namespace {

struct Command {
  const char* name;
  int (*run)(seek::cli::Args&);
  const char* summary;
};

const Command kCommands[] = {
    {"bench", seek::cli::cmd_bench, "[-p 512] [-n 128] [--json]: prefill/decode tok/s against measured limits"},
    {"bench train", seek::cli::cmd_bench_train, "--config C.json [-B 8] [-T 256] [--json]: training tokens/s and GFLOP/s against the measured peak"},
    {"chat", seek::cli::cmd_chat, "terminal chat: streams reasoning (dimmed) and answer; /help inside"},
    {"data", seek::cli::cmd_data, "--task add|sub|mul|countdown|lineq|sort|mix --out F.jsonl [--level 1-5] [--count N] [--split train|heldout] [--seed S]: reasoning problems"},
    {"eval", seek::cli::cmd_eval, "[--model DIR] (--data F.jsonl | --task T [--level L] [--count N]) [--samples K]: accuracy on held-out reasoning problems"},
    {"generate", seek::cli::cmd_generate, "--prompt TEXT [--chat] [-n N] [--temp T] [--top-p P] [--seed S]: one completion"},
    {"train", seek::cli::cmd_train, "--data F.jsonl (--config C.json | --model DIR) [--tokenizer DIR] --out DIR [--steps N] [--batch B] [--seq T] [--lr LR] [--resume] [--eval-every N]: pretrain or SFT, held-out accuracy as it trains"},
    {"grads", seek::cli::cmd_grads, "--model DIR --tokens \"1,2;3,4\" [--mtp-lambda L] [--balance-alpha A] [--out F.safetensors] [--steps N --steps-out F.json]: training loss and gradients of one batch"},
    {"plot", seek::cli::cmd_plot, "METRICS.jsonl... --out F.svg|F.png [--metric loss,ce] [--log-y] [--smooth N]: line charts of training metrics"},
    {"logits", seek::cli::cmd_logits, "full forward over --tokens; --out FILE gets f32 rows [n x vocab]"},
    {"convert", seek::cli::cmd_convert, "IN OUT: Hugging Face directory <-> GGUF (by OUT's extension)"},
    {"quantize", seek::cli::cmd_quantize, "IN OUT.gguf --type q8_0|q4_0|q4_K_M|q5_K_M|q2_K|q3_K|q4_K|q5_K|q6_K|q5_0|q5_1|q4_1|iq4_nl|iq4_xs|bf16|f16: quantised GGUF (MoE router kept f32)"},
    {"tokenizer", seek::cli::cmd_tokenizer_train, "train --input FILE... --vocab-size N --out DIR: train a DeepSeek-style BPE tokenizer"},
    {"tokenize", seek::cli::cmd_tokenize, "print token ids of text (stdin or --file), --lines for one line each"},
};

void print_usage() {
  std::printf("usage: seek <command> [options]\n\ncommands:\n");
  for (const Command& c : kCommands) std::printf("  %-12s %s\n", c.name, c.summary);
  std::printf("\ncommon options: --model PATH (HF directory or .gguf; default: models/seek-r1-tiny, the reasoner seek trained), -t N (threads)\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  std::string name = argv[1];
  int first_arg = 2;
  if (name == "tokenizer") {  // a command group: `seek tokenizer train ...`
    if (argc < 3 || std::strcmp(argv[2], "train") != 0) {
      std::fprintf(stderr, "seek: usage: seek tokenizer train --input FILE... --vocab-size N --out DIR\n");
      return 2;
    }
    first_arg = 3;
  } else if (name == "bench" && argc >= 3 && !std::strcmp(argv[2], "train")) {
    name = "bench train";
    first_arg = 3;
  }
  for (const Command& c : kCommands) {
    if (name != c.name) continue;
    try {
      seek::cli::Args args(std::vector<std::string>(argv + first_arg, argv + argc));
      return c.run(args);
    } catch (const seek::Error& e) {
      std::fprintf(stderr, "seek %s: error: %s\n", c.name, e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "seek %s: error: %s\n", c.name, e.what());
      return 1;
    }
  }
  std::fprintf(stderr, "seek: unknown command '%s' (see seek --help)\n", name.c_str());
  return 2;
}
