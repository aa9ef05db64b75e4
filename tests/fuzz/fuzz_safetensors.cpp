// libFuzzer target: the safetensors header parser on arbitrary bytes.
// seek::Error is the expected outcome for bad input; anything else (a crash, a sanitizer report,
// another exception type escaping) is a bug. Every tensor the parser accepts is touched at its
// first and last byte, so a view reaching outside the input shows up under ASan.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const seek::SafetensorsFile file = seek::SafetensorsFile::parse(data, size, "fuzz.safetensors");
    volatile uint8_t sink = 0;
    for (const seek::SafetensorsTensorInfo& info : file.tensors()) {
      const seek::Tensor t = file.tensor(info.name);
      const size_t n = t.nbytes();
      if (n == 0) continue;
      const uint8_t* p = static_cast<const uint8_t*>(t.data());
      sink = sink + p[0] + p[n - 1];
    }
    (void)sink;
  } catch (const seek::Error&) {
  }
  return 0;
}
