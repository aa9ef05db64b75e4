// A minimal PNG encoder for the charts of rl/plot.h: 8-bit RGB, no interlace, filter type 0, one
// IDAT holding a zlib stream (RFC 1950) of fixed-Huffman deflate blocks (RFC 1951) with greedy LZ77
// matching. Self-contained because the seek binary does not link zlib; the tests check the output
// with zlib's own inflate and crc32. Charts are mostly runs of one colour and rows equal to the one
// above, which LZ77 alone compresses well; no dynamic Huffman tables are needed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace seek::rl {

// CRC-32 (ISO-HDLC, the PNG/zlib polynomial 0xEDB88320) of `size` bytes, continuing from `crc`.
uint32_t png_crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

// zlib stream (header, fixed-Huffman deflate, Adler-32) of `size` bytes.
std::vector<uint8_t> zlib_compress(const uint8_t* data, size_t size);

// PNG file bytes of an RGB image: `rgb` holds height rows of width*3 bytes, top row first.
std::vector<uint8_t> encode_png_rgb(const std::vector<uint8_t>& rgb, int width, int height);

}  // namespace seek::rl
