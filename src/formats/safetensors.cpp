#include "formats/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "core/error.h"
#include "core/mmap_file.h"
#include "formats/file_writer.h"

namespace seek {

namespace {

using json = nlohmann::json;

// The safetensors library refuses headers above 100 MB; a real one is a few hundred KB. The cap
// keeps a hostile length from making us parse gigabytes of "JSON".
constexpr uint64_t kMaxHeaderBytes = uint64_t{100} << 20;

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// Parses the header, noting the first top-level key that appears twice (JSON parsers silently
// keep the last one, which would hide a tensor).
json parse_header_json(std::string_view text, const std::string& file_name) {
  std::set<std::string> seen;
  std::string duplicate;
  const json::parser_callback_t on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() && parsed.is_string()) {
      const auto& key = parsed.get_ref<const std::string&>();
      if (!seen.insert(key).second) duplicate = key;
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text.begin(), text.end(), on_event);
  } catch (const json::exception& e) {
    SEEK_FAIL(file_name << ": safetensors header is not valid JSON: " << e.what());
  }
  SEEK_CHECK(duplicate.empty(), file_name << ": safetensors header names tensor '" << duplicate << "' twice");
  SEEK_CHECK(header.is_object(),
             file_name << ": safetensors header is a JSON " << header.type_name() << ", expected an object");
  return header;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& file_name) {
  SEEK_CHECK(value.is_object(), file_name << ": __metadata__ is a JSON " << value.type_name()
                                          << ", expected an object of strings");
  std::map<std::string, std::string> metadata;
  for (const auto& [key, item] : value.items()) {
    SEEK_CHECK(item.is_string(), file_name << ": __metadata__ entry '" << key << "' is a JSON "
                                           << item.type_name() << ", expected a string");
    metadata[key] = item.get<std::string>();
  }
  return metadata;
}

SafetensorsTensorInfo parse_tensor_entry(const std::string& tensor_name, const json& entry,
                                         uint64_t data_size, const std::string& file_name) {
  const std::string where = file_name + ": tensor '" + tensor_name + "'";
  SEEK_CHECK(!tensor_name.empty(), file_name << ": safetensors header has a tensor with an empty name");
  SEEK_CHECK(entry.is_object(), where << " is a JSON " << entry.type_name() << ", expected an object");
  const auto dtype_it = entry.find("dtype");
  const auto shape_it = entry.find("shape");
  const auto offsets_it = entry.find("data_offsets");
  SEEK_CHECK(dtype_it != entry.end(), where << " has no \"dtype\"");
  SEEK_CHECK(shape_it != entry.end(), where << " has no \"shape\"");
  SEEK_CHECK(offsets_it != entry.end(), where << " has no \"data_offsets\"");
  SEEK_CHECK(dtype_it->is_string(),
             where << ": \"dtype\" is a JSON " << dtype_it->type_name() << ", expected a string");
  SEEK_CHECK(shape_it->is_array(),
             where << ": \"shape\" is a JSON " << shape_it->type_name() << ", expected a list of integers");
  SEEK_CHECK(offsets_it->is_array() && offsets_it->size() == 2 && (*offsets_it)[0].is_number_unsigned() &&
                 (*offsets_it)[1].is_number_unsigned(),
             where << ": \"data_offsets\" must be [begin, end] with non-negative integers, got "
                   << offsets_it->dump());

  SafetensorsTensorInfo info;
  info.name = tensor_name;
  info.dtype = safetensors_dtype_from_string(dtype_it->get<std::string>(), tensor_name, file_name);
  SEEK_CHECK(shape_it->size() <= static_cast<size_t>(kMaxDims),
             where << " has " << shape_it->size() << " dimensions; seek supports at most " << kMaxDims);

  // The product of the dimensions (zeros counted as 1, so that strides of empty tensors cannot
  // overflow either) times the element size must fit in int64.
  const uint64_t elem_bytes = dtype_block_bytes(info.dtype);
  uint64_t bound = elem_bytes;
  uint64_t numel = 1;
  for (const json& dim : *shape_it) {
    SEEK_CHECK(dim.is_number_unsigned(),
               where << ": \"shape\" must hold non-negative integers, got " << shape_it->dump());
    const uint64_t d = dim.get<uint64_t>();
    const bool overflow = __builtin_mul_overflow(bound, d == 0 ? 1 : d, &bound) ||
                          bound > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    SEEK_CHECK(!overflow, where << ": shape " << shape_it->dump() << " is too large");
    numel *= d;
    info.shape.push_back(static_cast<int64_t>(d));
  }
  const uint64_t nbytes = numel * elem_bytes;  // <= bound, so no overflow

  info.begin = (*offsets_it)[0].get<uint64_t>();
  info.end = (*offsets_it)[1].get<uint64_t>();
  SEEK_CHECK(info.begin <= info.end,
             where << ": data_offsets [" << info.begin << ", " << info.end << "] end before they begin");
  SEEK_CHECK(info.end - info.begin == nbytes, where << ": data_offsets [" << info.begin << ", " << info.end
                                                    << "] hold " << info.end - info.begin << " bytes but "
                                                    << dtype_it->get<std::string>() << " "
                                                    << shape_string(info.shape) << " needs " << nbytes);
  SEEK_CHECK(info.end <= data_size, where << ": data_offsets [" << info.begin << ", " << info.end
                                          << "] run past the end of the data (" << data_size << " bytes)");
  return info;
}

}  // namespace

