// libFuzzer target: the GGUF parser, and the model-config reader on top of it, on arbitrary bytes.
// seek::Error is the expected outcome for bad input; anything else (a crash, a sanitizer report,
// another exception type escaping) is a bug. Every tensor the parser accepts is touched at its
// first and last byte, so a view reaching outside the input shows up under ASan.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/gguf.h"
#include "formats/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const seek::GgufFile file = seek::GgufFile::parse(data, size, "fuzz.gguf");
    volatile uint8_t sink = 0;
    for (const seek::GgufTensorInfo& info : file.tensors()) {
      const seek::Tensor t = file.tensor(info.name);
      const size_t n = t.nbytes();
      if (n == 0) continue;
      const uint8_t* p = static_cast<const uint8_t*>(t.data());
      sink = sink + p[0] + p[n - 1];
    }
    (void)sink;
    for (const auto& [key, value] : file.metadata().entries()) {
      if (value.type != seek::GgufType::kArray) continue;
      if (seek::gguf_type_is_integer(value.elem_type)) file.metadata().get_int_array(key);
      if (seek::gguf_type_is_float(value.elem_type)) file.metadata().get_float_array(key);
    }
    seek::config_from_gguf(file);
  } catch (const seek::Error&) {
  }
  return 0;
}
