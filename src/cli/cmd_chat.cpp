// seek chat [--model PATH]: a terminal conversation (without --model, the default model). Reasoning
// (<think> ... </think>) streams dimmed and ends with "thought for N s"; --hide-thinking shows only
// that line (/think prints the last one).
// Earlier turns go back through the model's chat template, which for R1 drops their reasoning;
// the KV cache keeps the conversation so each turn only prefills what is new.
// Ctrl-C stops the current answer; at the prompt it does nothing but remind of /quit; Ctrl-D quits.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "core/error.h"
#include "engine/generator.h"
#include "tokenizer/chat_template.h"

namespace seek::cli {

namespace {

std::atomic<bool> g_interrupted{false};  // set by SIGINT, read by the decode loop
// The self-pipe a prompt waits on beside stdin: the handler writes a byte, so a Ctrl-C wakes the
// prompt whichever thread took the signal and however early it came (a flag checked before a blocking
// read would miss one arriving just before the read began).
int g_wake[2] = {-1, -1};
extern "C" void on_sigint(int) {
  g_interrupted.store(true);
  const char byte = 0;
  if (::write(g_wake[1], &byte, 1) < 0) {  // full: a wake-up is already pending
  }
}

void drain_wake_pipe() {
  char buf[64];
  while (::read(g_wake[0], buf, sizeof buf) > 0) {
  }
}

// Standard input a line at a time, read(2) into our own buffer (so the prompt knows when a line is
// already here), otherwise waiting in poll() on stdin and the wake pipe together.
class LineReader {
 public:
  enum class Result { kLine, kInterrupted, kEnd };

  Result next(std::string& line) {
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos || (ended_ && !buf_.empty())) {
        const size_t n = nl == std::string::npos ? buf_.size() : nl;
        line.assign(buf_, 0, n);
        buf_.erase(0, nl == std::string::npos ? n : n + 1);
        return Result::kLine;
      }
      if (ended_) return Result::kEnd;
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return Result::kEnd;
      if (fds[1].revents != 0 || g_interrupted.load()) {
        drain_wake_pipe();
        return Result::kInterrupted;
      }
      if (fds[0].revents == 0) continue;
      char chunk[4096];
      const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) ended_ = true;
      else buf_.append(chunk, static_cast<size_t>(got));
    }
  }

 private:
  std::string buf_;
  bool ended_ = false;
};

constexpr const char* kThinkOpen = "<think>";
constexpr const char* kThinkClose = "</think>";

struct Style {
  bool tty;
  const char* dim() const { return tty ? "\033[2m" : ""; }
  const char* bold() const { return tty ? "\033[1m" : ""; }
  const char* reset() const { return tty ? "\033[0m" : ""; }
};

void print_help() {
  std::printf(
      "commands:\n"
      "  /reset          start a new conversation\n"
      "  /system TEXT    set the system prompt (and reset); /system alone clears it\n"
      "  /temp T         sampling temperature (0 = greedy)\n"
      "  /think          show the reasoning of the last answer\n"
      "  /help           this list\n"
      "  /quit           leave (Ctrl-D too); Ctrl-C stops an answer\n");
}

// Splits streamed text into reasoning and answer, printing each as it comes.
class ThoughtPrinter {
 public:
  ThoughtPrinter(const Style& style, bool thinking, bool show_thinking)
      : style_(style), thinking_(thinking), show_(show_thinking), start_(std::chrono::steady_clock::now()) {
    if (thinking_ && show_) std::fputs(style_.dim(), stdout);
  }

  void add(std::string_view piece) {
    pending_.append(piece);
    for (;;) {
      if (!thinking_) {
        const size_t open = pending_.find(kThinkOpen);
        if (open == std::string::npos) break;
        emit(pending_.substr(0, open));
        pending_.erase(0, open + std::string_view(kThinkOpen).size());
        thinking_ = true;
        start_ = std::chrono::steady_clock::now();
        if (show_) std::fputs(style_.dim(), stdout);
        continue;
      }
      const size_t close = pending_.find(kThinkClose);
      if (close == std::string::npos) break;
      emit(pending_.substr(0, close));
      pending_.erase(0, close + std::string_view(kThinkClose).size());
      end_thinking();
    }
    // Hold back a tail that could be the start of a marker split across pieces.
    const size_t hold = std::min<size_t>(pending_.size(), 8);
    size_t safe = pending_.size() - hold;
    if (pending_.find('<', safe) == std::string::npos) safe = pending_.size();
    emit(pending_.substr(0, safe));
    pending_.erase(0, safe);
    std::fflush(stdout);
  }

  void finish() {
    emit(pending_);
    pending_.clear();
    if (thinking_) end_thinking();
    std::fputs(style_.reset(), stdout);
    std::fputc('\n', stdout);
  }

  const std::string& reasoning() const { return reasoning_; }

 private:
  void emit(const std::string& text) {
    if (text.empty()) return;
    if (thinking_) {
      reasoning_ += text;
      if (!show_) return;
    } else if (!answered_) {
      // Models often open the answer with blank lines after </think>.
      const size_t start = text.find_first_not_of('\n');
      if (start == std::string::npos) return;
      answered_ = true;
      std::fputs(text.c_str() + start, stdout);
      return;
    }
    std::fputs(text.c_str(), stdout);
  }

