// Flash attention driver: the plan (blocks, key splits, threads), the walk of each unit over its
// keys, and the log-sum-exp merge of split results. The arithmetic is the families' block step.
#include "kernels/attention_flash.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

namespace seek::kernels {
namespace {

// A piece of a split key range shorter than this costs more to merge and schedule than it saves.
constexpr int64_t kMinSplitKeys = 256;
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

size_t round_up_64(size_t v) { return (v + 63) / 64 * 64; }

// One partial result: block_rows outputs of dv floats, then a (max, sum) pair per row.
size_t slot_bytes(const FlashPlan& plan, int64_t dv) {
  return round_up_64(static_cast<size_t>(plan.block_rows * dv) * 4) +
         round_up_64(static_cast<size_t>(plan.block_rows) * 8);
}

struct Slot {
  float* o;   // [block_rows][dv]
  float* ml;  // [block_rows][2]: running max, running sum
};

Slot slot_at(const FlashPlan& plan, int64_t dv, uint8_t* scratch, int64_t index) {
  uint8_t* base = scratch + static_cast<size_t>(index) * slot_bytes(plan, dv);
  return {reinterpret_cast<float*>(base),
          reinterpret_cast<float*>(base + round_up_64(static_cast<size_t>(plan.block_rows * dv) * 4))};
}

const float* q_row(const AttentionProblem& p, int64_t i, int64_t h) {
  return reinterpret_cast<const float*>(reinterpret_cast<const uint8_t*>(p.q) + i * p.q_stride +
                                        h * p.q_head_stride);
}
float* out_row(const AttentionProblem& p, int64_t i, int64_t h) {
  return reinterpret_cast<float*>(reinterpret_cast<uint8_t*>(p.out) + i * p.out_stride +
                                  h * p.out_head_stride);
}

// What a thread needs for one unit, on its stack: the op allocates nothing per call.
struct UnitState {
  const float* q[kAttentionBlockRows];
  float* o[kAttentionBlockRows];
  int32_t limit[kAttentionBlockRows];  // keys row r may see: positions[i] + 1
  int32_t valid[kAttentionBlockRows];
  float m[kAttentionBlockRows];
  float l[kAttentionBlockRows];
  alignas(64) float s[kAttentionBlockRows * kAttentionBlockKeys];
};

void run_unit(const AttentionProblem& p, void (*block)(const AttentionBlock&), const FlashPlan& plan,
              uint8_t* scratch, int64_t unit, UnitState& st) {
  // Units count down the row blocks so that, under the causal mask, the longest start first.
  const int64_t split = unit % plan.splits, rest = unit / plan.splits;
  const int64_t g = rest % p.num_kv_heads;
  const int64_t b = plan.row_blocks - 1 - rest / p.num_kv_heads;
  const int64_t r0 = b * plan.block_rows;
  const int64_t nr = std::min(plan.block_rows, plan.rows - r0);
  Slot slot{nullptr, nullptr};
  if (plan.splits > 1) slot = slot_at(plan, p.dv, scratch, (g * plan.row_blocks + b) * plan.splits + split);
  int32_t max_limit = 0;
  for (int64_t r = 0; r < nr; ++r) {
    const int64_t row = r0 + r, i = row / plan.group, h = g * plan.group + row % plan.group;
    st.q[r] = q_row(p, i, h);
    st.o[r] = plan.splits > 1 ? slot.o + r * p.dv : out_row(p, i, h);
    st.limit[r] = p.positions[i] + 1;
    max_limit = std::max(max_limit, st.limit[r]);
    st.m[r] = kNegInf;
    st.l[r] = 0.0f;
    std::memset(st.o[r], 0, static_cast<size_t>(p.dv) * 4);
  }
  // This unit's piece of the keys: whole key blocks, shared evenly between the splits.
  const int64_t key_blocks = (max_limit + kAttentionBlockKeys - 1) / kAttentionBlockKeys;
  const int64_t kb = key_blocks * split / plan.splits * kAttentionBlockKeys;
  const int64_t ke =
      std::min<int64_t>(max_limit, key_blocks * (split + 1) / plan.splits * kAttentionBlockKeys);

  AttentionBlock blk;
  blk.rows = nr;
  blk.q = st.q;
  blk.o = st.o;
  blk.valid = st.valid;
  blk.k_stride = p.k_stride;
  blk.v_stride = p.v_stride;
  blk.kv_type = p.kv_type;
  blk.dk = p.dk;
  blk.dv = p.dv;
  blk.scale = p.scale;
  blk.m = st.m;
  blk.l = st.l;
  blk.s = st.s;
  for (int64_t j0 = kb; j0 < ke; j0 += kAttentionBlockKeys) {
    blk.keys = std::min(kAttentionBlockKeys, ke - j0);
    for (int64_t r = 0; r < nr; ++r) {
      st.valid[r] = static_cast<int32_t>(std::clamp<int64_t>(st.limit[r] - j0, 0, blk.keys));
    }
    blk.k = p.k + j0 * p.k_stride + g * p.k_head_stride;
    blk.v = p.v + j0 * p.v_stride + g * p.v_head_stride;
    block(blk);
  }

  if (plan.splits == 1) {
    // Every row saw key 0 at least, so l > 0.
    for (int64_t r = 0; r < nr; ++r) {
      const float inv = 1.0f / st.l[r];
      for (int64_t c = 0; c < p.dv; ++c) st.o[r][c] *= inv;
    }
  } else {
    for (int64_t r = 0; r < nr; ++r) {
      slot.ml[2 * r] = st.m[r];
      slot.ml[2 * r + 1] = st.l[r];
    }
  }
}

// Merges the split results of rows [begin, end) of all kv heads (row index g · plan.rows + row).
void merge_rows(const AttentionProblem& p, const FlashPlan& plan, uint8_t* scratch, int64_t begin,
                int64_t end) {
  for (int64_t idx = begin; idx < end; ++idx) {
    const int64_t g = idx / plan.rows, row = idx % plan.rows;
    const int64_t b = row / plan.block_rows, r = row % plan.block_rows;
    const int64_t i = row / plan.group, h = g * plan.group + row % plan.group;
    const int64_t first_slot = (g * plan.row_blocks + b) * plan.splits;
    float max_m = kNegInf;
    for (int64_t s = 0; s < plan.splits; ++s)
      max_m = std::max(max_m, slot_at(plan, p.dv, scratch, first_slot + s).ml[2 * r]);
    float* o = out_row(p, i, h);
    std::memset(o, 0, static_cast<size_t>(p.dv) * 4);
    float sum = 0.0f;
    for (int64_t s = 0; s < plan.splits; ++s) {
      const Slot slot = slot_at(plan, p.dv, scratch, first_slot + s);
      const float m = slot.ml[2 * r];
      if (m == kNegInf) continue;  // this piece held no key the row may see
      const float w = std::exp(m - max_m);
      sum += w * slot.ml[2 * r + 1];
      const float* os = slot.o + r * p.dv;
      for (int64_t c = 0; c < p.dv; ++c) o[c] += w * os[c];
    }
    const float inv = 1.0f / sum;
    for (int64_t c = 0; c < p.dv; ++c) o[c] *= inv;
  }
}

}  // namespace

FlashPlan flash_plan(const AttentionProblem& shape, int num_threads, size_t scratch_budget) {
  FlashPlan plan;
  plan.group = shape.num_heads / shape.num_kv_heads;
  plan.rows = shape.n_q * plan.group;
  plan.row_blocks = std::max<int64_t>(1, (plan.rows + kAttentionBlockRows - 1) / kAttentionBlockRows);
  plan.block_rows = (plan.rows + plan.row_blocks - 1) / plan.row_blocks;
  const int64_t blocks = shape.num_kv_heads * plan.row_blocks;
  int64_t splits = 1;
  if (num_threads > 1 && blocks < num_threads) {
    // Enough units for every thread; two per thread when they do not divide evenly, so that the
    // dynamic schedule can balance them.
    splits = num_threads % blocks == 0 ? num_threads / blocks : (2 * num_threads + blocks - 1) / blocks;
    splits = std::min(splits, std::max<int64_t>(1, shape.n_keys / kMinSplitKeys));
  }
  for (; splits > 1; --splits) {
    const size_t bytes = static_cast<size_t>(blocks * splits) * slot_bytes(plan, shape.dv);
    if (bytes <= scratch_budget) {
      plan.partial_bytes = bytes;
      break;
    }
  }
  plan.splits = splits;
  plan.threads = static_cast<int>(std::min<int64_t>(std::max(num_threads, 1), blocks * splits));
  return plan;
}

void flash_attention(const AttentionProblem& p, void (*block)(const AttentionBlock&), const FlashPlan& plan,
                     ThreadPool& pool, uint8_t* scratch) {
  const int64_t units = p.num_kv_heads * plan.row_blocks * plan.splits;
  const int64_t merge_rows_total = plan.splits > 1 ? p.num_kv_heads * plan.rows : 0;
  if (plan.threads == 1) {
    UnitState st;
    for (int64_t unit = 0; unit < units; ++unit) run_unit(p, block, plan, scratch, unit, st);
    merge_rows(p, plan, scratch, 0, merge_rows_total);
    return;
  }
  std::atomic<int64_t> next{0}, done{0};
  const int nt = pool.num_threads();
  pool.run([&](int thread_idx) {
    UnitState st;
    for (int64_t unit = next.fetch_add(1, std::memory_order_relaxed); unit < units;
         unit = next.fetch_add(1, std::memory_order_relaxed)) {
      run_unit(p, block, plan, scratch, unit, st);
      done.fetch_add(1, std::memory_order_release);
    }
    if (merge_rows_total == 0) return;
    // Merge in the same parallel region: wait for the last units (a spin, as they are running on
    // the other threads right now), then merge this thread's share of the rows. A second pool run
    // and a merge on one thread had cost decode at T = 512 a quarter of its time.
    while (done.load(std::memory_order_acquire) < units) __builtin_ia32_pause();
    merge_rows(p, plan, scratch, merge_rows_total * thread_idx / nt,
               merge_rows_total * (thread_idx + 1) / nt);
  });
}

}  // namespace seek::kernels
