#include "formats/gguf_metadata.h"

#include <cstring>
#include <limits>

#include "core/error.h"

namespace seek {

std::string_view gguf_type_name(GgufType type) {
  switch (type) {
    case GgufType::kU8: return "u8";
    case GgufType::kI8: return "i8";
    case GgufType::kU16: return "u16";
    case GgufType::kI16: return "i16";
    case GgufType::kU32: return "u32";
    case GgufType::kI32: return "i32";
    case GgufType::kF32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kU64: return "u64";
    case GgufType::kI64: return "i64";
    case GgufType::kF64: return "f64";
  }
  return "unknown";
}

bool gguf_type_is_integer(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kU16:
    case GgufType::kI16:
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kU64:
    case GgufType::kI64: return true;
    case GgufType::kF32:
    case GgufType::kBool:
    case GgufType::kString:
    case GgufType::kArray:
    case GgufType::kF64: return false;
  }
  return false;
}

bool gguf_type_is_float(GgufType type) { return type == GgufType::kF32 || type == GgufType::kF64; }

size_t gguf_scalar_size(GgufType type) {
  switch (type) {
    case GgufType::kU8:
    case GgufType::kI8:
    case GgufType::kBool: return 1;
    case GgufType::kU16:
    case GgufType::kI16: return 2;
    case GgufType::kU32:
    case GgufType::kI32:
    case GgufType::kF32: return 4;
    case GgufType::kU64:
    case GgufType::kI64:
    case GgufType::kF64: return 8;
    case GgufType::kString:
    case GgufType::kArray: return 0;
  }
  return 0;
}

namespace {

bool is_signed(GgufType type) {
  return type == GgufType::kI8 || type == GgufType::kI16 || type == GgufType::kI32 || type == GgufType::kI64;
}

// Decodes one little-endian element of `type` at p into a 64-bit pattern (sign-extended if signed).
uint64_t load_int(GgufType type, const uint8_t* p) {
  const size_t n = gguf_scalar_size(type);
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  if (is_signed(type) && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t{0} << (8 * n);
  return v;
}

double load_float(GgufType type, const uint8_t* p) {
  if (type == GgufType::kF32) {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  if (type == GgufType::kF64) {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  const uint64_t v = load_int(type, p);
  return is_signed(type) ? static_cast<double>(static_cast<int64_t>(v)) : static_cast<double>(v);
}

void store_element(GgufType type, double real, uint64_t bits, std::vector<uint8_t>& out) {
  uint8_t bytes[8];
  const size_t n = gguf_scalar_size(type);
  if (type == GgufType::kF32) {
    const float f = static_cast<float>(real);
    std::memcpy(bytes, &f, 4);
  } else if (type == GgufType::kF64) {
    std::memcpy(bytes, &real, 8);
  } else {
    for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<uint8_t>(bits >> (8 * i));
  }
  out.insert(out.end(), bytes, bytes + n);
}

GgufValue scalar(GgufType type, uint64_t bits) {
  GgufValue v;
  v.type = type;
  v.bits = bits;
  return v;
}

}  // namespace

GgufValue GgufValue::u8(uint8_t v) { return scalar(GgufType::kU8, v); }
GgufValue GgufValue::i8(int8_t v) { return scalar(GgufType::kI8, static_cast<uint64_t>(int64_t{v})); }
GgufValue GgufValue::u16(uint16_t v) { return scalar(GgufType::kU16, v); }
GgufValue GgufValue::i16(int16_t v) { return scalar(GgufType::kI16, static_cast<uint64_t>(int64_t{v})); }
GgufValue GgufValue::u32(uint32_t v) { return scalar(GgufType::kU32, v); }
GgufValue GgufValue::i32(int32_t v) { return scalar(GgufType::kI32, static_cast<uint64_t>(int64_t{v})); }
GgufValue GgufValue::u64(uint64_t v) { return scalar(GgufType::kU64, v); }
GgufValue GgufValue::i64(int64_t v) { return scalar(GgufType::kI64, static_cast<uint64_t>(v)); }
GgufValue GgufValue::boolean(bool v) { return scalar(GgufType::kBool, v ? 1 : 0); }

GgufValue GgufValue::f32(float v) {
  GgufValue out;
  out.type = GgufType::kF32;
  out.real = v;
  return out;
}

GgufValue GgufValue::f64(double v) {
  GgufValue out;
  out.type = GgufType::kF64;
  out.real = v;
  return out;
}

GgufValue GgufValue::string(std::string v) {
  GgufValue out;
  out.type = GgufType::kString;
  out.str = std::move(v);
  return out;
}

GgufValue GgufValue::int_array(GgufType elem_type, const std::vector<int64_t>& values) {
  SEEK_ASSERT(gguf_type_is_integer(elem_type) || elem_type == GgufType::kBool);
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = elem_type;
  out.count = values.size();
  for (int64_t v : values) store_element(elem_type, 0, static_cast<uint64_t>(v), out.raw);
  return out;
}

GgufValue GgufValue::float_array(GgufType elem_type, const std::vector<double>& values) {
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = elem_type;
  out.count = values.size();
  SEEK_ASSERT(gguf_type_is_float(elem_type));
  for (double v : values) store_element(elem_type, v, 0, out.raw);
  return out;
}

GgufValue GgufValue::string_array(std::vector<std::string> values) {
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = GgufType::kString;
  out.count = values.size();
  out.strings = std::move(values);
  return out;
}

GgufValue GgufValue::array_of_arrays(std::vector<GgufValue> values) {
  for (const GgufValue& v : values) SEEK_ASSERT(v.type == GgufType::kArray);
  GgufValue out;
  out.type = GgufType::kArray;
  out.elem_type = GgufType::kArray;
  out.count = values.size();
  out.arrays = std::move(values);
  return out;
}

int64_t GgufValue::int_at(uint64_t i) const {
  SEEK_ASSERT(type == GgufType::kArray && i < count &&
              (gguf_type_is_integer(elem_type) || elem_type == GgufType::kBool));
  return static_cast<int64_t>(load_int(elem_type, raw.data() + i * gguf_scalar_size(elem_type)));
}

double GgufValue::float_at(uint64_t i) const {
  SEEK_ASSERT(type == GgufType::kArray && i < count && gguf_scalar_size(elem_type) > 0);
  return load_float(elem_type, raw.data() + i * gguf_scalar_size(elem_type));
}

bool GgufValue::fits_int64() const {
  return is_signed(type) || bits <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
}

void GgufMetadata::set(const std::string& key, GgufValue value) {
  const auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_[key] = entries_.size();
  entries_.emplace_back(key, std::move(value));
}

void GgufMetadata::add_unique(const std::string& key, GgufValue value) {
  SEEK_CHECK(index_.count(key) == 0, source_ << ": metadata key '" << key << "' appears twice");
  set(key, std::move(value));
}

void GgufMetadata::erase(const std::string& key) {
  const auto it = index_.find(key);
  if (it == index_.end()) return;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(it->second));
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].first] = i;
}

