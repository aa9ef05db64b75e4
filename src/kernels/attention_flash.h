// Flash attention driver shared by the fast families (internal to kernels/; see attention.h).
//
// The query rows of each kv head, (query i, head h) pairs ordered query-major, are cut into blocks of
// at most kAttentionBlockRows rows. A unit of work is one block over one piece of the key range;
// it walks its keys kAttentionBlockKeys at a time through the family's AttentionBackend::block step,
// so every key and value row is read once per block for all of the block's rows. Units go to the
// pool's threads dynamically, the longest (latest queries, under the causal mask) first.
//
// When there are fewer blocks than threads (decode with few query rows per kv head), each block's
// key range is split into `splits` pieces whose partial results (running max, sum and unnormalised
// output per row) go to scratch and are merged afterwards: o = Σ_s e^(m_s - M) o_s / Σ_s e^(m_s - M) l_s.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/backend.h"

namespace seek::kernels {

struct FlashPlan {
  int64_t group = 0;         // query heads per kv head
  int64_t rows = 0;          // query rows per kv head: n_q · group
  int64_t row_blocks = 0;    // blocks per kv head
  int64_t block_rows = 0;    // rows per block (the last may have fewer)
  int64_t splits = 1;        // pieces of the key range per block; 1: no partial results
  int threads = 1;           // threads the op runs on
  size_t partial_bytes = 0;  // scratch for the partial results (0 when splits == 1)
};

// The plan for the sizes in `shape` (n_q, heads, dv, n_keys; pointers unused) on `num_threads`
// threads, splitting key ranges only as far as the partial results fit in `scratch_budget` bytes.
FlashPlan flash_plan(const AttentionProblem& shape, int num_threads, size_t scratch_budget);

// Runs the plan. `scratch` holds plan.partial_bytes bytes (64-byte aligned) when plan.splits > 1.
void flash_attention(const AttentionProblem& p, void (*block)(const AttentionBlock&), const FlashPlan& plan,
                     ThreadPool& pool, uint8_t* scratch);

}  // namespace seek::kernels
