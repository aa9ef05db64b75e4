// GgufWriter: writes a GGUF v3 file that llama.cpp reads (byte layout as ggml/src/gguf.cpp and
// gguf-py's GGUFWriter produce it): header, metadata in insertion order, tensor infos with offsets
// packed in the order tensors were added, zero padding to the alignment after the infos and after
// every tensor's data (the last one included).
//
// Output is streamed: the header is written first, then each tensor's bytes straight from its
// memory, so multi-GB files never sit in RAM. Tensors given by a producer are materialised one at a
// time, during write(), and released once written (for quantising a large model on the fly). The
// file appears under its name only when complete (FileWriter).
//
// Tensor types: f32, f16, bf16, q8_0, q4_0 (and i8/i16/i32/i64/f64). Names must be unique and
// shorter than 64 bytes (llama.cpp's limit). Not thread-safe.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf_metadata.h"

namespace seek {

class GgufWriter {
 public:
  GgufWriter() : metadata_("GGUF writer") {}

  // Keys are written in insertion order; set general.architecture first, as llama.cpp's tools do.
  GgufMetadata& metadata() { return metadata_; }
  const GgufMetadata& metadata() const { return metadata_; }
  // Data alignment (a power of two), stored as general.alignment when not the default 32. write()
  // takes the alignment from that key, however it was set.
  void set_alignment(uint32_t alignment);

  // Adds a tensor whose bytes are read at write() time; `tensor` shares storage (no copy).
  void add_tensor(const std::string& name, const Tensor& tensor);
  // Adds a tensor produced at write() time; the producer must return exactly `dtype` and `shape`.
  using TensorProducer = std::function<Tensor()>;
  void add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                  TensorProducer produce);

  size_t num_tensors() const { return tensors_.size(); }
  // Writes the file; throws seek::Error naming `path` (and the tensor, where one is at fault).
  void write(const std::string& path) const;

 private:
  struct PendingTensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;  // outermost-first
    uint64_t nbytes;
    TensorProducer produce;
  };

  GgufMetadata metadata_;
  std::vector<PendingTensor> tensors_;
  std::set<std::string> names_;  // of tensors_, for the uniqueness check
};

}  // namespace seek
