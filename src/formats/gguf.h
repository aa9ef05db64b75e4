// GGUF (versions 2 and 3, little-endian), llama.cpp's model file (architecture.md 8.5):
//
//   u32 magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x      { string key | u32 value type | value }         (string = u64 length + bytes)
//   n_tensors x { string name | u32 n_dims | u64 ne[n_dims] | u32 ggml type | u64 offset }
//   zero padding to general.alignment (default 32), then the data section; every tensor's offset
//   is relative to it and a multiple of the alignment.
//
// ne[] is innermost-first (ne[0] is the row length); seek shapes are outermost-first, so the shape
// here is ne[] reversed. Tensor types seek loads: F32, F16, BF16, Q8_0, Q4_0 (and the integer/F64
// types I8, I16, I32, I64, F64); any other ggml type is an error naming the type and the tensor.
//
// Reading is zero-copy and validated once at open: every count, length and offset is checked
// against the file size before use, so a truncated or hostile file yields seek::Error naming the
// file and the fault, never an out-of-bounds read. Immutable after open; safe to share between
// threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/tensor.h"
#include "formats/gguf_metadata.h"

namespace seek {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kGgufVersion = 3;
constexpr uint32_t kGgufDefaultAlignment = 32;
constexpr size_t kGgmlMaxNameBytes = 63;  // llama.cpp rejects tensor names of 64 bytes or more

// ggml tensor type ids (ggml.h enum ggml_type) for the types seek reads and writes.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kIQ4_NL = 20,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

// Name of any ggml type id for messages ("Q4_K"); "unknown" for ids ggml never used.
std::string ggml_type_name(uint32_t type_id);
// ggml type id -> DType; throws naming the tensor, the file and the type for types seek lacks.
DType dtype_from_ggml(uint32_t type_id, const std::string& tensor_name, const std::string& file_name);
// DType -> ggml type id; throws for dtypes GGUF cannot hold (f8_e4m3, u8).
GgmlType ggml_type_from_dtype(DType dtype);

struct GgufTensorInfo {
  std::string name;            // e.g. "blk.0.attn_q.weight"
  std::vector<int64_t> shape;  // outermost-first (GGUF's ne[] reversed)
  uint32_t ggml_type = 0;      // as stored
  DType dtype = DType::kF32;   // the same, as a seek dtype
  uint64_t offset = 0;         // relative to the data section
  uint64_t nbytes = 0;         // size of the data
};

class GgufFile {
 public:
  static GgufFile open(const std::string& path);
  // Parses `size` bytes at `data`; `name` appears in errors. The bytes must outlive the returned
  // object and its tensors; `keep_alive` (may be null) is held by every tensor returned.
  static GgufFile parse(const uint8_t* data, size_t size, const std::string& name,
                        std::shared_ptr<void> keep_alive = nullptr);

  const std::string& name() const { return metadata_.source(); }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // file offset of the data section
  const GgufMetadata& metadata() const { return metadata_; }

  // Tensors in the order of the file's tensor-info list.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  bool has_tensor(const std::string& tensor_name) const { return index_.count(tensor_name) != 0; }
  const GgufTensorInfo& tensor_info(const std::string& tensor_name) const;
  // A view of the tensor's bytes in the file; it keeps the mapping alive.
  Tensor tensor(const std::string& tensor_name) const;

 private:
  uint32_t version_ = 0;
  uint32_t alignment_ = kGgufDefaultAlignment;
  uint64_t data_offset_ = 0;
  const uint8_t* data_ = nullptr;  // start of the file
  std::shared_ptr<void> keep_alive_;
  GgufMetadata metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
};

}  // namespace seek