DType safetensors_dtype_from_string(const std::string& dtype, const std::string& tensor_name,
                                    const std::string& file_name) {
  static const std::pair<const char*, DType> kTable[] = {
      {"F32", DType::kF32}, {"F16", DType::kF16}, {"BF16", DType::kBF16}, {"F8_E4M3", DType::kF8E4M3},
      {"I8", DType::kI8},   {"U8", DType::kU8},   {"I16", DType::kI16},   {"I32", DType::kI32},
      {"I64", DType::kI64}, {"F64", DType::kF64},
  };
  for (const auto& [text, value] : kTable)
    if (dtype == text) return value;
  static const char* const kKnownUnsupported[] = {"BOOL", "F8_E5M2", "U16", "U32", "U64"};
  for (const char* text : kKnownUnsupported)
    SEEK_CHECK(dtype != text,
               file_name << ": unsupported dtype " << dtype << " for tensor '" << tensor_name << "'");
  SEEK_FAIL(file_name << ": unknown dtype '" << dtype << "' for tensor '" << tensor_name << "'");
}

std::string safetensors_dtype_string(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF8E4M3: return "F8_E4M3";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kI16: return "I16";
    case DType::kI32: return "I32";
    case DType::kI64: return "I64";
    case DType::kF64: return "F64";
    case DType::kQ8_0:
    case DType::kQ4_0:
    case DType::kQ4_K:
    case DType::kQ5_K:
    case DType::kQ6_K:
    case DType::kQ4_1:
    case DType::kQ5_0:
    case DType::kQ5_1:
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_NL:
    case DType::kIQ4_XS: break;
  }
  SEEK_FAIL("safetensors has no dtype for " << dtype_name(dtype) << " (block-quantised types are GGUF only)");
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  return parse(file->data(), file->size(), path, file);
}

