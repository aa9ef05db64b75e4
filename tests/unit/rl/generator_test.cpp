// Generator streams: deterministic per seed, and train / held-out never share a problem whatever
// the seeds.
#include "rl/generator.h"

#include <gtest/gtest.h>

#include <set>
#include <unordered_set>

#include "rl/split.h"
#include "test_util.h"

namespace seek::rl {
namespace {

std::vector<Problem> stream(GeneratorConfig config, int count) {
  ProblemGenerator generator(std::move(config));
  std::vector<Problem> out;
  for (int i = 0; i < count; ++i) out.push_back(generator.next());
  return out;
}

std::vector<Task> all_tasks() { return {std::begin(kAllTasks), std::end(kAllTasks)}; }

TEST(Generator, SameSeedSameStream) {
  for (Task task : kAllTasks) {
    const std::vector<Problem> a = stream({{task}, 3, Split::kTrain, 42}, 50);
    const std::vector<Problem> b = stream({{task}, 3, Split::kTrain, 42}, 50);
    const std::vector<Problem> c = stream({{task}, 3, Split::kTrain, 43}, 50);
    int n_same_as_other_seed = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].prompt, b[i].prompt);
      EXPECT_EQ(assistant_content(a[i]), assistant_content(b[i]));
      EXPECT_EQ(a[i].id, b[i].id);
      n_same_as_other_seed += a[i].prompt == c[i].prompt;
    }
    EXPECT_LT(n_same_as_other_seed, 5) << task_name(task);
  }
}

TEST(Generator, PinnedOutputForSeed) {
  // Guards cross-platform determinism (task_rng.h) and the id hash: these change only when a
  // generator or the hash does, and then every data set and split changes with them.
  constexpr std::pair<Task, const char*> kExpected[] = {
      {Task::kAdd, "add-a5cb69a80728b508 What is 304 + 403?"},
      {Task::kCountdown, "countdown-b4e9a58409ab7e8a Using the numbers 28, 92, 98, make 22."},
      {Task::kLinearEquation, "lineq-877e7d11dab67cd6 Solve for x: 7x - 11 = 2x + 74."},
      {Task::kSort, "sort-610593d75ac8f588 Sort these numbers in ascending order: 9, 28, -34, -25, 14."},
  };
  for (const auto& [task, expected] : kExpected) {
    const Problem p = stream({{task}, 2, Split::kTrain, 7}, 1)[0];
    const std::string head = p.id + " " + p.prompt.substr(0, p.prompt.find_first_of(".?") + 1);
    EXPECT_EQ(head, expected);
  }
}

TEST(Generator, SplitsAreDisjointAcrossSeedsAndLevels) {
  for (Task task : kAllTasks) {
    std::unordered_set<std::string> train_keys, heldout_keys;
    for (uint64_t seed : {1, 2}) {
      for (int level : {1, 2}) {
        for (const Problem& p : stream({{task}, level, Split::kTrain, seed}, 1000)) {
          ASSERT_EQ(split_of(p), Split::kTrain);
          train_keys.insert(canonical_key(p));
        }
        for (const Problem& p : stream({{task}, level, Split::kHeldout, seed + 100}, 250)) {
          ASSERT_EQ(split_of(p), Split::kHeldout);
          heldout_keys.insert(canonical_key(p));
        }
      }
    }
    for (const std::string& key : heldout_keys) {
      ASSERT_EQ(train_keys.count(key), 0u) << task_name(task) << " " << key << " is in both splits";
    }
    EXPECT_GT(heldout_keys.size(), 200u) << task_name(task);
  }
}

TEST(Generator, SplitIgnoresPresentationOrder) {
  // 3 + 5 and 5 + 3 are one problem; so are the same Countdown numbers in another order.
  for (int64_t a = 10; a < 60; ++a) {
    for (int64_t b = 10; b < 60; ++b) {
      EXPECT_EQ(split_of(make_problem(Task::kAdd, 1, {a, b})), split_of(make_problem(Task::kAdd, 1, {b, a})));
      EXPECT_EQ(split_of(make_problem(Task::kMul, 1, {a, b})), split_of(make_problem(Task::kMul, 1, {b, a})));
    }
  }
  EXPECT_EQ(canonical_key(make_problem(Task::kCountdown, 1, {25, 3, 7}, 35)),
            canonical_key(make_problem(Task::kCountdown, 1, {7, 25, 3}, 35)));
  EXPECT_NE(canonical_key(make_problem(Task::kSub, 1, {5, 3})),
            canonical_key(make_problem(Task::kSub, 1, {3, 5})));
}

TEST(Generator, HeldoutFractionIsAboutATenth) {
  int n_heldout = 0;
  constexpr int kN = 20000;
  for (int64_t i = 0; i < kN; ++i)
    n_heldout += split_of(make_problem(Task::kAdd, 1, {i, 1})) == Split::kHeldout;
  EXPECT_NEAR(n_heldout / double(kN), kHeldoutPerMille / 1000.0, 0.01);
}

TEST(Generator, UniqueNeverRepeatsAndRunsDryLoudly) {
  std::set<std::string> keys;
  for (const Problem& p : stream({{Task::kAdd}, 1, Split::kHeldout, 3, true}, 300)) {
    EXPECT_TRUE(keys.insert(canonical_key(p)).second) << p.prompt;
  }
  // Level-1 addition has 4095 distinct problems (unordered pairs of 10..99), ~410 held out.
  ProblemGenerator generator({{Task::kAdd}, 1, Split::kHeldout, 3, true});
  try {
    for (int i = 0; i < 5000; ++i) generator.next();
    FAIL() << "expected the held-out space to run dry";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "ran out of distinct add problems at level 1 in the heldout split after yielding"),
              std::string::npos)
        << e.what();
  }
}

TEST(Generator, MixCoversEveryTask) {
  std::set<Task> seen;
  for (const Problem& p : stream({all_tasks(), 2, Split::kTrain, 9}, 200)) seen.insert(p.task);
  EXPECT_EQ(seen.size(), std::size(kAllTasks));
}

TEST(Generator, BadConfigIsAnError) {
  EXPECT_THROW(ProblemGenerator({{}, 1, Split::kTrain, 0}), Error);
  EXPECT_THROW(ProblemGenerator({{Task::kAdd}, 0, Split::kTrain, 0}), Error);
  EXPECT_THROW(ProblemGenerator({{Task::kAdd}, kMaxLevel + 1, Split::kTrain, 0}), Error);
}

}  // namespace
}  // namespace seek::rl
