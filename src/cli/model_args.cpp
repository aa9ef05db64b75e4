#include "cli/model_args.h"

#include <cstdlib>

#include "core/error.h"

namespace seek::cli {

ModelOptions parse_model_options(Args& args) {
  ModelOptions o;
  std::optional<std::string> path = args.get("--model");
  SEEK_CHECK(path.has_value(), "--model PATH is required (a Hugging Face model directory or a .gguf file)");
  o.path = *path;
  int64_t threads = args.get_int("-t", 0);
  if (threads == 0) threads = args.get_int("--threads", ThreadPool::default_threads());
  SEEK_CHECK(threads >= 1 && threads <= 1024, "-t: thread count " << threads << " out of range");
  o.settings.num_threads = static_cast<int>(threads);
  o.settings.max_context = args.get_int("--ctx", o.settings.max_context);
  o.settings.max_batch_tokens = args.get_int("--batch", o.settings.max_batch_tokens);
  const std::string mla = args.get_or("--mla", "absorbed");
  SEEK_CHECK(mla == "absorbed" || mla == "naive", "--mla must be 'absorbed' or 'naive', got '" << mla << "'");
  o.settings.mla_form = mla == "naive" ? MlaForm::kNaive : MlaForm::kAbsorbed;
  const std::string level = args.get_or("--kernels", "auto");
  if (level == "scalar") o.settings.kernel_level = KernelLevel::kScalar;
  else if (level == "avx2") o.settings.kernel_level = std::min(KernelLevel::kAvx2, best_kernel_level());
  else SEEK_CHECK(level == "auto" || level == "avx512", "--kernels must be auto, avx512, avx2 or scalar");
  return o;
}

std::unique_ptr<Model> load_model(const ModelOptions& options) { return Model::load(options.path, options.settings); }

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
