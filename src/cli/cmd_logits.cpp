// seek logits --model PATH --tokens 1,2,3 [--out FILE]: one full forward pass. FILE receives float32
// little-endian rows [n_tokens x vocab]; without --out, the top 10 of the last position as JSON.
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <vector>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "core/mmap_file.h"

namespace seek::cli {

int cmd_logits(Args& args) {
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> token_text = args.get("--tokens");
  const std::optional<std::string> out_path = args.get("--out");
  const std::optional<std::string> mtp_path = args.get("--mtp-out");
  args.finish();
  SEEK_CHECK(token_text.has_value(), "--tokens 1,2,3 is required");
  const std::vector<int32_t> tokens = parse_token_list(*token_text);
  const int64_t n = static_cast<int64_t>(tokens.size());
  options.settings.max_batch_tokens = std::max<int64_t>(options.settings.max_batch_tokens, n);
  options.settings.max_context = n;
  std::unique_ptr<Model> model = load_model(options);
  const int64_t vocab = model->config().vocab_size;
  KvCache cache = model->new_cache();
  std::vector<float> logits(static_cast<size_t>(n * vocab));
  model->forward(tokens.data(), n, cache, logits.data(), /*all_logits=*/true);

  if (mtp_path) {
    // MTP row t predicts token t+2 from the main hidden state at t and token t+1.
    SEEK_CHECK(model->has_mtp(), options.path << ": the model has no MTP module (--mtp-out)");
    SEEK_CHECK(n >= 2, "--mtp-out needs at least two tokens");
    std::vector<float> mtp(static_cast<size_t>((n - 1) * vocab));
    model->forward_mtp(0, tokens.data() + 1, n - 1, cache, mtp.data());
    write_file_atomic(*mtp_path, mtp.data(), mtp.size() * sizeof(float));
  }
  if (out_path) {
    write_file_atomic(*out_path, logits.data(), logits.size() * sizeof(float));
    return 0;
  }
  const float* last = logits.data() + (n - 1) * vocab;
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  const size_t top = std::min<size_t>(10, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(top), order.end(),
                    [&](int32_t a, int32_t b) { return last[a] > last[b] || (last[a] == last[b] && a < b); });
  std::printf("{\"position\": %lld, \"top\": [", static_cast<long long>(n - 1));
  for (size_t i = 0; i < top; ++i)
    std::printf("%s{\"id\": %d, \"logit\": %.6g}", i ? ", " : "", order[i], static_cast<double>(last[order[i]]));
  std::printf("]}\n");
  return 0;
}

}  // namespace seek::cli