SafetensorsFile SafetensorsFile::parse(const uint8_t* data, size_t size, const std::string& name,
                                       std::shared_ptr<void> keep_alive) {
  SEEK_CHECK(size >= 8, name << ": " << size << " bytes is too small for a safetensors file (the 8-byte "
                             << "header length is missing)");
  const uint64_t header_len = read_u64_le(data);
  SEEK_CHECK(header_len <= size - 8, name << ": safetensors header length " << header_len
                                          << " exceeds the file size (" << size << " bytes)");
  SEEK_CHECK(header_len <= kMaxHeaderBytes,
             name << ": safetensors header length " << header_len << " exceeds the 100 MB limit");
  std::string_view text(reinterpret_cast<const char*>(data + 8), static_cast<size_t>(header_len));
  // Writers pad with spaces (the spec) or, some of them, with NULs; JSON accepts only the former.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);

  SafetensorsFile file;
  file.name_ = name;
  file.keep_alive_ = std::move(keep_alive);
  file.data_section_ = data + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;

  const json header = parse_header_json(text, name);
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      file.metadata_ = parse_metadata(value, name);
      continue;
    }
    file.tensors_.push_back(parse_tensor_entry(key, value, data_size, name));
  }

  std::sort(file.tensors_.begin(), file.tensors_.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  // Sorted by start, two tensors overlap exactly when one starts before an earlier one ends.
  const SafetensorsTensorInfo* furthest = nullptr;
  for (const SafetensorsTensorInfo& info : file.tensors_) {
    if (info.begin == info.end) continue;
    SEEK_CHECK(furthest == nullptr || info.begin >= furthest->end,
               name << ": tensors '" << furthest->name << "' [" << furthest->begin << ", " << furthest->end
                    << ") and '" << info.name << "' [" << info.begin << ", " << info.end << ") overlap");
    if (furthest == nullptr || info.end > furthest->end) furthest = &info;
  }
  for (size_t i = 0; i < file.tensors_.size(); ++i) file.index_[file.tensors_[i].name] = i;
  return file;
}

const SafetensorsTensorInfo& SafetensorsFile::info(const std::string& tensor_name) const {
  const auto it = index_.find(tensor_name);
  SEEK_CHECK(it != index_.end(), name_ << ": no tensor '" << tensor_name << "'");
  return tensors_[it->second];
}

Tensor SafetensorsFile::tensor(const std::string& tensor_name) const {
  const SafetensorsTensorInfo& i = info(tensor_name);
  // The mapping is read-only; Tensor has no const view type, and model code never writes weights.
  return Tensor::view_of(const_cast<uint8_t*>(data_section_ + i.begin), i.dtype, i.shape, keep_alive_);
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  for (const auto& [name, tensor] : tensors) {
    SEEK_CHECK(!name.empty(), path << ": cannot write a tensor with an empty name");
    SEEK_CHECK(names.insert(name).second, path << ": tensor '" << name << "' is given twice");
    SEEK_CHECK(tensor.defined(), path << ": tensor '" << name << "' has no data");
    safetensors_dtype_string(tensor.dtype());  // throws for q8_0/q4_0
  }
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return dtype_block_bytes(tensors[a].second.dtype()) > dtype_block_bytes(tensors[b].second.dtype());
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  nlohmann::ordered_json meta = nlohmann::ordered_json::object();
  if (metadata.count("format") == 0) meta["format"] = "pt";
  for (const auto& [key, value] : metadata) meta[key] = value;
  header["__metadata__"] = std::move(meta);
  uint64_t offset = 0;
  for (size_t idx : order) {
    const auto& [name, tensor] = tensors[idx];
    const uint64_t nbytes = tensor.nbytes();
    header[name] = {{"dtype", safetensors_dtype_string(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const nlohmann::json::exception& e) {
    SEEK_FAIL(path << ": cannot encode the safetensors header (tensor names must be UTF-8): " << e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  FileWriter out(path);
  uint8_t len_bytes[8];
  for (int i = 0; i < 8; ++i)
    len_bytes[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  out.write(len_bytes, 8);
  out.write(text.data(), text.size());
  for (size_t idx : order) {
    const Tensor& tensor = tensors[idx].second;
    if (tensor.is_contiguous()) {
      out.write(tensor.data(), tensor.nbytes());
    } else {
      const Tensor copy = tensor.Copy();
      out.write(copy.data(), copy.nbytes());
    }
  }
  out.commit();
}

}  // namespace seek
