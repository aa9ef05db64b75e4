#include "formats/gguf.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/mmap_file.h"

namespace seek {

static_assert(std::endian::native == std::endian::little, "the GGUF reader assumes a little-endian host");

namespace {

// Nesting depth of arrays of arrays; llama.cpp itself reads no nested arrays, so real files use 1.
constexpr int kMaxArrayDepth = 8;
// Smallest possible encodings, used to cap counts by the bytes left before allocating anything.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, n_dims 0, type, offset

// A bounds-checked cursor over the file's bytes.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  void need(uint64_t n, const std::string& what) const {
    SEEK_CHECK(n <= left(), name_ << ": file is truncated: " << what << " needs " << n << " bytes at offset "
                                  << pos_ << " but only " << left() << " remain");
  }
  template <typename T>
  T read(const std::string& what) {
    need(sizeof(T), what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const std::string& what) {
    const uint64_t len = read<uint64_t>(what + " length");
    need(len, what);
    std::string s(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return s;
  }
  void read_bytes(uint64_t n, std::vector<uint8_t>& out, const std::string& what) {
    need(n, what);
    out.assign(data_ + pos_, data_ + pos_ + n);
    pos_ += n;
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  const std::string& name_;
};

GgufType read_type(Cursor& in, const std::string& what, const std::string& file_name) {
  const uint32_t t = in.read<uint32_t>(what);
  SEEK_CHECK(t < kGgufTypeCount, file_name << ": " << what << " is " << t << ", not a GGUF value type");
  return static_cast<GgufType>(t);
}

GgufValue read_value(Cursor& in, GgufType type, int depth, const std::string& what,
                     const std::string& file_name) {
  GgufValue v;
  v.type = type;
  switch (type) {
    case GgufType::kString: v.str = in.read_string(what); return v;
    case GgufType::kF32: v.real = in.read<float>(what); return v;
    case GgufType::kF64: v.real = in.read<double>(what); return v;
    case GgufType::kBool: {
      const uint8_t b = in.read<uint8_t>(what);
      SEEK_CHECK(b <= 1, file_name << ": " << what << " is a bool with byte value " << int{b});
      v.bits = b;
      return v;
    }
    case GgufType::kArray: break;
    case GgufType::kU8: v.bits = in.read<uint8_t>(what); return v;
    case GgufType::kI8: v.bits = static_cast<uint64_t>(int64_t{in.read<int8_t>(what)}); return v;
    case GgufType::kU16: v.bits = in.read<uint16_t>(what); return v;
    case GgufType::kI16: v.bits = static_cast<uint64_t>(int64_t{in.read<int16_t>(what)}); return v;
    case GgufType::kU32: v.bits = in.read<uint32_t>(what); return v;
    case GgufType::kI32: v.bits = static_cast<uint64_t>(int64_t{in.read<int32_t>(what)}); return v;
    case GgufType::kU64: v.bits = in.read<uint64_t>(what); return v;
    case GgufType::kI64: v.bits = static_cast<uint64_t>(in.read<int64_t>(what)); return v;
  }
  SEEK_CHECK(depth < kMaxArrayDepth,
             file_name << ": " << what << " nests arrays deeper than " << kMaxArrayDepth);
  v.elem_type = read_type(in, what + " element type", file_name);
  v.count = in.read<uint64_t>(what + " element count");
  const uint64_t scalar = gguf_scalar_size(v.elem_type);
  const uint64_t min_elem = scalar > 0 ? scalar : v.elem_type == GgufType::kString ? 8 : 12;
  SEEK_CHECK(v.count <= in.left() / min_elem,
             file_name << ": " << what << " claims " << v.count << " elements, more than the file can hold");
  if (scalar > 0) {
    in.read_bytes(v.count * scalar, v.raw, what);
    if (v.elem_type == GgufType::kBool)
      for (uint8_t b : v.raw)
        SEEK_CHECK(b <= 1, file_name << ": " << what << " holds a bool with byte value " << int{b});
  } else if (v.elem_type == GgufType::kString) {
    v.strings.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i) v.strings.push_back(in.read_string(what));
  } else {
    v.arrays.reserve(v.count);
    for (uint64_t i = 0; i < v.count; ++i)
      v.arrays.push_back(read_value(in, GgufType::kArray, depth + 1, what, file_name));
  }
  return v;
}

GgufTensorInfo read_tensor_info(Cursor& in, uint64_t idx, const std::string& file_name) {
  GgufTensorInfo info;
  info.name = in.read_string("name of tensor #" + std::to_string(idx));
  const std::string where = file_name + ": tensor '" + info.name + "'";
  const uint32_t n_dims = in.read<uint32_t>("dimension count of tensor '" + info.name + "'");
  SEEK_CHECK(n_dims <= static_cast<uint32_t>(kMaxDims),
             where << " has " << n_dims << " dimensions; GGUF allows at most " << kMaxDims);
  std::vector<uint64_t> ne(n_dims);
  for (uint32_t i = 0; i < n_dims; ++i) ne[i] = in.read<uint64_t>("dimensions of tensor '" + info.name + "'");
  info.ggml_type = in.read<uint32_t>("type of tensor '" + info.name + "'");
  info.offset = in.read<uint64_t>("data offset of tensor '" + info.name + "'");
  info.dtype = dtype_from_ggml(info.ggml_type, info.name, file_name);

  std::ostringstream dims_text;
  for (uint32_t i = 0; i < n_dims; ++i) dims_text << (i ? ", " : "") << ne[i];
  // The byte size with every zero dimension counted as 1 must fit in int64: this bounds numel,
  // nbytes and every stride computed from the shape later.
  const int block = dtype_block_size(info.dtype);
  uint64_t bound = dtype_block_bytes(info.dtype), numel = 1;
  for (uint32_t i = 0; i < n_dims; ++i) {
    const uint64_t d = (i == 0 ? ne[0] / block : ne[i]);
    const bool overflow = __builtin_mul_overflow(bound, d == 0 ? 1 : d, &bound) ||
                          bound > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    SEEK_CHECK(!overflow, where << ": dimensions [" << dims_text.str() << "] are too large");
    numel *= ne[i];
  }
  // A tensor with no dimensions is a scalar: a row of one value, which no block type can hold.
  const uint64_t row_length = n_dims > 0 ? ne[0] : 1;
  SEEK_CHECK(row_length % block == 0, where << ": row length " << row_length << " is not a multiple of the "
                                            << ggml_type_name(info.ggml_type) << " block size " << block);
  info.nbytes = numel / static_cast<uint64_t>(block) * dtype_block_bytes(info.dtype);
  for (uint32_t i = n_dims; i-- > 0;) info.shape.push_back(static_cast<int64_t>(ne[i]));
  return info;
}

}  // namespace

std::string ggml_type_name(uint32_t type_id) {
  static const char* const kNames[] = {
      "F32",      "F16",      "Q4_0",    "Q4_1",  "Q4_2",       "Q4_3",       "Q5_0",       "Q5_1",
      "Q8_0",     "Q8_1",     "Q2_K",    "Q3_K",  "Q4_K",       "Q5_K",       "Q6_K",       "Q8_K",
      "IQ2_XXS",  "IQ2_XS",   "IQ3_XXS", "IQ1_S", "IQ4_NL",     "IQ3_S",      "IQ2_S",      "IQ4_XS",
      "I8",       "I16",      "I32",     "I64",   "F64",        "IQ1_M",      "BF16",       "Q4_0_4_4",
      "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",   "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",
  };
  return type_id < sizeof(kNames) / sizeof(kNames[0]) ? kNames[type_id] : "unknown";
}

DType dtype_from_ggml(uint32_t type_id, const std::string& tensor_name, const std::string& file_name) {
  switch (static_cast<GgmlType>(type_id)) {
    case GgmlType::kF32: return DType::kF32;
    case GgmlType::kF16: return DType::kF16;
    case GgmlType::kQ4_0: return DType::kQ4_0;
    case GgmlType::kQ4_1: return DType::kQ4_1;
    case GgmlType::kQ5_0: return DType::kQ5_0;
    case GgmlType::kQ5_1: return DType::kQ5_1;
    case GgmlType::kQ8_0: return DType::kQ8_0;
    case GgmlType::kQ2_K: return DType::kQ2_K;
    case GgmlType::kQ3_K: return DType::kQ3_K;
    case GgmlType::kQ4_K: return DType::kQ4_K;
    case GgmlType::kQ5_K: return DType::kQ5_K;
    case GgmlType::kQ6_K: return DType::kQ6_K;
    case GgmlType::kIQ4_NL: return DType::kIQ4_NL;
    case GgmlType::kIQ4_XS: return DType::kIQ4_XS;
    case GgmlType::kI8: return DType::kI8;
    case GgmlType::kI16: return DType::kI16;
    case GgmlType::kI32: return DType::kI32;
    case GgmlType::kI64: return DType::kI64;
    case GgmlType::kF64: return DType::kF64;
    case GgmlType::kBF16: return DType::kBF16;
  }
  SEEK_FAIL(file_name
            << ": tensor '" << tensor_name << "' has ggml type " << type_id << " (" << ggml_type_name(type_id)
            << "), which seek does not load; supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS, I8, I16, I32, I64, F64");
}

GgmlType ggml_type_from_dtype(DType dtype) {
  switch (dtype) {
    case DType::kF32: return GgmlType::kF32;
    case DType::kF16: return GgmlType::kF16;
    case DType::kBF16: return GgmlType::kBF16;
    case DType::kQ8_0: return GgmlType::kQ8_0;
    case DType::kQ4_0: return GgmlType::kQ4_0;
    case DType::kQ4_1: return GgmlType::kQ4_1;
    case DType::kQ5_0: return GgmlType::kQ5_0;
    case DType::kQ5_1: return GgmlType::kQ5_1;
    case DType::kQ2_K: return GgmlType::kQ2_K;
    case DType::kQ3_K: return GgmlType::kQ3_K;
    case DType::kQ4_K: return GgmlType::kQ4_K;
    case DType::kQ5_K: return GgmlType::kQ5_K;
    case DType::kQ6_K: return GgmlType::kQ6_K;
    case DType::kIQ4_NL: return GgmlType::kIQ4_NL;
    case DType::kIQ4_XS: return GgmlType::kIQ4_XS;
    case DType::kI8: return GgmlType::kI8;
    case DType::kI16: return GgmlType::kI16;
    case DType::kI32: return GgmlType::kI32;
    case DType::kI64: return GgmlType::kI64;
    case DType::kF64: return GgmlType::kF64;
    case DType::kF8E4M3:
    case DType::kU8: break;
  }
  SEEK_FAIL("GGUF has no tensor type for " << dtype_name(dtype)
                                           << " (convert it to bf16, f32 or q8_0 first)");
}

GgufFile GgufFile::open(const std::string& path) {
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  return parse(file->data(), file->size(), path, file);
}

GgufFile GgufFile::parse(const uint8_t* data, size_t size, const std::string& name,
                         std::shared_ptr<void> keep_alive) {
  GgufFile f;
  f.metadata_ = GgufMetadata(name);
  f.data_ = data;
  f.keep_alive_ = std::move(keep_alive);
  Cursor in(data, size, name);

  SEEK_CHECK(size >= 4, name << ": " << size << " bytes is too small for a GGUF file");
  const uint32_t magic = in.read<uint32_t>("magic");
  SEEK_CHECK(magic == kGgufMagic, name << ": not a GGUF file (the first 4 bytes are not \"GGUF\")");
  f.version_ = in.read<uint32_t>("version");
  SEEK_CHECK(f.version_ != 0x03000000u && f.version_ != 0x02000000u,
             name << ": big-endian GGUF files are not supported");
  SEEK_CHECK(f.version_ != 1,
             name << ": GGUF version 1 is not supported (convert the file with a current llama.cpp)");
  SEEK_CHECK(f.version_ == 2 || f.version_ == 3,
             name << ": unsupported GGUF version " << f.version_ << " (seek reads 2 and 3)");
  const uint64_t n_tensors = in.read<uint64_t>("tensor count");
  const uint64_t n_kv = in.read<uint64_t>("metadata count");
  SEEK_CHECK(n_kv <= in.left() / kMinKvBytes,
             name << ": metadata count " << n_kv << " is more than the file can hold");
  SEEK_CHECK(n_tensors <= in.left() / kMinTensorInfoBytes,
             name << ": tensor count " << n_tensors << " is more than the file can hold");

  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string key = in.read_string("metadata key #" + std::to_string(i));
    const std::string what = "metadata key '" + key + "'";
    const GgufType type = read_type(in, what + " type", name);
    f.metadata_.add_unique(key, read_value(in, type, 0, what, name));
  }

