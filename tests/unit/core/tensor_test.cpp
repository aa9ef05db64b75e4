#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <unistd.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/mmap_file.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

namespace seek {
namespace {

Tensor iota_f32(std::vector<int64_t> shape) {
  Tensor t = Tensor::empty(DType::kF32, shape);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(i);
  return t;
}

TEST(Tensor, ContiguousLayout) {
  Tensor t = iota_f32({2, 3, 4});
  EXPECT_EQ(t.numel(), 24);
  EXPECT_EQ(t.nbytes(), 96u);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(t.stride_bytes(0), 48);
  EXPECT_EQ(t.stride_bytes(1), 16);
  EXPECT_EQ(t.shape_string(), "[2, 3, 4]");
}

TEST(Tensor, NarrowSelectAndCopy) {
  Tensor t = iota_f32({3, 5});
  Tensor cols = t.narrow(1, 1, 3);  // strided rows
  EXPECT_FALSE(cols.is_contiguous());
  Tensor c = cols.Copy();
  EXPECT_TRUE(c.is_contiguous());
  const float* p = c.data_as<float>();
  EXPECT_EQ(p[0], 1.0f);
  EXPECT_EQ(p[3], 6.0f);
  EXPECT_EQ(p[8], 13.0f);
  Tensor row = t.select(0, 2);
  EXPECT_EQ(row.ndim(), 1);
  EXPECT_EQ(row.data_as<float>()[0], 10.0f);
  Tensor col = t.select(1, 4).Copy();  // element-strided
  EXPECT_EQ(col.data_as<float>()[1], 9.0f);
}

TEST(Tensor, QuantizedRowsAndToF32) {
  Tensor q = Tensor::empty(DType::kQ8_0, {2, 64});
  EXPECT_EQ(q.row_bytes(), 68u);
  EXPECT_EQ(q.nbytes(), 136u);
  Tensor f = q.to_f32();
  EXPECT_EQ(f.dtype(), DType::kF32);
  EXPECT_EQ(f.numel(), 128);
}

TEST(Tensor, ReshapeSharesStorage) {
  Tensor t = iota_f32({4, 6});
  Tensor r = t.reshape({2, 12});
  r.data_as<float>()[5] = -1.0f;
  EXPECT_EQ(t.data_as<float>()[5], -1.0f);
}

TEST(ThreadPool, ParallelForCoversRangeOnce) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep) {
        pool.parallel_for(n, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
      }
      for (auto& h : hits) EXPECT_EQ(h.load(), 50);
    }
  }
}

TEST(ThreadPool, RunGivesEveryThreadItsIndex) {
  ThreadPool pool(3);
  std::atomic<int> mask{0};
  pool.run([&](int t) { mask |= 1 << t; });
  EXPECT_EQ(mask.load(), 7);
  EXPECT_THROW(ThreadPool(0), Error);
}

TEST(Arena, BumpAlignAndRelease) {
  Arena arena(1024);
  void* a = arena.allocate(10);
  const size_t m = arena.mark();
  void* b = arena.allocate(100);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b) % 64, 0u);
  EXPECT_EQ(static_cast<uint8_t*>(b) - static_cast<uint8_t*>(a), 64);
  arena.release(m);
  EXPECT_EQ(arena.allocate(1), b);
  EXPECT_EQ(arena.peak(), 64u + 128u);
  Tensor t = arena.tensor(DType::kF32, {3, 5});
  EXPECT_EQ(t.numel(), 15);
}

TEST(MappedFile, ReadsAndNamesMissingPath) {
  const std::string path = ::testing::TempDir() + "seek_mmap_test.bin";
  const char bytes[] = "hello mmap";
  write_file_atomic(path, bytes, sizeof(bytes));
  auto f = MappedFile::open(path);
  EXPECT_EQ(f->size(), sizeof(bytes));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data())), "hello mmap");
  std::remove(path.c_str());
  try {
    MappedFile::open(path + ".missing");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("seek_mmap_test.bin.missing"), std::string::npos);
  }
}

}  // namespace
}  // namespace seek
