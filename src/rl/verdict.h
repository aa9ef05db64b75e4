// Verdict: what a checker concluded about one answer, and why.
//
// The outcome is finer than right/wrong so that rewards can grade it (TinyZero gives 0.1 for a
// well-formed wrong answer and 0 for none) and so evaluation can report *how* a model fails; the
// reason is a short human-readable line for logs and tests, never parsed.
#pragma once

#include <string>

namespace seek::rl {

enum class Outcome {
  kCorrect,    // the answer is right
  kWrong,      // well-formed, follows the rules, but the value is wrong
  kInvalid,    // well-formed but breaks a rule: reuses a Countdown number, divides by zero, overflows
  kMalformed,  // there is a \boxed{} but its content does not parse as this task's answer
  kMissing,    // no </think>, or no \boxed{...} after it
};

struct Verdict {
  Outcome outcome = Outcome::kMissing;
  std::string reason;  // empty when correct

  bool correct() const { return outcome == Outcome::kCorrect; }
};

inline Verdict verdict(Outcome outcome, std::string reason = {}) {
  return Verdict{outcome, std::move(reason)};
}

}  // namespace seek::rl
