// safetensors: one file = u64 little-endian header length N, N bytes of JSON, then the raw tensor
// bytes (architecture.md 8.1). The JSON maps tensor name -> {"dtype", "shape", "data_offsets":
// [begin, end]} (offsets relative to the first byte after the header) plus an optional
// "__metadata__" string -> string map.
//
// Reading is zero-copy: SafetensorsFile::tensor() returns a Tensor viewing the file's mapping, and
// the view keeps the mapping alive. The whole header is validated once, when the file is opened, so
// every later access is in bounds; a malformed file throws seek::Error naming the file and the
// fault. Tensors start where the file says: a writer other than ours may leave a tensor at an
// address that is not a multiple of its element size.
//
// Thread-safety: a SafetensorsFile is immutable after open; concurrent readers are fine.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace seek {

struct SafetensorsTensorInfo {
  std::string name;            // e.g. "model.layers.0.self_attn.q_proj.weight"
  DType dtype = DType::kF32;   // element type
  std::vector<int64_t> shape;  // outermost-first, at most kMaxDims dimensions
  uint64_t begin = 0;          // byte offset of the first element, relative to the data section
  uint64_t end = 0;            // one past the last byte, relative to the data section
};

class SafetensorsFile {
 public:
  // Maps `path` and parses it.
  static SafetensorsFile open(const std::string& path);
  // Parses `size` bytes at `data`; `name` is used in error messages. The bytes must stay valid as
  // long as the returned object or any tensor from it lives; `keep_alive` (may be null) is held by
  // every returned tensor for that purpose.
  static SafetensorsFile parse(const uint8_t* data, size_t size, const std::string& name,
                               std::shared_ptr<void> keep_alive = nullptr);

  const std::string& name() const { return name_; }
  // Every tensor in the order of its data in the file.
  const std::vector<SafetensorsTensorInfo>& tensors() const { return tensors_; }
  // The "__metadata__" map (empty if absent).
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  bool has(const std::string& tensor_name) const { return index_.count(tensor_name) != 0; }
  // Errors name the file and the tensor when it is absent.
  const SafetensorsTensorInfo& info(const std::string& tensor_name) const;
  // A view into the file's bytes; it keeps the mapping alive.
  Tensor tensor(const std::string& tensor_name) const;

 private:
  std::string name_;
  const uint8_t* data_section_ = nullptr;  // first byte after the header
  std::shared_ptr<void> keep_alive_;
  std::vector<SafetensorsTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// safetensors dtype string ("BF16") -> DType. Throws, naming `tensor_name` and `file_name`, for
// strings seek does not load (BOOL, F8_E5M2, U16, U32, U64) and for unknown ones.
DType safetensors_dtype_from_string(const std::string& dtype, const std::string& tensor_name,
                                    const std::string& file_name);
// DType -> safetensors dtype string. Throws for block-quantised types, which safetensors lacks.
std::string safetensors_dtype_string(DType dtype);

using NamedTensor = std::pair<std::string, Tensor>;

// Writes `tensors` to `path` atomically (streamed to a temporary file, then renamed). The header is
// padded with spaces to a multiple of 8 bytes and carries `metadata` plus "format": "pt" unless the
// caller sets "format". Data is laid out largest element first (as the safetensors library does), so
// every tensor starts at a multiple of its element size. Names must be unique and non-empty.
// Non-contiguous tensors are copied one at a time.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace seek
