// Prints this machine's measured limits (kernels/ceilings.h): DRAM read bandwidth and peak
// multiply-add rates. Usage: ceilings [-t THREADS] [--json]
#include "kernels/ceilings.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.h"
#include "core/thread_pool.h"

int main(int argc, char** argv) {
  int threads = seek::ThreadPool::default_threads();
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [-t THREADS] [--json]\n", argv[0]);
      return 2;
    }
  }
  if (threads < 1) {
    std::fprintf(stderr, "ceilings: -t must be at least 1\n");
    return 2;
  }
  seek::ThreadPool pool(threads);
  const seek::kernels::Ceilings c = seek::kernels::measure_ceilings(pool);
  if (json) {
    std::printf("%s\n", c.to_json().c_str());
  } else {
    std::printf("cpu: %s\n%s", seek::cpu_features_string().c_str(), c.to_text().c_str());
  }
  return 0;
}
