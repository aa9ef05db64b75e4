// ThreadPool: a fixed team of threads for fork-join parallel loops.
//
// The calling thread takes part as thread 0, so a pool of N threads starts N-1 workers. A job is a
// function pointer plus context (no allocation per call). Workers spin briefly after each job before
// sleeping, so back-to-back kernels in the token loop don't pay a futex wake-up each time.
//
// Thread-safety: run()/parallel_for() must be called from one thread at a time (the owner). Jobs
// must not call back into the same pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace seek {

// One step of a spin-wait: tells the core (and a hypervisor) that this thread is only polling.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);  // num_threads >= 1, including the caller
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(thread_idx) once on each of the num_threads() threads and returns when all finished.
  template <typename F>
  void run(F&& fn) {
    using Fn = std::remove_reference_t<F>;
    run_raw([](void* ctx, int thread_idx) { (*static_cast<Fn*>(ctx))(thread_idx); }, &fn);
  }

  // Splits [0, n) into one contiguous range per thread (ranges rounded to `grain`) and calls
  // fn(begin, end) for each non-empty range.
  template <typename F>
  void parallel_for(int64_t n, F&& fn, int64_t grain = 1) {
    if (n <= 0) return;
    const int nt = num_threads_;
    if (nt == 1 || n <= grain) {
      fn(int64_t{0}, n);
      return;
    }
    run([&](int t) {
      int64_t chunk = (n + nt - 1) / nt;
      chunk = (chunk + grain - 1) / grain * grain;
      const int64_t begin = std::min<int64_t>(n, chunk * t);
      const int64_t end = std::min<int64_t>(n, begin + chunk);
      if (begin < end) fn(begin, end);
    });
  }

  // Default number of threads: the cores this process may run on.
  static int default_threads();

 private:
  using RawJob = void (*)(void* ctx, int thread_idx);
  void run_raw(RawJob job, void* ctx);
  void worker_loop(int thread_idx);

  int num_threads_;
  std::vector<std::thread> workers_;
  RawJob job_ = nullptr;
  void* job_ctx_ = nullptr;
  std::atomic<uint64_t> generation_{0};  // bumped once per job
  std::atomic<int> pending_{0};          // workers still running the current job
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace seek
