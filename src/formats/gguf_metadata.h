// GGUF metadata: an ordered list of key -> typed value (ggml's gguf.h value types, all of them).
//
// Values keep their GGUF type so that a file we read and write back is the same file, and so that
// what we write has the types llama.cpp expects (it rejects, say, an i32 where it wants a u32).
// The typed getters are the way to read: they accept any width of the requested kind (u8..i64 for
// an integer, f32/f64 for a float) and throw seek::Error naming the source and the key when the key
// is missing or holds another kind. Arrays of numbers are kept packed as in the file, so a
// hostile or merely large array costs its file size in memory, not a node per element.
//
// Thread-safety: const methods may be called concurrently; set() needs exclusive access.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace seek {

// Value type ids exactly as GGUF stores them.
enum class GgufType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};
constexpr uint32_t kGgufTypeCount = 13;

std::string_view gguf_type_name(GgufType type);  // "u32", "string", "array", ...
bool gguf_type_is_integer(GgufType type);        // u8..i64 (not bool)
bool gguf_type_is_float(GgufType type);          // f32, f64
// Bytes of one scalar element (0 for string and array).
size_t gguf_scalar_size(GgufType type);

struct GgufValue {
  GgufType type = GgufType::kU8;
  uint64_t bits = 0;  // integer and bool scalars: the value; signed types sign-extended to 64 bits
  double real = 0;    // f32 / f64 scalars
  std::string str;    // string scalar
  // Arrays (type == kArray). Exactly one of the three stores is used, chosen by elem_type.
  GgufType elem_type = GgufType::kU8;
  uint64_t count = 0;                // number of elements
  std::vector<uint8_t> raw;          // numeric/bool elements, packed little-endian as in the file
  std::vector<std::string> strings;  // string elements
  std::vector<GgufValue> arrays;     // nested array elements

  static GgufValue u8(uint8_t v);
  static GgufValue i8(int8_t v);
  static GgufValue u16(uint16_t v);
  static GgufValue i16(int16_t v);
  static GgufValue u32(uint32_t v);
  static GgufValue i32(int32_t v);
  static GgufValue u64(uint64_t v);
  static GgufValue i64(int64_t v);
  static GgufValue f32(float v);
  static GgufValue f64(double v);
  static GgufValue boolean(bool v);
  static GgufValue string(std::string v);
  // Arrays of one numeric type: int_array takes an integer or bool elem_type (values are truncated
  // to its width), float_array f32 or f64.
  static GgufValue int_array(GgufType elem_type, const std::vector<int64_t>& values);
  static GgufValue float_array(GgufType elem_type, const std::vector<double>& values);
  static GgufValue string_array(std::vector<std::string> values);
  static GgufValue array_of_arrays(std::vector<GgufValue> values);

  // Element i of an integer/bool array (int_at) or of any numeric array (float_at).
  int64_t int_at(uint64_t i) const;
  double float_at(uint64_t i) const;
  // The scalar as a signed integer; false when it is an unsigned value above INT64_MAX.
  bool fits_int64() const;

  bool operator==(const GgufValue& other) const = default;
};

class GgufMetadata {
 public:
  // `source` names where the metadata came from, for error messages (usually the file path).
  explicit GgufMetadata(std::string source = "GGUF metadata") : source_(std::move(source)) {}

  const std::string& source() const { return source_; }
  // Entries in file (insertion) order.
  const std::vector<std::pair<std::string, GgufValue>>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }

  // Replaces an existing key in place (its position is kept) or appends a new one.
  void set(const std::string& key, GgufValue value);
  // Appends; throws if the key exists (a file naming a key twice is malformed).
  void add_unique(const std::string& key, GgufValue value);
  void erase(const std::string& key);

  bool has(const std::string& key) const { return index_.count(key) != 0; }
  const GgufValue* find(const std::string& key) const;

  std::string get_string(const std::string& key) const;
  int64_t get_int(const std::string& key) const;
  double get_float(const std::string& key) const;  // integers are accepted too
  bool get_bool(const std::string& key) const;
  std::optional<std::string> get_string_opt(const std::string& key) const;
  std::optional<int64_t> get_int_opt(const std::string& key) const;
  std::optional<double> get_float_opt(const std::string& key) const;
  std::optional<bool> get_bool_opt(const std::string& key) const;

  // Any array (nested ones included).
  const GgufValue& get_array(const std::string& key) const;
  std::vector<std::string> get_string_array(const std::string& key) const;
  std::vector<int64_t> get_int_array(const std::string& key) const;
  std::vector<double> get_float_array(const std::string& key) const;  // integer arrays are accepted too

 private:
  const GgufValue& require(const std::string& key) const;
  [[noreturn]] void wrong_type(const std::string& key, const GgufValue& value, const char* expected) const;

  std::string source_;
  std::vector<std::pair<std::string, GgufValue>> entries_;
  std::unordered_map<std::string, size_t> index_;  // key -> position in entries_
};

}  // namespace seek