  void end_thinking() {
    thinking_ = false;
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::printf("%s%s%s[thought for %.1f s]%s\n", style_.reset(), show_ ? "\n" : "", style_.dim(), s, style_.reset());
  }

  const Style& style_;
  bool thinking_;
  bool show_;
  bool answered_ = false;
  std::chrono::steady_clock::time_point start_;
  std::string pending_, reasoning_;
};

}  // namespace

int cmd_chat(Args& args) {
  ModelOptions options = parse_model_options(args);
  const std::optional<std::string> tokenizer_override = args.get("--tokenizer");
  std::string system = args.get_or("--system", "");
  const bool hide_thinking = args.flag("--hide-thinking");
  const int64_t max_new = args.get_int("-n", 2048);
  SamplingParams sampling = parse_sampling_options(args, /*default_temperature=*/0.6f);  // R1's advice
  if (sampling.top_p == 1.0f) sampling.top_p = 0.95f;
  args.finish();

  const Tokenizer tokenizer = load_tokenizer(options.path, tokenizer_override);
  const ChatTemplate tmpl = ChatTemplate::for_tokenizer(tokenizer);
  std::unique_ptr<Model> model = load_model(options);
  Generator generator(*model, tokenizer);
  const Style style{static_cast<bool>(::isatty(STDOUT_FILENO))};

  SEEK_CHECK(::pipe2(g_wake, O_NONBLOCK | O_CLOEXEC) == 0, "seek chat: cannot create the Ctrl-C pipe");
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // the prompt learns of Ctrl-C from the wake pipe, not from an interrupted read
  sigaction(SIGINT, &sa, nullptr);
  LineReader input;

  std::printf("%sseek chat%s — %s (%lld-token context). /help for commands, Ctrl-D to quit.\n", style.bold(),
              style.reset(), options.path.c_str(), static_cast<long long>(generator.context_size()));
  std::vector<ChatMessage> messages;
  std::string last_reasoning;
  auto reset = [&] {
    messages.clear();
    if (!system.empty()) messages.push_back(ChatMessage{"system", system, {}, std::nullopt});
  };
  reset();

  for (;;) {
    g_interrupted.store(false);  // a Ctrl-C that stopped the last answer is spent
    drain_wake_pipe();
    std::printf("%s> %s", style.bold(), style.reset());
    std::fflush(stdout);
    std::string line;
    const LineReader::Result got = input.next(line);
    if (got == LineReader::Result::kInterrupted) {
      std::printf("\n(Ctrl-C stops an answer; /quit or Ctrl-D leaves)\n");
      continue;
    }
    if (got == LineReader::Result::kEnd) {
      std::printf("\n");
      return 0;
    }
    if (line.empty()) continue;
    if (line[0] == '/') {
      const size_t space = line.find(' ');
      const std::string cmd = line.substr(0, space);
      const std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
      if (cmd == "/quit" || cmd == "/exit") return 0;
      if (cmd == "/help") print_help();
      else if (cmd == "/reset") { reset(); std::printf("(new conversation)\n"); }
      else if (cmd == "/system") { system = arg; reset(); std::printf("(system prompt %s; new conversation)\n", arg.empty() ? "cleared" : "set"); }
      else if (cmd == "/temp") {
        char* end = nullptr;
        const double t = std::strtod(arg.c_str(), &end);
        if (arg.empty() || *end != '\0' || t < 0) std::printf("usage: /temp T (T >= 0)\n");
        else { sampling.temperature = static_cast<float>(t); std::printf("(temperature %.2f)\n", t); }
      } else if (cmd == "/think") std::printf("%s%s%s\n", style.dim(), last_reasoning.empty() ? "(no reasoning yet)" : last_reasoning.c_str(), style.reset());
      else std::printf("unknown command %s (/help lists them)\n", cmd.c_str());
      continue;
    }

    messages.push_back(ChatMessage{"user", line, {}, std::nullopt});
    std::vector<int32_t> ids;
    std::string prompt_text;
    try {
      prompt_text = tmpl.render(messages);
      ids = tokenizer.encode(prompt_text, EncodeOptions{.allow_special = true, .add_bos = false});
    } catch (const Error& e) {
      messages.pop_back();
      std::printf("error: %s\n", e.what());
      continue;
    }
    const bool starts_thinking = prompt_text.size() >= 8 && prompt_text.rfind("<think>\n") == prompt_text.size() - 8;
    ThoughtPrinter printer(style, starts_thinking, !hide_thinking);
    std::string answer = starts_thinking ? std::string(kThinkOpen) + "\n" : "";
    g_interrupted.store(false);
    GenerateStats stats;
    try {
      stats = generator.generate(ids, sampling, max_new, [&](int32_t, std::string_view piece) {
        answer.append(piece);
        printer.add(piece);
        return true;
      }, &g_interrupted);
    } catch (const Error& e) {
      messages.pop_back();
      std::printf("%s\nerror: %s\n", style.reset(), e.what());
      continue;
    }
    printer.finish();
    last_reasoning = printer.reasoning();
    if (stats.finish == FinishReason::kCancelled) std::printf("%s(stopped)%s\n", style.dim(), style.reset());
    if (stats.finish == FinishReason::kContext) std::printf("%s(context full: /reset to continue)%s\n", style.dim(), style.reset());
    messages.push_back(ChatMessage{"assistant", answer, {}, std::nullopt});
  }
}

}  // namespace seek::cli
