#include "rl/problem_json.h"

#include <cstdint>

#include "core/error.h"

namespace seek::rl {

nlohmann::ordered_json problem_to_json(const Problem& problem) {
  nlohmann::ordered_json record = {
      {"id", problem.id},         {"task", std::string(task_name(problem.task))},
      {"level", problem.level},   {"prompt", problem.prompt},
      {"answer", problem.answer}, {"operands", problem.operands},
  };
  if (problem.task == Task::kCountdown) record["target"] = problem.target;
  record["messages"] =
      nlohmann::ordered_json::array({{{"role", "user"}, {"content", problem.prompt}},
                                     {{"role", "assistant"}, {"content", assistant_content(problem)}}});
  return record;
}

Problem problem_from_json(const nlohmann::json& record) {
  SEEK_CHECK(record.is_object(), "problem record is not a JSON object");
  const auto field = [&](const char* name) -> const nlohmann::json& {
    const auto it = record.find(name);
    SEEK_CHECK(it != record.end(), "problem record has no \"" << name << "\"");
    return *it;
  };
  const nlohmann::json& task_field = field("task");
  SEEK_CHECK(task_field.is_string(), "problem record: \"task\" is not a string");
  const std::optional<Task> task = task_from_name(task_field.get<std::string>());
  SEEK_CHECK(task.has_value(), "problem record: unknown task '" << task_field.get<std::string>() << "'");
  const nlohmann::json& level = field("level");
  SEEK_CHECK(
      level.is_number_integer() && level.get<int64_t>() >= kMinLevel && level.get<int64_t>() <= kMaxLevel,
      "problem record: \"level\" " << level.dump() << " is not an integer in " << kMinLevel << ".."
                                   << kMaxLevel);
  const nlohmann::json& operands = field("operands");
  SEEK_CHECK(operands.is_array(), "problem record: \"operands\" is not an array");
  std::vector<int64_t> values;
  for (const nlohmann::json& v : operands) {
    SEEK_CHECK(v.is_number_integer() && (v.is_number_unsigned() ? v.get<uint64_t>() <= INT64_MAX : true),
               "problem record: \"operands\" holds " << v.dump() << ", not a 64-bit integer");
    values.push_back(v.get<int64_t>());
  }
  int64_t target = 0;
  if (*task == Task::kCountdown) {
    const nlohmann::json& t = field("target");
    SEEK_CHECK(t.is_number_integer() && (t.is_number_unsigned() ? t.get<uint64_t>() <= INT64_MAX : true),
               "problem record: \"target\" " << t.dump() << " is not a 64-bit integer");
    target = t.get<int64_t>();
  }
  Problem problem = make_problem(*task, static_cast<int>(level.get<int64_t>()), std::move(values), target);
  const nlohmann::json& prompt = field("prompt");
  SEEK_CHECK(prompt.is_string() && prompt.get<std::string>() == problem.prompt,
             "problem record " << problem.id << ": \"prompt\" differs from the one its operands give");
  return problem;
}

}  // namespace seek::rl
