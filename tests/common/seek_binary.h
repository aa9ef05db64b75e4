// The binaries the build put beside the test binaries (seek, make_bench_gguf), and a way to run them
// as a user's shell would, for tests that drive the command line.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

namespace seek::test {

inline std::string build_binary(const std::string& name) {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name).string();
}

inline std::string seek_binary() { return build_binary("seek"); }

struct CommandRun {
  int status = -1;  // the exit status, -1 when the command did not exit normally
  std::string out;  // what it wrote to stdout
};

// `cmd` run by /bin/sh.
inline CommandRun run_command(const std::string& cmd) {
  CommandRun r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), got);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace seek::test
