// A minimal PNG encoder for the charts of rl/plot.h: 8-bit RGB, no interlace, filter type 0, one
// IDAT holding the zlib stream of the scanlines. Compression and checksums are zlib's own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace seek::rl {

// CRC-32 (the PNG/zlib polynomial) of `size` bytes, continuing from `crc` (zlib's crc32).
uint32_t png_crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

// zlib stream (RFC 1950) of `size` bytes (zlib's compress2 at the default level).
std::vector<uint8_t> zlib_compress(const uint8_t* data, size_t size);

// PNG file bytes of an RGB image: `rgb` holds height rows of width*3 bytes, top row first.
std::vector<uint8_t> encode_png_rgb(const std::vector<uint8_t>& rgb, int width, int height);

}  // namespace seek::rl