  if (const GgufValue* align = f.metadata_.find("general.alignment")) {
    SEEK_CHECK(align->type == GgufType::kU32,
               name << ": general.alignment has type " << gguf_type_name(align->type) << ", expected u32");
    SEEK_CHECK(align->bits != 0 && (align->bits & (align->bits - 1)) == 0,
               name << ": general.alignment = " << align->bits << " is not a power of two");
    f.alignment_ = static_cast<uint32_t>(align->bits);
  }

  f.tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo info = read_tensor_info(in, i, name);
    SEEK_CHECK(f.index_.emplace(info.name, f.tensors_.size()).second,
               name << ": tensor '" << info.name << "' appears twice");
    SEEK_CHECK(info.offset % f.alignment_ == 0, name << ": tensor '" << info.name << "' has offset "
                                                     << info.offset << ", not a multiple of the alignment "
                                                     << f.alignment_);
    f.tensors_.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment; a file without tensor data may
  // end before it.
  const uint64_t pos = in.pos();
  f.data_offset_ = pos + (f.alignment_ - pos % f.alignment_) % f.alignment_;
  const uint64_t data_size = f.data_offset_ <= size ? size - f.data_offset_ : 0;
  std::vector<const GgufTensorInfo*> by_offset;
  for (const GgufTensorInfo& info : f.tensors_) {
    SEEK_CHECK(info.offset <= data_size && info.nbytes <= data_size - info.offset,
               name << ": tensor '" << info.name << "' data [" << info.offset << ", +" << info.nbytes
                    << ") runs past the end of the file (data section holds " << data_size << " bytes)");
    if (info.nbytes > 0) by_offset.push_back(&info);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const GgufTensorInfo& a = *by_offset[i - 1];
    const GgufTensorInfo& b = *by_offset[i];
    SEEK_CHECK(a.offset + a.nbytes <= b.offset,
               name << ": tensors '" << a.name << "' and '" << b.name << "' overlap in the data section");
  }
  return f;
}

const GgufTensorInfo& GgufFile::tensor_info(const std::string& tensor_name) const {
  const auto it = index_.find(tensor_name);
  SEEK_CHECK(it != index_.end(), name() << ": no tensor '" << tensor_name << "'");
  return tensors_[it->second];
}

Tensor GgufFile::tensor(const std::string& tensor_name) const {
  const GgufTensorInfo& info = tensor_info(tensor_name);
  // An empty tensor may sit past the end of a file without a data section; it never reads its pointer.
  const uint8_t* p = info.nbytes == 0 ? data_ : data_ + data_offset_ + info.offset;
  // The mapping is read-only; Tensor has no const view type, and model code never writes weights.
  return Tensor::view_of(const_cast<uint8_t*>(p), info.dtype, info.shape, keep_alive_);
}

}  // namespace seek
