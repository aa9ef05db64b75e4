// The seek binary the build put beside the test binaries, for tests that drive the command line.
#pragma once

#include <filesystem>
#include <string>

namespace seek::test {

inline std::string seek_binary() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "seek").string();
}

}  // namespace seek::test
