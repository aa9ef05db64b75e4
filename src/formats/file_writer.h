// FileWriter: streams bytes into a new file that appears under its final name only when complete.
//
// Model files are many gigabytes, so writers stream tensor data instead of assembling the file in
// memory (core's write_file_atomic needs the whole buffer). Bytes go to "<path>.tmp.<pid>" in the
// same directory; commit() flushes, fsyncs and renames it over `path`. A writer destroyed without
// commit() (an exception, a bad tensor) deletes the temporary file, so a failed write never leaves a
// partial output behind. Errors throw seek::Error naming the path. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace seek {

class FileWriter {
 public:
  explicit FileWriter(std::string path);
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  void write(const void* bytes, size_t size);
  // Writes zero bytes until offset() is a multiple of `alignment` (a power of two).
  void pad_to(uint64_t alignment);
  uint64_t offset() const { return offset_; }  // bytes written so far
  // Makes the file visible under its final name. Nothing may be written afterwards.
  void commit();

  const std::string& path() const { return path_; }

 private:
  void flush_buffer();

  std::string path_;      // final name
  std::string tmp_path_;  // where bytes go until commit()
  int fd_ = -1;
  uint64_t offset_ = 0;
  std::vector<uint8_t> buffer_;  // small writes are coalesced; large ones bypass it
  bool committed_ = false;
};

}  // namespace seek
