#include "formats/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.h"

namespace seek {

namespace {
constexpr size_t kBufferBytes = size_t{1} << 20;
}

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
  tmp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SEEK_CHECK(fd_ >= 0, path_ << ": cannot create " << tmp_path_ << ": " << std::strerror(errno));
  buffer_.reserve(kBufferBytes);
}

FileWriter::~FileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_path_.c_str());
}

void FileWriter::flush_buffer() {
  const uint8_t* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    SEEK_CHECK(n > 0, path_ << ": write failed: " << std::strerror(errno));
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

void FileWriter::write(const void* bytes, size_t size) {
  SEEK_ASSERT(fd_ >= 0 && !committed_);
  const uint8_t* p = static_cast<const uint8_t*>(bytes);
  offset_ += size;
  if (buffer_.size() + size <= kBufferBytes) {
    buffer_.insert(buffer_.end(), p, p + size);
    return;
  }
  flush_buffer();
  if (size <= kBufferBytes) {
    buffer_.insert(buffer_.end(), p, p + size);
    return;
  }
  // A large tensor goes straight from its memory (often an mmap) to the file, without a copy.
  while (size > 0) {
    const size_t chunk = size < (size_t{1} << 30) ? size : (size_t{1} << 30);
    const ssize_t n = ::write(fd_, p, chunk);
    if (n < 0 && errno == EINTR) continue;
    SEEK_CHECK(n > 0, path_ << ": write failed: " << std::strerror(errno));
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void FileWriter::pad_to(uint64_t alignment) {
  SEEK_ASSERT(alignment > 0 && (alignment & (alignment - 1)) == 0);
  static const uint8_t kZeros[256] = {};
  uint64_t pad = (alignment - offset_ % alignment) % alignment;
  while (pad > 0) {
    const size_t n = pad < sizeof(kZeros) ? static_cast<size_t>(pad) : sizeof(kZeros);
    write(kZeros, n);
    pad -= n;
  }
}

void FileWriter::commit() {
  SEEK_ASSERT(fd_ >= 0 && !committed_);
  flush_buffer();
  const bool synced = ::fsync(fd_) == 0;
  const int sync_err = errno;
  ::close(fd_);
  fd_ = -1;
  SEEK_CHECK(synced, path_ << ": fsync failed: " << std::strerror(sync_err));
  SEEK_CHECK(::rename(tmp_path_.c_str(), path_.c_str()) == 0,
             path_ << ": cannot rename " << tmp_path_ << " into place: " << std::strerror(errno));
  committed_ = true;
}

}  // namespace seek
