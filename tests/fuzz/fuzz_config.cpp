// libFuzzer target: the Hugging Face config.json reader on arbitrary text.
// seek::Error is the expected outcome for bad input; anything else (a crash, a sanitizer report,
// another exception type escaping) is a bug. A config that parses must also survive the writers:
// config -> JSON -> config gives it back unchanged, and its GGUF metadata can be built.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "formats/gguf_writer.h"
#include "formats/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seek::ModelConfig config;
  try {
    config = seek::config_from_hf_json(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
  } catch (const seek::Error&) {
    return 0;
  }
  // From here on the input was accepted: any error is a bug in a writer.
  const std::string text = seek::config_to_hf_json(config);
  if (!(seek::config_from_hf_json(text, "rewritten.json") == config)) std::abort();
  seek::GgufWriter writer;
  seek::config_to_gguf_metadata(config, writer);
  return 0;
}
