// seek tokenizer train --input FILE [--input FILE2 ...] --vocab-size N --out DIR [--min-frequency F]
//
// Trains a byte-level BPE tokenizer with DeepSeek-V3's pre-tokenizer and DeepSeek's special tokens
// (layout in src/tokenizer/bpe_trainer.h) and writes DIR/tokenizer.json and
// DIR/tokenizer_config.json (R1 chat template), which seek and Hugging Face tokenizers load. Each
// input file is one document. A summary (sizes, timings, MB/s) goes to stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/bpe_trainer.h"
#include "tokenizer/tokenizer_writer.h"

namespace seek::cli {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int cmd_tokenizer_train(Args& args) {
  const std::vector<std::string> inputs = args.get_all("--input");
  const int64_t vocab_size = args.get_int("--vocab-size", -1);
  const std::optional<std::string> out = args.get("--out");
  const int64_t min_frequency = args.get_int("--min-frequency", BpeTrainerOptions{}.min_frequency);
  args.finish();

  SEEK_CHECK(!inputs.empty(), "--input FILE is required (repeat it for several files)");
  SEEK_CHECK(vocab_size != -1,
             "--vocab-size N is required (all ids, the " << kBpeNumAddedTokens << " added tokens included)");
  SEEK_CHECK(vocab_size >= kBpeMinVocabSize && vocab_size <= std::numeric_limits<int32_t>::max(),
             "--vocab-size " << vocab_size << " is out of range: at least " << kBpeMinVocabSize
                             << " (256 byte tokens + " << kBpeNumAddedTokens << " added tokens)");
  SEEK_CHECK(min_frequency >= 0, "--min-frequency " << min_frequency << " is negative");
  SEEK_CHECK(out.has_value() && !out->empty(),
             "--out DIR is required (tokenizer.json and tokenizer_config.json go there)");
  namespace fs = std::filesystem;
  std::error_code ec;
  SEEK_CHECK(!fs::exists(*out, ec) || fs::is_directory(*out, ec),
             "--out " << *out << ": exists and is not a directory");
  for (const std::string& path : inputs) {
    SEEK_CHECK(fs::exists(path, ec), "--input " << path << ": no such file");
    SEEK_CHECK(fs::is_regular_file(path, ec), "--input " << path << ": not a regular file");
  }

  const auto count_start = std::chrono::steady_clock::now();
  BpeTrainer trainer;
  for (const std::string& path : inputs) {
    if (fs::file_size(path, ec) == 0) continue;  // nothing to map
    const std::shared_ptr<MappedFile> file = MappedFile::open(path);
    trainer.add_text(std::string_view(reinterpret_cast<const char*>(file->data()), file->size()));
  }
  const double count_s = seconds_since(count_start);
  SEEK_CHECK(trainer.num_distinct_words() > 0, "--input: the input files hold no text to train on");

  const auto merge_start = std::chrono::steady_clock::now();
  BpeTrainerOptions options;
  options.vocab_size = static_cast<int32_t>(vocab_size);
  options.min_frequency = min_frequency;
  const TrainedBpe trained = trainer.train(options);
  const double merge_s = seconds_since(merge_start);

  write_tokenizer_dir(trained.spec, *out);

  const double mb = static_cast<double>(trainer.num_text_bytes()) / 1e6;
  std::fprintf(stderr,
               "seek tokenizer train: %zu file(s), %.2f MB, %zu distinct pre-tokens: counted in %.2f s, "
               "%d merges in %.2f s (%.2f MB/s overall); vocab %d -> %s\n",
               inputs.size(), mb, trainer.num_distinct_words(), count_s, trained.num_merges, merge_s,
               mb / std::max(count_s + merge_s, 1e-9), trained.vocab_size, out->c_str());
  if (trained.vocab_size < vocab_size) {
    std::fprintf(
        stderr,
        "seek tokenizer train: note: no pair occurs --min-frequency %lld times after %d merges, so the "
        "vocabulary has %d ids, not %lld (give more text or lower --min-frequency)\n",
        static_cast<long long>(std::max<int64_t>(min_frequency, 1)), trained.num_merges, trained.vocab_size,
        static_cast<long long>(vocab_size));
  }
  return 0;
}

}  // namespace seek::cli
