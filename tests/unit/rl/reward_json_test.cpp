// R1 rewards on real and broken completions, and the JSONL record round trip.
#include <gtest/gtest.h>

#include "rl/checker.h"
#include "rl/generator.h"
#include "rl/problem_json.h"
#include "rl/reward.h"
#include "test_util.h"

namespace seek::rl {
namespace {

using testing::completion_with;
using testing::draw_many;

TEST(Reward, WorkedSolutionsEarnBothRewards) {
  for (Task task : kAllTasks) {
    for (const Problem& p : draw_many(task, 2, 50)) {
      const std::string content = assistant_content(p);
      EXPECT_EQ(content.rfind("<think>\n", 0), 0u);
      EXPECT_EQ(accuracy_reward(p, content), 1.0) << content;
      EXPECT_EQ(format_reward(content), 1.0) << content;
    }
  }
}

TEST(Reward, AccuracyAndFormatAreIndependent) {
  const Problem p = make_problem(Task::kAdd, 1, {4821, 397});
  // Right answer, broken format: accuracy 1, format 0.
  const std::string no_open = "reasoning\n</think>\n\n\\boxed{5218}";
  EXPECT_EQ(accuracy_reward(p, no_open), 1.0);
  EXPECT_EQ(format_reward(no_open), 0.0);
  const std::string two_boxes = "<think>x</think> \\boxed{5217} \\boxed{5218}";
  EXPECT_EQ(accuracy_reward(p, two_boxes), 1.0);  // the last box counts
  EXPECT_EQ(format_reward(two_boxes), 0.0);       // but hedging is not well formed
  // Wrong answer, good format: accuracy 0, format 1.
  const std::string wrong = completion_with(p, "5217");
  EXPECT_EQ(accuracy_reward(p, wrong), 0.0);
  EXPECT_EQ(format_reward(wrong), 1.0);
  // No box after </think>, or no </think>: neither.
  for (const std::string& bad : {std::string("<think>\\boxed{5218}</think>5218"), std::string("<think>5218"),
                                 std::string("\\boxed{5218}"), std::string("")}) {
    EXPECT_EQ(accuracy_reward(p, bad), 0.0) << bad;
    EXPECT_EQ(format_reward(bad), 0.0) << bad;
  }
}

TEST(ProblemJson, RoundTripsEveryTask) {
  for (Task task : kAllTasks) {
    for (const Problem& p : draw_many(task, 3, 20)) {
      const nlohmann::json record = nlohmann::json::parse(problem_to_json(p).dump());
      EXPECT_EQ(record["task"], std::string(task_name(task)));
      EXPECT_EQ(record["messages"][0]["role"], "user");
      EXPECT_EQ(record["messages"][0]["content"], p.prompt);
      EXPECT_EQ(record["messages"][1]["role"], "assistant");
      EXPECT_EQ(record["messages"][1]["content"], assistant_content(p));
      EXPECT_EQ(record.contains("target"), task == Task::kCountdown);
      const Problem back = problem_from_json(record);
      EXPECT_EQ(back.id, p.id);
      EXPECT_EQ(back.answer, p.answer);
      EXPECT_EQ(back.trace, p.trace);
      EXPECT_EQ(back.level, p.level);
      EXPECT_TRUE(check_answer(back, record["answer"].get<std::string>()).correct());
    }
  }
}

TEST(ProblemJson, BadRecordsNameTheField) {
  nlohmann::json record = problem_to_json(make_problem(Task::kCountdown, 1, {3, 7, 25}, 35));
  const auto error_of = [](const nlohmann::json& r) {
    try {
      problem_from_json(r);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  nlohmann::json r = record;
  r.erase("target");
  EXPECT_NE(error_of(r).find("\"target\""), std::string::npos);
  r = record;
  r["task"] = "divide";
  EXPECT_NE(error_of(r).find("unknown task 'divide'"), std::string::npos);
  r = record;
  r["level"] = 9;
  EXPECT_NE(error_of(r).find("\"level\""), std::string::npos);
  r = record;
  r["operands"] = {3, "7", 25};
  EXPECT_NE(error_of(r).find("\"operands\""), std::string::npos);
  r = record;
  r["prompt"] = "What is 1 + 1?";
  EXPECT_NE(error_of(r).find("\"prompt\" differs"), std::string::npos);
  r = record;
  r["target"] = 1000;  // unreachable from 3, 7, 25 without reuse
  EXPECT_NE(error_of(r).find("cannot be made"), std::string::npos);
}

}  // namespace
}  // namespace seek::rl
