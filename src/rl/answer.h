// Reading an answer out of an R1-format completion, and the small strict parsers checkers share.
//
// A completion is the whole assistant message, opening <think> included (a caller that prefilled
// "<think>\n" in the prompt prepends it before asking). The answer is the content of the last
// \boxed{...} after the last </think>: reasoning may try candidate answers in boxes, and only what
// the model commits to after thinking counts. Braces inside the box must balance.
//
// The parsers are strict on purpose: a reward is only as exact as what it accepts, so "007", "+5",
// "5.0" or "5 apples" are not the integer 5. Surrounding spaces are allowed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rl/verdict.h"

namespace seek::rl {

// The content of the last \boxed{} after the last </think>; kMissing or kMalformed (unclosed box)
// with a reason otherwise.
struct BoxedAnswer {
  std::optional<std::string_view> content;  // a view into the completion
  Verdict failure;                          // set when content is empty
};
BoxedAnswer extract_boxed_answer(std::string_view completion);

// R1's format rule: the completion starts with "<think>", has exactly one <think> and one </think>
// in that order, and after </think> exactly one \boxed{...} whose braces close. Returns the first
// rule broken, or nullopt when the format is right.
std::optional<std::string> format_violation(std::string_view completion);

// Integers: optional '-', digits, no leading zeros, no "-0", at most 18 digits (so the value always
// fits int64 without overflow checks).
std::optional<int64_t> parse_integer(std::string_view text);

// A non-empty comma-separated list of integers, optionally wrapped in [ ].
std::optional<std::vector<int64_t>> parse_integer_list(std::string_view text);

std::string_view trim_spaces(std::string_view text);

}  // namespace seek::rl
