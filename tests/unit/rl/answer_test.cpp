// Extracting the boxed answer from a completion, the format rule, and the strict value parsers.
#include "rl/answer.h"

#include <gtest/gtest.h>

namespace seek::rl {
namespace {

std::string boxed_of(std::string_view completion) {
  const BoxedAnswer boxed = extract_boxed_answer(completion);
  return boxed.content ? std::string(*boxed.content) : "<none>";
}

TEST(Answer, TakesLastBoxAfterThink) {
  EXPECT_EQ(boxed_of("<think>\nmaybe \\boxed{1}\n</think>\n\nThe answer is \\boxed{2}."), "2");
  EXPECT_EQ(boxed_of("<think>x</think> \\boxed{3} no, \\boxed{4}"), "4");
  EXPECT_EQ(boxed_of("<think>x</think>\\boxed{ 5 }"), " 5 ");
  EXPECT_EQ(boxed_of("<think>x</think>\\boxed{\\frac{1}{2}}"), "\\frac{1}{2}");  // braces balance
  EXPECT_EQ(boxed_of("<think>x</think>\\boxed{}"), "");
}

TEST(Answer, MissingOrUnclosed) {
  // A box inside the reasoning does not count: the model has not committed to it.
  BoxedAnswer boxed = extract_boxed_answer("<think>\\boxed{2}</think> it is 2");
  EXPECT_FALSE(boxed.content.has_value());
  EXPECT_EQ(boxed.failure.outcome, Outcome::kMissing);
  boxed = extract_boxed_answer("\\boxed{2}");
  EXPECT_EQ(boxed.failure.outcome, Outcome::kMissing);
  EXPECT_EQ(boxed.failure.reason, "no </think>");
  boxed = extract_boxed_answer("<think>x</think>\\boxed{2");
  EXPECT_EQ(boxed.failure.outcome, Outcome::kMalformed);
}

TEST(Answer, FormatRule) {
  EXPECT_FALSE(format_violation("<think>\nreasoning\n</think>\n\nThe answer is \\boxed{2}.").has_value());
  EXPECT_FALSE(format_violation("<think></think>\\boxed{2}").has_value());
  EXPECT_EQ(format_violation(" <think>x</think>\\boxed{2}"), "does not start with <think>");
  EXPECT_EQ(format_violation("The answer is \\boxed{2}"), "does not start with <think>");
  EXPECT_EQ(format_violation("<think>x"), "no </think>");
  EXPECT_EQ(format_violation("<think>x</think>\\boxed{2}</think>"), "more than one </think>");
  EXPECT_EQ(format_violation("<think>x<think>y</think>\\boxed{2}"), "more than one <think>");
  EXPECT_EQ(format_violation("<think>x</think>2"), "no \\boxed{} after </think>");
  EXPECT_EQ(format_violation("<think>x</think>\\boxed{2} or \\boxed{3}"),
            "more than one \\boxed{} after </think>");
  EXPECT_EQ(format_violation("<think>x</think>\\boxed{2"), "\\boxed{ is not closed");
  // A box only inside the reasoning is not an answer.
  EXPECT_EQ(format_violation("<think>\\boxed{2}</think>2"), "no \\boxed{} after </think>");
}

TEST(Answer, ParseIntegerIsStrict) {
  EXPECT_EQ(parse_integer("5218"), 5218);
  EXPECT_EQ(parse_integer(" -6 "), -6);
  EXPECT_EQ(parse_integer("0"), 0);
  EXPECT_EQ(parse_integer("999999999999999999"), 999999999999999999);
  for (const char* bad : {"", "-", "+5", "05", "-0", "5.0", "5,218", "5 218", "5 apples", "1e3", "0x10",
                          "1000000000000000000"}) {
    EXPECT_FALSE(parse_integer(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(Answer, ParseIntegerList) {
  EXPECT_EQ(parse_integer_list("-2, 3, 5, 9"), (std::vector<int64_t>{-2, 3, 5, 9}));
  EXPECT_EQ(parse_integer_list("[1,2]"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(parse_integer_list(" [ 7 ] "), (std::vector<int64_t>{7}));
  for (const char* bad : {"", "[]", "1,", ",1", "1,,2", "1 2", "[1, 2", "1; 2", "(1, 2)"}) {
    EXPECT_FALSE(parse_integer_list(bad).has_value()) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace seek::rl
