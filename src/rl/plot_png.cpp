// PNG = signature, IHDR, IDAT (zlib of filter-0 scanlines), IEND; see plot_png.h.
#include "rl/plot_png.h"

#include <algorithm>
#include <array>

#include "core/error.h"

namespace seek::rl {

namespace {

constexpr int kWindow = 32768;    // deflate's largest distance
constexpr int kMinMatch = 3;
constexpr int kMaxMatch = 258;
constexpr int kHashBits = 15;
constexpr int kMaxChain = 16;     // candidates tried per position: enough for charts, bounded time

// Length codes 257..285 and distance codes 0..29: first value and extra bits (RFC 1951 3.2.5).
constexpr std::array<int, 29> kLengthBase = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                             31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
constexpr std::array<int, 29> kLengthExtra = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                              2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr std::array<int, 30> kDistBase = {1,   2,   3,   4,   5,   7,    9,    13,   17,   25,
                                           33,  49,  65,  97,  129, 193,  257,  385,  513,  769,
                                           1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
constexpr std::array<int, 30> kDistExtra = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                            6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};

// Deflate packs fields least-significant bit first; Huffman codes go most-significant bit first.
class BitWriter {
 public:
  explicit BitWriter(std::vector<uint8_t>& out) : out_(out) {}
  void put(uint32_t value, int n) {
    bits_ |= static_cast<uint64_t>(value) << count_;
    count_ += n;
    while (count_ >= 8) {
      out_.push_back(static_cast<uint8_t>(bits_));
      bits_ >>= 8;
      count_ -= 8;
    }
  }
  void put_code(uint32_t code, int n) {
    uint32_t reversed = 0;
    for (int i = 0; i < n; ++i) reversed |= ((code >> i) & 1u) << (n - 1 - i);
    put(reversed, n);
  }
  void flush() {
    if (count_ > 0) out_.push_back(static_cast<uint8_t>(bits_));
    bits_ = 0;
    count_ = 0;
  }

 private:
  std::vector<uint8_t>& out_;
  uint64_t bits_ = 0;
  int count_ = 0;
};

// The fixed literal/length code (RFC 1951 3.2.6).
void put_symbol(BitWriter& w, int symbol) {
  if (symbol < 144) {
    w.put_code(0x30 + symbol, 8);
  } else if (symbol < 256) {
    w.put_code(0x190 + symbol - 144, 9);
  } else if (symbol < 280) {
    w.put_code(symbol - 256, 7);
  } else {
    w.put_code(0xC0 + symbol - 280, 8);
  }
}

void put_match(BitWriter& w, int length, int distance) {
  int li = static_cast<int>(kLengthBase.size()) - 1;
  while (kLengthBase[li] > length) --li;
  put_symbol(w, 257 + li);
  w.put(length - kLengthBase[li], kLengthExtra[li]);
  int di = static_cast<int>(kDistBase.size()) - 1;
  while (kDistBase[di] > distance) --di;
  w.put_code(di, 5);
  w.put(distance - kDistBase[di], kDistExtra[di]);
}

uint32_t hash3(const uint8_t* p) {
  return ((static_cast<uint32_t>(p[0]) << 10) ^ (static_cast<uint32_t>(p[1]) << 5) ^ p[2]) & ((1u << kHashBits) - 1);
}

uint32_t adler32(const uint8_t* data, size_t size) {
  uint32_t a = 1, b = 0;
  while (size > 0) {
    const size_t n = size < 5552 ? size : 5552;  // largest run before the sums can overflow
    for (size_t i = 0; i < n; ++i) {
      a += data[i];
      b += a;
    }
    a %= 65521;
    b %= 65521;
    data += n;
    size -= n;
  }
  return (b << 16) | a;
}

void put_be32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_chunk(std::vector<uint8_t>& png, const char type[4], const std::vector<uint8_t>& data) {
  put_be32(png, static_cast<uint32_t>(data.size()));
  const size_t start = png.size();
  png.insert(png.end(), type, type + 4);
  png.insert(png.end(), data.begin(), data.end());
  put_be32(png, png_crc32(png.data() + start, png.size() - start));
}

}  // namespace

uint32_t png_crc32(const uint8_t* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[n] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kTable[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::vector<uint8_t> zlib_compress(const uint8_t* data, size_t size) {
  std::vector<uint8_t> out = {0x78, 0x01};  // deflate, 32K window, no dictionary; (0x7801 % 31 == 0)
  BitWriter w(out);
  w.put(1, 1);  // BFINAL: the one block
  w.put(1, 2);  // BTYPE 01: fixed Huffman codes
  std::vector<int32_t> head(size_t{1} << kHashBits, -1);  // last position with this hash
  std::vector<int32_t> prev(kWindow, -1);                 // previous position with the same hash
  const auto insert = [&](size_t pos) {
    if (pos + kMinMatch > size) return;
    const uint32_t h = hash3(data + pos);
    prev[pos % kWindow] = head[h];
    head[h] = static_cast<int32_t>(pos);
  };
  size_t pos = 0;
  while (pos < size) {
    int best_len = 0, best_dist = 0;
    if (pos + kMinMatch <= size) {
      const size_t limit = std::min<size_t>(kMaxMatch, size - pos);
      int32_t candidate = head[hash3(data + pos)];
      for (int chain = 0; chain < kMaxChain && candidate >= 0; ++chain) {
        const size_t dist = pos - static_cast<size_t>(candidate);
        if (dist > kWindow) break;
        size_t len = 0;
        while (len < limit && data[candidate + len] == data[pos + len]) ++len;
        if (static_cast<int>(len) > best_len) {
          best_len = static_cast<int>(len);
          best_dist = static_cast<int>(dist);
          if (len == limit) break;
        }
        candidate = prev[candidate % kWindow];
      }
    }
    if (best_len >= kMinMatch) {
      put_match(w, best_len, best_dist);
      for (int i = 0; i < best_len; ++i) insert(pos + i);
      pos += best_len;
    } else {
      put_symbol(w, data[pos]);
      insert(pos);
      ++pos;
    }
  }
  put_symbol(w, 256);  // end of block
  w.flush();
  put_be32(out, adler32(data, size));
  return out;
}

std::vector<uint8_t> encode_png_rgb(const std::vector<uint8_t>& rgb, int width, int height) {
  SEEK_ASSERT(width > 0 && height > 0 && rgb.size() == static_cast<size_t>(width) * height * 3);
  const size_t stride = static_cast<size_t>(width) * 3;
  std::vector<uint8_t> raw;
  raw.reserve((stride + 1) * height);
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter type 0 (None): LZ77 already finds the row above
    raw.insert(raw.end(), rgb.begin() + y * stride, rgb.begin() + (y + 1) * stride);
  }
  std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> ihdr;
  put_be32(ihdr, static_cast<uint32_t>(width));
  put_be32(ihdr, static_cast<uint32_t>(height));
  ihdr.insert(ihdr.end(), {8, 2, 0, 0, 0});  // 8-bit, RGB, deflate, adaptive filtering, no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", zlib_compress(raw.data(), raw.size()));
  put_chunk(png, "IEND", {});
  return png;
}

}  // namespace seek::rl
