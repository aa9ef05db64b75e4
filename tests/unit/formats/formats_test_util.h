// Helpers shared by the formats tests: a scratch directory, seeded random tensors, a little-endian
// byte builder for hand-made (often malformed) files, and an error-message matcher.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace seek::test {

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "seek_formats_XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Tensor of `shape` filled with seeded random bytes (any bit pattern is fine for round trips).
inline Tensor random_tensor(DType dtype, const std::vector<int64_t>& shape, uint32_t seed) {
  Tensor t = Tensor::empty(dtype, shape);
  std::mt19937 rng(seed);
  auto* p = static_cast<uint8_t*>(t.data());
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
  return t;
}

inline bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.data(), b.data(), a.nbytes()) == 0;
}

// Little-endian byte builder.
class Bytes {
 public:
  Bytes& u8(uint8_t v) { return raw(&v, 1); }
  Bytes& u32(uint32_t v) { return raw(&v, 4); }
  Bytes& u64(uint64_t v) { return raw(&v, 8); }
  Bytes& f32(float v) { return raw(&v, 4); }
  Bytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  Bytes& raw(const void* p, size_t n) {
    data_.append(static_cast<const char*>(p), n);
    return *this;
  }
  Bytes& zeros(size_t n) {
    data_.append(n, '\0');
    return *this;
  }
  Bytes& pad_to(size_t alignment) { return zeros((alignment - data_.size() % alignment) % alignment); }
  const std::string& str() const { return data_; }
  size_t size() const { return data_.size(); }

 private:
  std::string data_;
};

// Runs `fn`; returns the seek::Error message, or "<no error>" when nothing was thrown. Any other
// exception type fails the test: parsers must only ever throw seek::Error.
template <typename F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const seek::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected seek::Error, got another exception: " << e.what();
    return e.what();
  }
  return "<no error>";
}

}  // namespace seek::test

// Expects `stmt` to throw seek::Error whose message contains every string in the list.
#define EXPECT_SEEK_ERROR(stmt, ...)                                               \
  do {                                                                             \
    const std::string seek_msg_ = ::seek::test::error_of([&] { stmt; });           \
    for (const char* seek_part_ : std::initializer_list<const char*>{__VA_ARGS__}) \
      EXPECT_NE(seek_msg_.find(seek_part_), std::string::npos)                     \
          << "error message lacks \"" << seek_part_ << "\": " << seek_msg_;        \
  } while (0)
