#include "formats/gguf_writer.h"

#include <set>

#include "core/error.h"
#include "formats/file_writer.h"
#include "formats/gguf.h"

namespace seek {

namespace {

template <typename T>
void put(FileWriter& out, T v) {
  out.write(&v, sizeof(T));  // little-endian host (checked in gguf.cpp)
}

void put_string(FileWriter& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.write(s.data(), s.size());
}

void put_scalar(FileWriter& out, const GgufValue& v) {
  switch (v.type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool: put<uint8_t>(out, static_cast<uint8_t>(v.bits)); return;
    case GgufType::kU16:
    case GgufType::kI16: put<uint16_t>(out, static_cast<uint16_t>(v.bits)); return;
    case GgufType::kU32:
    case GgufType::kI32: put<uint32_t>(out, static_cast<uint32_t>(v.bits)); return;
    case GgufType::kU64:
    case GgufType::kI64: put<uint64_t>(out, v.bits); return;
    case GgufType::kF32: put<float>(out, static_cast<float>(v.real)); return;
    case GgufType::kF64: put<double>(out, v.real); return;
    case GgufType::kString: put_string(out, v.str); return;
    case GgufType::kArray: break;
  }
  SEEK_ASSERT(false);
}

void put_value(FileWriter& out, const GgufValue& v, const std::string& key) {
  if (v.type != GgufType::kArray) {
    put_scalar(out, v);
    return;
  }
  put<uint32_t>(out, static_cast<uint32_t>(v.elem_type));
  put<uint64_t>(out, v.count);
  if (v.elem_type == GgufType::kString) {
    SEEK_CHECK(v.strings.size() == v.count,
               "GGUF metadata key '" << key << "': array count does not match its strings");
    for (const std::string& s : v.strings) put_string(out, s);
  } else if (v.elem_type == GgufType::kArray) {
    SEEK_CHECK(v.arrays.size() == v.count,
               "GGUF metadata key '" << key << "': array count does not match its items");
    for (const GgufValue& item : v.arrays) put_value(out, item, key);
  } else {
    SEEK_CHECK(v.raw.size() == v.count * gguf_scalar_size(v.elem_type),
               "GGUF metadata key '" << key << "': array count does not match its bytes");
    out.write(v.raw.data(), v.raw.size());
  }
}

uint64_t padded(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

void GgufWriter::set_alignment(uint32_t alignment) {
  SEEK_CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0,
             "GGUF alignment " << alignment << " is not a power of two");
  if (alignment == kGgufDefaultAlignment) {
    metadata_.erase("general.alignment");
  } else {
    metadata_.set("general.alignment", GgufValue::u32(alignment));
  }
}

void GgufWriter::add_tensor(const std::string& name, const Tensor& tensor) {
  SEEK_CHECK(tensor.defined(), "GGUF tensor '" << name << "' has no data");
  add_tensor(name, tensor.dtype(), tensor.shape(), [tensor] { return tensor; });
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, const std::vector<int64_t>& shape,
                            TensorProducer produce) {
  SEEK_CHECK(!name.empty(), "GGUF tensor names must not be empty");
  SEEK_CHECK(name.size() <= kGgmlMaxNameBytes, "GGUF tensor name '" << name << "' is " << name.size()
                                                                    << " bytes; llama.cpp allows at most "
                                                                    << kGgmlMaxNameBytes);
  SEEK_CHECK(names_.count(name) == 0, "GGUF tensor '" << name << "' is added twice");
  ggml_type_from_dtype(dtype);  // throws for types GGUF lacks
  SEEK_CHECK(shape.size() <= static_cast<size_t>(kMaxDims),
             "GGUF tensor '" << name << "' has " << shape.size() << " dimensions; at most " << kMaxDims);
  int64_t numel = 1;
  for (int64_t d : shape) {
    SEEK_CHECK(d >= 0, "GGUF tensor '" << name << "' has a negative dimension in " << shape_string(shape));
    numel *= d;
  }
  const int block = dtype_block_size(dtype);
  const int64_t row = shape.empty() ? 1 : shape.back();
  SEEK_CHECK(row % block == 0, "GGUF tensor '" << name << "': row length " << row
                                               << " is not a multiple of the " << dtype_name(dtype)
                                               << " block size " << block);
  const uint64_t nbytes = static_cast<uint64_t>(numel / block) * dtype_block_bytes(dtype);
  tensors_.push_back({name, dtype, shape, nbytes, std::move(produce)});
  names_.insert(name);
}

void GgufWriter::write(const std::string& path) const {
  uint64_t alignment = kGgufDefaultAlignment;
  if (const GgufValue* v = metadata_.find("general.alignment")) {
    SEEK_CHECK(v->type == GgufType::kU32 && v->bits != 0 && (v->bits & (v->bits - 1)) == 0,
               path << ": general.alignment must be a u32 power of two");
    alignment = v->bits;
  }
  FileWriter out(path);
  put<uint32_t>(out, kGgufMagic);
  put<uint32_t>(out, kGgufVersion);
  put<uint64_t>(out, tensors_.size());
  put<uint64_t>(out, metadata_.size());
  for (const auto& [key, value] : metadata_.entries()) {
    put_string(out, key);
    put<uint32_t>(out, static_cast<uint32_t>(value.type));
    put_value(out, value, key);
  }

  uint64_t offset = 0;
  for (const PendingTensor& t : tensors_) {
    put_string(out, t.name);
    put<uint32_t>(out, static_cast<uint32_t>(t.shape.size()));
    for (size_t i = t.shape.size(); i-- > 0;)
      put<uint64_t>(out, static_cast<uint64_t>(t.shape[i]));  // innermost first
    put<uint32_t>(out, static_cast<uint32_t>(ggml_type_from_dtype(t.dtype)));
    put<uint64_t>(out, offset);
    offset += padded(t.nbytes, alignment);
  }
  out.pad_to(alignment);

  for (const PendingTensor& t : tensors_) {
    Tensor tensor = t.produce();
    SEEK_CHECK(tensor.dtype() == t.dtype && tensor.shape() == t.shape,
               path << ": tensor '" << t.name << "' was declared " << dtype_name(t.dtype) << " "
                    << shape_string(t.shape) << " but is " << dtype_name(tensor.dtype()) << " "
                    << tensor.shape_string());
    SEEK_CHECK(tensor.defined(), path << ": tensor '" << t.name << "' has no data");
    if (!tensor.is_contiguous()) tensor = tensor.Copy();
    out.write(tensor.data(), t.nbytes);
    out.pad_to(alignment);
  }
  out.commit();
}

}  // namespace seek
