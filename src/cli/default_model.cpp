#include "cli/default_model.h"

#include <filesystem>
#include <system_error>
#include <vector>

#include "core/error.h"

namespace seek::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultModel = "models/seek-r1-tiny";

// The running binary's directory (empty when /proc is not mounted).
fs::path binary_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}

std::vector<std::string> default_model_candidates() {
  std::vector<std::string> out;
  const fs::path dir = binary_dir();
  if (!dir.empty()) {
    out.push_back((dir.parent_path() / kDefaultModel).lexically_normal().string());
    out.push_back((dir / kDefaultModel).lexically_normal().string());
  }
#ifdef SEEK_SOURCE_DIR
  const std::string source = (fs::path(SEEK_SOURCE_DIR) / kDefaultModel).lexically_normal().string();
  if (out.empty() || out.front() != source) out.push_back(source);  // build/seek: the same place
#endif
  return out;
}

}  // namespace

std::string default_model_or_fail() {
  const std::vector<std::string> candidates = default_model_candidates();
  std::string looked;
  for (const std::string& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(c) / "config.json", ec)) return c;
    looked += (looked.empty() ? "" : ", ") + c;
  }
  SEEK_FAIL("no --model given, and the default model ("
            << kDefaultModel << ") is not where this seek binary looks for it (" << looked
            << "); pass --model PATH (a Hugging Face model "
               "directory or a .gguf file)");
}

}  // namespace seek::cli
