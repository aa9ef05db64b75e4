// run_rows: the ISA-free driver of the families' decode paths (RowsPath, backend.h), for one product
// or a group of them.
//
// Decode is a few hundred short products a token (V2-Lite: 738 hand-offs to the pool, ~100 us each),
// and a static half of each per thread made one thread wait for the other at the end of every one:
// 8-11% of the main thread's time, 12% of the worker's. Here the weight rows are cut into about
// kUnitsPerThread units per thread, which the threads claim from one counter until none are left, and
// a group of products (the q/k/v projections, the experts of a MoE layer) is one hand-off instead of
// one each.
#include <atomic>

#include "core/error.h"
#include "kernels/backend.h"

namespace seek::kernels {
namespace {

// Units of weight rows per thread: enough that the last ones even out the threads' finishing times,
// few enough that each stays a long contiguous run of weights for the prefetchers.
constexpr int64_t kUnitsPerThread = 8;
// A problem whose heads · m is at most this is prepared inside the products' hand-off, by the first
// thread that needs it (a few rows take about a microsecond); larger ones get a pass of their own.
constexpr int64_t kInlinePrepareRows = 4;

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

// Whether a and b prepare the same x: the same rows, read for the same weight type.
bool same_x(const MatmulProblem& a, const MatmulProblem& b) {
  return a.x == b.x && a.x_stride == b.x_stride && a.m == b.m && a.k == b.k && a.wtype == b.wtype &&
         a.num_heads == b.num_heads && (a.num_heads == 1 || a.x_head_stride == b.x_head_stride);
}

// Where each problem's prepared x lives, and how its weight rows are cut into units.
struct Plan {
  int owner[kMaxRowsGroup];      // the problem whose prepared x problem i reads (i, or an earlier one)
  size_t act_at[kMaxRowsGroup];  // owners: offset of their heads' areas in scratch
  size_t head_bytes[kMaxRowsGroup];
  int64_t unit_rows[kMaxRowsGroup];
  int64_t units_before[kMaxRowsGroup + 1];
  size_t bytes = 0;  // scratch in all
  double macs = 0;
};

Plan make_plan(const RowsPath& path, const MatmulProblem* ps, int count) {
  SEEK_ASSERT_MSG(count >= 0 && count <= kMaxRowsGroup, "run_rows: " << count << " problems in one group");
  Plan plan;
  for (int i = 0; i < count; ++i) {
    const MatmulProblem& p = ps[i];
    plan.head_bytes[i] = align64(path.act_bytes(p.m, p.k, p.wtype));
    plan.owner[i] = i;
    for (int j = 0; j < i; ++j) {
      if (same_x(ps[j], p)) {
        plan.owner[i] = plan.owner[j];
        break;
      }
    }
    if (plan.owner[i] == i) {
      plan.act_at[i] = plan.bytes;
      plan.bytes += static_cast<size_t>(p.num_heads) * plan.head_bytes[i];
    }
    plan.macs += static_cast<double>(p.num_heads) * static_cast<double>(p.m) * static_cast<double>(p.n) *
                 static_cast<double>(p.k);
  }
  return plan;
}

// Cuts every problem's weight rows into units of about an equal share of the multiply-adds.
void cut_units(const RowsPath& path, const MatmulProblem* ps, int count, int nt, Plan& plan) {
  const double unit_macs = plan.macs / static_cast<double>(nt * kUnitsPerThread);
  plan.units_before[0] = 0;
  for (int i = 0; i < count; ++i) {
    const MatmulProblem& p = ps[i];
    const double row_macs = static_cast<double>(p.m) * static_cast<double>(p.k);
    int64_t rows = row_macs > 0 ? static_cast<int64_t>(unit_macs / row_macs) : p.n;
    rows = round_up(rows < 1 ? 1 : rows, path.grain);
    const int64_t whole = round_up(p.n > 0 ? p.n : 1, path.grain);
    plan.unit_rows[i] = rows < whole ? rows : whole;
    const int64_t per_head = p.m > 0 ? (p.n + plan.unit_rows[i] - 1) / plan.unit_rows[i] : 0;
    plan.units_before[i + 1] = plan.units_before[i] + p.num_heads * per_head;
  }
}

uint8_t* act_of(const Plan& plan, uint8_t* scratch, int i, int64_t h) {
  return scratch + plan.act_at[plan.owner[i]] + static_cast<size_t>(h) * plan.head_bytes[i];
}

void prepare_all_rows(const RowsPath& path, const MatmulProblem& p, const Plan& plan, uint8_t* scratch,
                      int i) {
  for (int64_t h = 0; h < p.num_heads; ++h)
    path.prepare(matmul_head(p, h), 0, p.m, act_of(plan, scratch, i, h));
}

// The (owner, head, row) triples of every owner with an area, split evenly over the threads.
void prepare_pass(const RowsPath& path, const MatmulProblem* ps, int count, const Plan& plan,
                  uint8_t* scratch, ThreadPool& pool, int nt) {
  int64_t total = 0;
  for (int i = 0; i < count; ++i)
    if (plan.owner[i] == i && plan.head_bytes[i] > 0) total += ps[i].num_heads * ps[i].m;
  run_on(pool, total > 1 ? nt : 1, [&](int t, int n_threads) {
    const Range r = thread_range(total, t, n_threads, 1);
    int64_t first = 0;  // index of problem i's first triple
    for (int i = 0; i < count && first < r.end; ++i) {
      const MatmulProblem& p = ps[i];
      if (plan.owner[i] != i || plan.head_bytes[i] == 0) continue;
      const int64_t rows = p.num_heads * p.m;
      const int64_t begin = r.begin > first ? r.begin : first,
                    end = r.end < first + rows ? r.end : first + rows;
      for (int64_t hr = begin; hr < end;) {
        const int64_t h = (hr - first) / p.m, row = (hr - first) % p.m;
        const int64_t row_end = row + (end - hr) < p.m ? row + (end - hr) : p.m;
        path.prepare(matmul_head(p, h), row, row_end, act_of(plan, scratch, i, h));
        hr += row_end - row;
      }
      first += rows;
    }
  });
}

}  // namespace

size_t rows_scratch_bytes(const RowsPath& path, const MatmulProblem* problems, int count) {
  return make_plan(path, problems, count).bytes;
}

void run_rows(const RowsPath& path, const MatmulProblem* ps, int count, ThreadPool& pool, uint8_t* scratch) {
  Plan plan = make_plan(path, ps, count);
  const int nt = plan.macs < static_cast<double>(path.min_parallel_macs) ? 1 : pool.num_threads();
  cut_units(path, ps, count, nt, plan);

  bool inline_prepare = true;
  for (int i = 0; i < count; ++i)
    if (plan.head_bytes[i] > 0 && ps[i].num_heads * ps[i].m > kInlinePrepareRows) inline_prepare = false;
  if (!inline_prepare) prepare_pass(path, ps, count, plan, scratch, pool, nt);

  // Owners' preparation state when prepared inline: 0 not started, 1 under way, 2 ready.
  std::atomic<int> ready[kMaxRowsGroup];
  for (int i = 0; i < count; ++i)
    ready[i].store(inline_prepare && plan.head_bytes[i] > 0 ? 0 : 2, std::memory_order_relaxed);
  const auto ensure_prepared = [&](int i) {
    std::atomic<int>& state = ready[plan.owner[i]];
    if (state.load(std::memory_order_acquire) == 2) return;
    int expected = 0;
    if (state.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      prepare_all_rows(path, ps[plan.owner[i]], plan, scratch, plan.owner[i]);
      state.store(2, std::memory_order_release);
      return;
    }
    while (state.load(std::memory_order_acquire) != 2) cpu_relax();
  };

  const int64_t total_units = plan.units_before[count];
  std::atomic<int64_t> next{0};
  run_on(pool, nt, [&](int, int) {
    int i = 0;  // units are claimed in increasing order, so each thread's problem index only advances
    for (int64_t u = next.fetch_add(1, std::memory_order_relaxed); u < total_units;
         u = next.fetch_add(1, std::memory_order_relaxed)) {
      while (u >= plan.units_before[i + 1]) ++i;
      const MatmulProblem& p = ps[i];
      const int64_t per_head = (p.n + plan.unit_rows[i] - 1) / plan.unit_rows[i];
      const int64_t local = u - plan.units_before[i], h = local / per_head;
      const int64_t n_begin = local % per_head * plan.unit_rows[i];
      const int64_t n_end = n_begin + plan.unit_rows[i] < p.n ? n_begin + plan.unit_rows[i] : p.n;
      if (plan.head_bytes[i] > 0) ensure_prepared(i);
      path.compute(matmul_head(p, h), act_of(plan, scratch, i, h), n_begin, n_end);
    }
  });
}

}  // namespace seek::kernels
