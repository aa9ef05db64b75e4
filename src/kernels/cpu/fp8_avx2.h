// FP8 e4m3fn weights on AVX2, which has no FP8 instruction. Include only from files compiled with the
// AVX2 flags; everything is `static inline` (internal linkage, see backend.h).
//
// Each byte, sign-extended to 16 bits and shifted left by 7, has its sign in bit 15 and its exponent
// and mantissa in an f16's bits 7-13 once bit 14 (a copy of the sign) is cleared: an f16 whose value
// is the e4m3 value / 256 (exponent bias 15 against 7; e4m3 subnormals land on f16 subnormals
// exactly). F16C widens it; the 256 goes into the block scale. The NaN codes S.1111.111 would read
// as ±480/256: they are made f16 NaNs.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "core/block_scales.h"

namespace seek::kernels::avx2 {

constexpr float kFp8Unit = 256.0f;  // what the f16 reading leaves out of every value

// Bytes sign-extended to int16 -> those values / 256 as f16 bits (8 lanes or 16).
static inline __m128i fp8_to_f16_bits(__m128i sx16) {
  const __m128i h = _mm_and_si128(_mm_slli_epi16(sx16, 7), _mm_set1_epi16(static_cast<int16_t>(0xBF80)));
  const __m128i body = _mm_set1_epi16(0x3F80);
  const __m128i nan = _mm_cmpeq_epi16(_mm_and_si128(h, body), body);
  return _mm_or_si128(h, _mm_and_si128(nan, _mm_set1_epi16(0x7E00)));
}
static inline __m256i fp8_to_f16_bits(__m256i sx16) {
  const __m256i h = _mm256_and_si256(_mm256_slli_epi16(sx16, 7), _mm256_set1_epi16(static_cast<int16_t>(0xBF80)));
  const __m256i body = _mm256_set1_epi16(0x3F80);
  const __m256i nan = _mm256_cmpeq_epi16(_mm256_and_si256(h, body), body);
  return _mm256_or_si256(h, _mm256_and_si256(nan, _mm256_set1_epi16(0x7E00)));
}

// Values p[0..8) / 256 as f32.
static inline __m256 fp8x8_div256(const uint8_t* p) {
  return _mm256_cvtph_ps(fp8_to_f16_bits(_mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)))));
}

// Values p[0..16) / 256 as f32, in two vectors: the integer steps run once for 16 lanes.
static inline void fp8x16_div256(const uint8_t* p, __m256& lo, __m256& hi) {
  const __m256i h = fp8_to_f16_bits(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
  lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
  hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

// fp8x16_div256 without the NaN step: the codes S.1111.111 read as ±480/256. For callers that look
// for them apart (Fp8NanCodes), once per 32 bytes instead of once per 16 widened values.
static inline void fp8x16_div256_finite(const uint8_t* p, __m256& lo, __m256& hi) {
  const __m256i h = _mm256_and_si256(
      _mm256_slli_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 7),
      _mm256_set1_epi16(static_cast<int16_t>(0xBF80)));
  lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
  hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

// Whether any byte seen is an e4m3 NaN code (S.1111.111): the largest magnitude (the byte's low
// seven bits) is kept, two steps per 32 bytes. A product of one NaN weight is NaN whatever x holds,
// so a dot product whose weights hold one is NaN.
class Fp8NanCodes {
 public:
  void see32(const uint8_t* p) {
    max_ = _mm256_max_epu8(max_, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)),
                                                  _mm256_set1_epi8(0x7F)));
  }
  bool any() const {
    const __m256i hit = _mm256_cmpeq_epi8(max_, _mm256_set1_epi8(0x7F));
    return !_mm256_testz_si256(hit, hit);
  }

 private:
  __m256i max_ = _mm256_setzero_si256();
};

// Values p[0..count) / 256 as f32 (count <= 8), zero past count.
static inline __m256 fp8_tail_div256(const uint8_t* p, int64_t count) {
  alignas(16) uint8_t tmp[16] = {};
  std::memcpy(tmp, p, static_cast<size_t>(count));
  return fp8x8_div256(tmp);
}

// One weight row's multipliers (times kFp8Unit) walked along k without a division per step: the
// row's place in the stored weight is found once (two divisions), block columns by shift when the
// block width is a power of two (DeepSeek's 128), else by division.
class Fp8RowScales {
 public:
  Fp8RowScales(const BlockScales* s, const uint8_t* row) {
    if (s == nullptr) return;
    const BlockScales::Place where = s->place(row);
    srow_ = where.row_scales;
    col_ = where.col;
    block_cols_ = s->block_cols;
    shift_ = (block_cols_ & (block_cols_ - 1)) == 0 ? __builtin_ctzll(static_cast<unsigned long long>(block_cols_)) : -1;
  }
  // Values t .. t + count - 1 of the row (count <= 8).
  __m256 at8(int64_t t, int count) const {
    if (srow_ == nullptr) return _mm256_set1_ps(kFp8Unit);
    const int64_t first = block_of(col_ + t), last = block_of(col_ + t + count - 1);
    if (first == last) return _mm256_set1_ps(kFp8Unit * srow_[first]);
    alignas(32) float v[8] = {};
    for (int c = 0; c < count; ++c) v[c] = kFp8Unit * srow_[block_of(col_ + t + c)];
    return _mm256_load_ps(v);
  }
  // How many values from t on (at most `left`) share value t's block: a run ends at the next
  // block_cols boundary of the stored weight.
  int64_t run(int64_t t, int64_t left) const {
    if (srow_ == nullptr) return left;
    const int64_t to_boundary = (block_of(col_ + t) + 1) * block_cols_ - (col_ + t);
    return to_boundary < left ? to_boundary : left;
  }

 private:
  int64_t block_of(int64_t col) const { return shift_ >= 0 ? col >> shift_ : col / block_cols_; }
  const float* srow_ = nullptr;
  int64_t col_ = 0, block_cols_ = 1;
  int shift_ = 0;
};

}  // namespace seek::kernels::avx2
