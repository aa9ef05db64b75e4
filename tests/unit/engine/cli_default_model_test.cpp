// The seek binary given no --model runs the default model (models/seek-r1-tiny), found from the
// binary's own directory, whatever the working directory: generate, chat (piped, as a script would
// drive it) and tokenize, each the same as with --model naming that directory.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string seek_binary() { return (fs::read_symlink("/proc/self/exe").parent_path() / "seek").string(); }
std::string default_model() { return (fs::path(SEEK_SOURCE_DIR) / "models/seek-r1-tiny").string(); }

struct SeekRun {
  int status;
  std::string out;
};

// `shell_args` after the binary, run by /bin/sh from another directory, stdin_text (its \n are
// newlines) on stdin; stdout only, or stderr only.
SeekRun run_seek(const std::string& shell_args, const std::string& stdin_text = "", bool stderr_only = false) {
  const std::string cmd = "cd " + fs::temp_directory_path().string() + " && printf '%b' '" + stdin_text + "' | " +
                          seek_binary() + " " + shell_args + (stderr_only ? " 2>&1 >/dev/null" : " 2>/dev/null");
  FILE* pipe = popen(cmd.c_str(), "r");
  EXPECT_NE(pipe, nullptr) << cmd;
  SeekRun r{-1, ""};
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t got;
  while ((got = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), got);
  const int status = pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class CliDefaultModel : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(seek_binary())) GTEST_SKIP() << "no seek binary beside the tests: " << seek_binary();
    ASSERT_TRUE(fs::exists(default_model() + "/config.json")) << default_model();
  }
};

TEST_F(CliDefaultModel, GenerateRunsItWithoutModel) {
  const std::string args = "generate --chat --prompt 'What is 2 + 3?' -n 24 -t 2";
  const SeekRun plain = run_seek(args), named = run_seek(args + " --model " + default_model());
  EXPECT_EQ(plain.status, 0);
  EXPECT_EQ(named.status, 0);
  EXPECT_FALSE(plain.out.empty());
  EXPECT_EQ(plain.out, named.out);
}

TEST_F(CliDefaultModel, ChatRunsItWithoutModel) {
  const SeekRun r = run_seek("chat -n 24 -t 2 --temp 0", "What is 1 + 1?\\n/help\\n/reset\\n");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("seek chat"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seek-r1-tiny"), std::string::npos) << r.out;  // the header names the model
  EXPECT_NE(r.out.find("thought for"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/reset"), std::string::npos) << r.out;          // /help's list
  EXPECT_NE(r.out.find("(new conversation)"), std::string::npos) << r.out;
}

TEST_F(CliDefaultModel, TokenizeUsesItsTokenizer) {
  const SeekRun plain = run_seek("tokenize", "What is 1 + 1?"), named = run_seek("tokenize --model " + default_model(), "What is 1 + 1?");
  EXPECT_EQ(plain.status, 0);
  EXPECT_FALSE(plain.out.empty());
  EXPECT_EQ(plain.out, named.out);
}

// A wrong or missing model: one line on stderr naming the path and what is wrong, exit status 1.
TEST_F(CliDefaultModel, BadModelPathsGetOneClearLine) {
  const std::string dir = ::testing::TempDir() + "seek_cli_bad_model";
  fs::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  const std::string one_byte = write("one-byte.gguf", "x"), text = write("notes.txt", "not a model\n");
  const std::string bad_magic = write("bad-magic.gguf", std::string(64, 'z'));
  const struct {
    std::string path, says;
  } cases[] = {{dir + "/missing", "no such model file or directory"},
               {one_byte, "too small for a GGUF file"},
               {bad_magic, "GGUF"},
               {text, "not a model"}};
  for (const auto& c : cases) {
    for (const char* command : {"chat", "generate --prompt hi"}) {
      const SeekRun r = run_seek(std::string(command) + " --model " + c.path, "", /*stderr_only=*/true);
      EXPECT_EQ(r.status, 1) << command << " " << c.path;
      EXPECT_NE(r.out.find(c.path), std::string::npos) << r.out;
      EXPECT_NE(r.out.find(c.says), std::string::npos) << r.out;
      EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
    }
  }
}

}  // namespace
