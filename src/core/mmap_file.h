// MappedFile: a whole file mapped read-only into memory. Model weights are read straight from the
// mapping (never copied); the page cache shares them between processes.
//
// Errors (missing file, unreadable, directory) throw seek::Error naming the path. The mapping lives
// as long as any shared_ptr to the MappedFile; tensors that view it hold one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace seek {

class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole (small) file into a string; errors name the path.
std::string read_file(const std::string& path);
// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename.
// A crash leaves either the old file or the new one, never a partial file.
void write_file_atomic(const std::string& path, const void* bytes, size_t size);

}  // namespace seek