const GgufValue* GgufMetadata::find(const std::string& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

const GgufValue& GgufMetadata::require(const std::string& key) const {
  const GgufValue* v = find(key);
  SEEK_CHECK(v != nullptr, source_ << ": metadata key '" << key << "' is missing");
  return *v;
}

void GgufMetadata::wrong_type(const std::string& key, const GgufValue& value, const char* expected) const {
  std::string got(gguf_type_name(value.type));
  if (value.type == GgufType::kArray) got += " of " + std::string(gguf_type_name(value.elem_type));
  SEEK_FAIL(source_ << ": metadata key '" << key << "' has type " << got << ", expected " << expected);
}

std::string GgufMetadata::get_string(const std::string& key) const {
  const GgufValue& v = require(key);
  if (v.type != GgufType::kString) wrong_type(key, v, "a string");
  return v.str;
}

int64_t GgufMetadata::get_int(const std::string& key) const {
  const GgufValue& v = require(key);
  if (!gguf_type_is_integer(v.type)) wrong_type(key, v, "an integer");
  SEEK_CHECK(v.fits_int64(), source_ << ": metadata key '" << key << "' = " << v.bits << " is too large");
  return static_cast<int64_t>(v.bits);
}

double GgufMetadata::get_float(const std::string& key) const {
  const GgufValue& v = require(key);
  if (gguf_type_is_float(v.type)) return v.real;
  if (!gguf_type_is_integer(v.type)) wrong_type(key, v, "a number");
  return v.fits_int64() ? static_cast<double>(static_cast<int64_t>(v.bits)) : static_cast<double>(v.bits);
}

bool GgufMetadata::get_bool(const std::string& key) const {
  const GgufValue& v = require(key);
  if (v.type != GgufType::kBool) wrong_type(key, v, "a bool");
  return v.bits != 0;
}

std::optional<std::string> GgufMetadata::get_string_opt(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_string(key);
}
std::optional<int64_t> GgufMetadata::get_int_opt(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_int(key);
}
std::optional<double> GgufMetadata::get_float_opt(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_float(key);
}
std::optional<bool> GgufMetadata::get_bool_opt(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return get_bool(key);
}

const GgufValue& GgufMetadata::get_array(const std::string& key) const {
  const GgufValue& v = require(key);
  if (v.type != GgufType::kArray) wrong_type(key, v, "an array");
  return v;
}

std::vector<std::string> GgufMetadata::get_string_array(const std::string& key) const {
  const GgufValue& v = get_array(key);
  if (v.elem_type != GgufType::kString) wrong_type(key, v, "an array of string");
  return v.strings;
}

std::vector<int64_t> GgufMetadata::get_int_array(const std::string& key) const {
  const GgufValue& v = get_array(key);
  if (!gguf_type_is_integer(v.elem_type)) wrong_type(key, v, "an array of integers");
  std::vector<int64_t> out(v.count);
  for (uint64_t i = 0; i < v.count; ++i) out[i] = v.int_at(i);
  return out;
}

std::vector<double> GgufMetadata::get_float_array(const std::string& key) const {
  const GgufValue& v = get_array(key);
  if (!gguf_type_is_float(v.elem_type) && !gguf_type_is_integer(v.elem_type))
    wrong_type(key, v, "an array of numbers");
  std::vector<double> out(v.count);
  for (uint64_t i = 0; i < v.count; ++i) out[i] = v.float_at(i);
  return out;
}

}  // namespace seek
