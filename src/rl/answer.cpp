#include "rl/answer.h"

namespace seek::rl {

namespace {

constexpr std::string_view kThinkOpen = "<think>";
constexpr std::string_view kThinkClose = "</think>";
constexpr std::string_view kBoxOpen = "\\boxed{";
constexpr size_t kMaxIntegerDigits = 18;  // 10^18 - 1 < 2^63

size_t count_occurrences(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + 1))
    ++count;
  return count;
}

// The index of the '}' closing the box whose content starts at `start`, or npos.
size_t find_box_close(std::string_view text, size_t start) {
  int depth = 1;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string_view trim_spaces(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

BoxedAnswer extract_boxed_answer(std::string_view completion) {
  const size_t close = completion.rfind(kThinkClose);
  if (close == std::string_view::npos) return {std::nullopt, verdict(Outcome::kMissing, "no </think>")};
  const std::string_view tail = completion.substr(close + kThinkClose.size());
  const size_t box = tail.rfind(kBoxOpen);
  if (box == std::string_view::npos) {
    return {std::nullopt, verdict(Outcome::kMissing, "no \\boxed{} after </think>")};
  }
  const size_t start = box + kBoxOpen.size();
  const size_t end = find_box_close(tail, start);
  if (end == std::string_view::npos)
    return {std::nullopt, verdict(Outcome::kMalformed, "\\boxed{ is not closed")};
  return {tail.substr(start, end - start), {}};
}

std::optional<std::string> format_violation(std::string_view completion) {
  if (completion.substr(0, kThinkOpen.size()) != kThinkOpen) return "does not start with <think>";
  if (count_occurrences(completion, kThinkOpen) != 1) return "more than one <think>";
  const size_t n_close = count_occurrences(completion, kThinkClose);
  if (n_close != 1) return n_close == 0 ? "no </think>" : "more than one </think>";
  const std::string_view tail = completion.substr(completion.find(kThinkClose) + kThinkClose.size());
  const size_t n_box = count_occurrences(tail, kBoxOpen);
  if (n_box != 1)
    return n_box == 0 ? "no \\boxed{} after </think>" : "more than one \\boxed{} after </think>";
  if (find_box_close(tail, tail.find(kBoxOpen) + kBoxOpen.size()) == std::string_view::npos) {
    return "\\boxed{ is not closed";
  }
  return std::nullopt;
}

std::optional<int64_t> parse_integer(std::string_view text) {
  text = trim_spaces(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > kMaxIntegerDigits) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (negative && value == 0) return std::nullopt;
  return negative ? -value : value;
}

std::optional<std::vector<int64_t>> parse_integer_list(std::string_view text) {
  text = trim_spaces(text);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::vector<int64_t> values;
  while (true) {
    const size_t comma = text.find(',');
    const std::optional<int64_t> value = parse_integer(text.substr(0, comma));
    if (!value) return std::nullopt;
    values.push_back(*value);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return values;
}

}  // namespace seek::rl
