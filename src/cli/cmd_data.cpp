// seek data --task add|sub|mul|countdown|lineq|sort|mix --out FILE.jsonl [--level N] [--count N]
//           [--split train|heldout] [--seed S] [--unique]
//
// Writes reasoning problems as JSONL (rl/problem_json.h has the record), each with an R1-format
// worked solution for SFT and the operands its exact checker needs. --split chooses the side of the
// fixed train/held-out partition (rl/split.h): no seed ever puts a held-out problem in a train
// file. Held-out files never repeat a problem (an evaluation set with repeats weighs some problems
// twice); train files may, unless --unique. The file appears only when complete.
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "formats/file_writer.h"
#include "rl/generator.h"
#include "rl/problem_json.h"

namespace seek::cli {

namespace {

constexpr int64_t kMaxCount = 10'000'000;

std::vector<rl::Task> parse_tasks(const std::string& name) {
  if (name == "mix") return {std::begin(rl::kAllTasks), std::end(rl::kAllTasks)};
  const std::optional<rl::Task> task = rl::task_from_name(name);
  SEEK_CHECK(task.has_value(),
             "--task: unknown task '" << name << "' (expected add, sub, mul, countdown, lineq, sort or mix)");
  return {*task};
}

}  // namespace

int cmd_data(Args& args) {
  const std::optional<std::string> task_name = args.get("--task");
  const std::optional<std::string> out = args.get("--out");
  const int64_t level = args.get_int("--level", rl::kMinLevel);
  const int64_t count = args.get_int("--count", 1000);
  const std::string split_name = args.get_or("--split", "train");
  const int64_t seed = args.get_int("--seed", 0);
  const bool unique_flag = args.flag("--unique");
  args.finish();

  SEEK_CHECK(task_name.has_value(), "--task is required (add, sub, mul, countdown, lineq, sort or mix)");
  SEEK_CHECK(out.has_value() && !out->empty(), "--out FILE.jsonl is required");
  SEEK_CHECK(level >= rl::kMinLevel && level <= rl::kMaxLevel,
             "--level: " << level << " is outside " << rl::kMinLevel << ".." << rl::kMaxLevel);
  SEEK_CHECK(count >= 1 && count <= kMaxCount, "--count: " << count << " is outside 1.." << kMaxCount);
  const std::optional<rl::Split> split = rl::split_from_name(split_name);
  SEEK_CHECK(split.has_value(), "--split: unknown split '" << split_name << "' (expected train or heldout)");

  rl::GeneratorConfig config;
  config.tasks = parse_tasks(*task_name);
  config.level = static_cast<int>(level);
  config.split = *split;
  config.seed = static_cast<uint64_t>(seed);
  config.unique = unique_flag || *split == rl::Split::kHeldout;
  rl::ProblemGenerator generator(config);

  // Streamed, so a large set never sits in memory; if a draw throws, FileWriter removes its
  // temporary file and no partial output appears.
  FileWriter writer(*out);
  std::string line;
  for (int64_t i = 0; i < count; ++i) {
    line = rl::problem_to_json(generator.next()).dump();
    line.push_back('\n');
    writer.write(line.data(), line.size());
  }
  writer.commit();
  std::fprintf(stderr, "seek data: wrote %lld %s problems (%s, level %lld, seed %lld) to %s\n",
               static_cast<long long>(count), task_name->c_str(), split_name.c_str(),
               static_cast<long long>(level), static_cast<long long>(seed), out->c_str());
  return 0;
}

}  // namespace seek::cli
