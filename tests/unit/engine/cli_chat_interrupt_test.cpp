// seek chat's Ctrl-C: SIGINT during an answer stops that answer, not the program; at the prompt it
// only reminds of /quit. Driven through pipes, with a tiny random model whose greedy answer runs on for
// thousands of tokens, so the signal lands mid-answer.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "common/seek_binary.h"
#include "common/tiny_model.h"

namespace seek::test {
namespace {

namespace fs = std::filesystem;

// A child process with its stdin and stdout on pipes.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int in[2], out[2];
    EXPECT_EQ(pipe(in), 0);
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(in[0], 0);
      dup2(out[1], 1);
      const int null_fd = ::open("/dev/null", O_WRONLY);
      dup2(null_fd, 2);
      close(in[1]);
      close(out[0]);
      std::vector<char*> argv;
      for (const std::string& s : args) argv.push_back(const_cast<char*>(s.c_str()));
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(in[0]);
    close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~Child() {
    if (to_ >= 0) close(to_);
    close(from_);
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  void send(const std::string& text) { ASSERT_EQ(write(to_, text.data(), text.size()), static_cast<ssize_t>(text.size())); }
  void interrupt() { kill(pid_, SIGINT); }

  // Reads until `what` appears in the output after offset `from` (true), or 20 s pass or the output ends.
  bool wait_for(const std::string& what, size_t from = 0) {
    return read_until([&] { return out_.find(what, from) != std::string::npos; });
  }
  // Reads until the output holds at least `bytes` bytes.
  bool wait_bytes(size_t bytes) {
    return read_until([&] { return out_.size() >= bytes; });
  }

  // Closes stdin, reads the rest of the output, and waits (up to 20 s) for the exit status.
  int finish() {
    close(to_);
    to_ = -1;
    read_until([] { return false; });  // to the end of the output
    for (int i = 0; i < 200; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      usleep(100 * 1000);
    }
    return -2;
  }

  const std::string& out() const { return out_; }

 private:
  template <typename Done>
  bool read_until(Done done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{from_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const ssize_t got = read(from_, buf, sizeof buf);
      if (got <= 0) return false;
      out_.append(buf, static_cast<size_t>(got));
    }
    return true;
  }

  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  bool reaped_ = false;
  std::string out_;
};

TEST(CliChat, CtrlCStopsTheAnswerNotTheProgram) {
  if (!fs::exists(seek_binary())) GTEST_SKIP() << "no seek binary beside the tests: " << seek_binary();
  // A tiny random V3 model with the default model's tokenizer and chat template (R1's).
  nlohmann::json config = tiny_v3_config();
  config["vocab_size"] = 1024;
  config["max_position_embeddings"] = 32768;
  const std::string dir = write_model(config, "cli_chat_interrupt");
  for (const char* file : {"tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(fs::path(SEEK_SOURCE_DIR) / "models/seek-r1-tiny" / file, fs::path(dir) / file,
                  fs::copy_options::overwrite_existing);
  // Greedy on the scalar kernels: the same answer on every machine, ~4,000 tokens (10 KB) before these
  // weights end it, so the Ctrl-C after its first 200 bytes lands mid-answer.
  Child chat({seek_binary(), "chat", "--model", dir, "-n", "30000", "--ctx", "32768", "-t", "1", "--temp", "0",
              "--kernels", "scalar"});
  ASSERT_TRUE(chat.wait_for("> ")) << chat.out();
  const size_t prompt_at = chat.out().size();
  chat.send("hello\n");
  // Let the answer stream a while, then Ctrl-C.
  ASSERT_TRUE(chat.wait_bytes(prompt_at + 200)) << chat.out();
  chat.interrupt();
  ASSERT_TRUE(chat.wait_for("(stopped)", prompt_at)) << chat.out();
  const size_t stopped_at = chat.out().find("(stopped)", prompt_at);
  ASSERT_TRUE(chat.wait_for("> ", stopped_at)) << "no prompt after the stop: " << chat.out().substr(stopped_at);

  // At the prompt, Ctrl-C reminds how to leave and keeps the conversation going.
  chat.interrupt();
  ASSERT_TRUE(chat.wait_for("/quit or Ctrl-D leaves", stopped_at)) << chat.out().substr(stopped_at);
  chat.send("/help\n");
  ASSERT_TRUE(chat.wait_for("/reset", stopped_at)) << chat.out().substr(stopped_at);
  chat.send("/quit\n");
  EXPECT_EQ(chat.finish(), 0) << chat.out().substr(stopped_at);
}

}  // namespace
}  // namespace seek::test
