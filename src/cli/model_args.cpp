#include "cli/model_args.h"

#include <cstdlib>
#include <filesystem>

#include "cli/default_model.h"
#include "core/error.h"
#include "formats/gguf.h"
#include "model/weight_source.h"
#include "tokenizer/tokenizer_gguf.h"

namespace seek::cli {

ModelOptions parse_model_options(Args& args) {
  ModelOptions o;
  std::optional<std::string> path = args.get("--model");
  o.path = path ? *path : default_model_or_fail();
  int64_t threads = args.get_int("-t", 0);
  if (threads == 0) threads = args.get_int("--threads", ThreadPool::default_threads());
  SEEK_CHECK(threads >= 1 && threads <= 1024, "-t: thread count " << threads << " out of range");
  o.settings.num_threads = static_cast<int>(threads);
  o.settings.max_context = args.get_int("--ctx", o.settings.max_context);
  o.settings.max_batch_tokens = args.get_int("--batch", o.settings.max_batch_tokens);
  const std::string mla = args.get_or("--mla", "absorbed");
  SEEK_CHECK(mla == "absorbed" || mla == "naive", "--mla must be 'absorbed' or 'naive', got '" << mla << "'");
  o.settings.mla_form = mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  const std::string kv = args.get_or("--kv-type", "f32");
  SEEK_CHECK(kv == "f32" || kv == "bf16", "--kv-type must be 'f32' or 'bf16', got '" << kv << "'");
  o.settings.kv_cache_type = kv == "bf16" ? DType::kBF16 : DType::kF32;
  const std::string level = args.get_or("--kernels", "auto");
  if (level == "scalar") o.settings.kernel_level = KernelLevel::kScalar;
  else if (level == "avx2") o.settings.kernel_level = std::min(KernelLevel::kAvx2, best_kernel_level());
  else SEEK_CHECK(level == "auto" || level == "avx512", "--kernels must be auto, avx512, avx2 or scalar");
  return o;
}

std::unique_ptr<Model> load_model(const ModelOptions& options) { return Model::load(options.path, options.settings); }

Tokenizer load_tokenizer(const std::string& model_path, const std::optional<std::string>& override_path) {
  if (override_path) return Tokenizer::load(*override_path);
  namespace fs = std::filesystem;
  const fs::path p(model_path);
  // The model loader's rule for what the path names: a missing path or a file that is no model fails
  // here, before the tokenizer lookup could blame the tokenizer.
  const ModelPathKind kind = model_path_kind(model_path);
  if (kind == ModelPathKind::kDirectory) return Tokenizer::load(model_path);
  if (kind == ModelPathKind::kGguf) {
    const GgufFile file = GgufFile::open(model_path);  // a broken .gguf is named for what is wrong with it
    if (gguf_has_tokenizer(file.metadata())) return Tokenizer(tokenizer_spec_from_gguf(file.metadata()));
  }
  const fs::path beside = p.parent_path() / "tokenizer.json";
  SEEK_CHECK(fs::exists(beside),
             model_path << ": no tokenizer found (the file has no tokenizer.ggml.* metadata; put "
                           "tokenizer.json beside it or pass --tokenizer PATH)");
  return Tokenizer::load(p.parent_path().empty() ? "." : p.parent_path().string());
}

SamplingParams parse_sampling_options(Args& args, float default_temperature) {
  SamplingParams s;
  s.temperature = static_cast<float>(args.get_double("--temp", default_temperature));
  s.top_p = static_cast<float>(args.get_double("--top-p", 1.0));
  s.top_k = static_cast<int>(args.get_int("--top-k", 0));
  s.min_p = static_cast<float>(args.get_double("--min-p", 0.0));
  s.repetition_penalty = static_cast<float>(args.get_double("--repeat-penalty", 1.0));
  s.seed = static_cast<uint64_t>(args.get_int("--seed", 0));
  return s;
}

std::vector<int32_t> parse_token_list(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(pos, comma - pos);
    char* end = nullptr;
    const long v = std::strtol(item.c_str(), &end, 10);
    SEEK_CHECK(!item.empty() && *end == '\0' && v >= 0 && v <= INT32_MAX, "--tokens: '" << item << "' is not a token id");
    ids.push_back(static_cast<int32_t>(v));
    pos = comma + 1;
  }
  return ids;
}

}  // namespace seek::cli
