// PNG = signature, IHDR, IDAT (zlib of filter-0 scanlines), IEND; see plot_png.h.
#include "rl/plot_png.h"

#include <zlib.h>

#include "core/error.h"

namespace seek::rl {

namespace {

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
  return static_cast<uint32_t>(::crc32(crc, data, static_cast<uInt>(size)));
}

std::vector<uint8_t> zlib_compress(const uint8_t* data, size_t size) {
  uLongf out_size = ::compressBound(static_cast<uLong>(size));
  std::vector<uint8_t> out(out_size);
  const int status = ::compress2(out.data(), &out_size, data, static_cast<uLong>(size), Z_DEFAULT_COMPRESSION);
  SEEK_CHECK(status == Z_OK, "png: zlib compress2 failed (" << status << ")");
  out.resize(out_size);
  return out;
}

std::vector<uint8_t> encode_png_rgb(const std::vector<uint8_t>& rgb, int width, int height) {
  SEEK_ASSERT(width > 0 && height > 0 && rgb.size() == static_cast<size_t>(width) * height * 3);
  const size_t stride = static_cast<size_t>(width) * 3;
  std::vector<uint8_t> raw;
  raw.reserve((stride + 1) * height);
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter type 0 (None): deflate already finds the row above
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
