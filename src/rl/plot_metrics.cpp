// Metrics JSONL -> records -> the series of a chart (plot.h).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "core/mmap_file.h"
#include "rl/plot.h"

namespace seek::rl {

namespace {

constexpr const char* kExpertLoad = "expert_load";

// nlohmann's messages start with "[json.exception.parse_error.101] "; the rest is the useful part.
std::string short_json_error(const std::string& what) {
  const size_t close = what.find("] ");
  return close == std::string::npos ? what : what.substr(close + 2);
}

std::vector<std::vector<double>> parse_expert_load(const nlohmann::ordered_json& value, const std::string& where) {
  SEEK_CHECK(value.is_array(), where << ": \"expert_load\" must be an array of per-layer arrays");
  std::vector<std::vector<double>> layers;
  for (const nlohmann::ordered_json& layer : value) {
    SEEK_CHECK(layer.is_array() && !layer.empty(),
               where << ": \"expert_load\" must be an array of non-empty per-layer arrays");
    std::vector<double>& loads = layers.emplace_back();
    for (const nlohmann::ordered_json& x : layer) {
      SEEK_CHECK(x.is_number(), where << ": \"expert_load\" holds a non-number " << x.dump());
      loads.push_back(x.get<double>());
    }
  }
  return layers;
}

// max/mean of one layer's loads; NaN when the mean is not positive (nothing routed).
double imbalance(const std::vector<double>& loads) {
  double sum = 0, max = loads[0];
  for (double x : loads) {
    sum += x;
    max = std::max(max, x);
  }
  const double mean = sum / static_cast<double>(loads.size());
  return mean > 0 ? max / mean : std::nan("");
}

bool is_loss_like(const std::string& name) {
  return name == "loss" || name == "ce" || name == "mtp" || name == "balance" ||
         name.find("loss") != std::string::npos;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "no metrics" : out;
}

// The file's name without directory and extension: the series prefix when plotting several files.
std::string file_stem(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

void sort_points(std::vector<PlotPoint>& points) {
  std::stable_sort(points.begin(), points.end(), [](const PlotPoint& a, const PlotPoint& b) { return a.x < b.x; });
}

}  // namespace

MetricsFile parse_metrics_jsonl(std::string_view text, const std::string& path) {
  MetricsFile file{path, {}};
  size_t begin = 0;
  for (int64_t line_no = 1; begin < text.size(); ++line_no) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = path + ":" + std::to_string(line_no);
    nlohmann::ordered_json object;
    try {
      object = nlohmann::ordered_json::parse(line);
    } catch (const nlohmann::ordered_json::parse_error& e) {
      SEEK_FAIL(where << ": bad JSON line: " << short_json_error(e.what()));
    }
    SEEK_CHECK(object.is_object(), where << ": expected a JSON object, got " << object.type_name());
    const auto step = object.find("step");
    if (step == object.end()) continue;  // a header or summary line, not a point
    SEEK_CHECK(step->is_number(), where << ": \"step\" must be a number, got " << step->dump());
    MetricsRecord record;
    record.line = line_no;
    record.step = step->get<double>();
    SEEK_CHECK(std::isfinite(record.step), where << ": \"step\" is not finite");
    for (const auto& [key, value] : object.items()) {
      if (key == "step") continue;
      if (key == kExpertLoad) {
        record.expert_load = parse_expert_load(value, where);
      } else if (key == "task" && value.is_string()) {
        record.task = value.get<std::string>();
      } else if (value.is_number() && std::isfinite(value.get<double>())) {
        record.scalars.emplace_back(key, value.get<double>());
      }
      // strings, booleans, null (NaN written by a trainer) and nested values are not metrics
    }
    file.records.push_back(std::move(record));
  }
  return file;
}

MetricsFile read_metrics_file(const std::string& path) {
  return parse_metrics_jsonl(read_file(path), path);
}

std::vector<std::string> available_metrics(const std::vector<MetricsFile>& files) {
  std::vector<std::string> names;
  std::set<std::string> seen;
  bool has_load = false;
  for (const MetricsFile& file : files) {
    for (const MetricsRecord& r : file.records) {
      has_load = has_load || !r.expert_load.empty();
      for (const auto& [key, value] : r.scalars) {
        if (seen.insert(key).second) names.push_back(key);
      }
    }
  }
  if (has_load) names.push_back(kExpertLoad);
  return names;
}

std::vector<std::string> default_metrics(const std::vector<MetricsFile>& files) {
  const std::vector<std::string> all = available_metrics(files);
  std::vector<std::string> chosen;
  for (const std::string& name : all) {
    if (is_loss_like(name)) chosen.push_back(name);
  }
  if (chosen.empty() && std::find(all.begin(), all.end(), "reward") != all.end()) chosen.push_back("reward");
  SEEK_CHECK(!chosen.empty(), "no loss-like metric or reward in the files; choose one with --metric (the files have: "
                                  << joined(all) << ")");
  return chosen;
}

std::vector<PlotSeries> select_series(const std::vector<MetricsFile>& files,
                                      const std::vector<std::string>& metrics) {
  std::vector<PlotSeries> out;
  const std::vector<std::string> all = available_metrics(files);
  for (const std::string& metric : metrics) {
    SEEK_CHECK(std::find(all.begin(), all.end(), metric) != all.end(),
               "unknown metric '" << metric << "' (the files have: " << joined(all) << ")");
    for (const MetricsFile& file : files) {
      const std::string prefix = files.size() > 1 ? file_stem(file.path) + ": " : "";
      if (metric == kExpertLoad) {
        std::vector<PlotSeries> layers;
        for (const MetricsRecord& r : file.records) {
          for (size_t layer = 0; layer < r.expert_load.size(); ++layer) {
            if (layers.size() <= layer) {
              layers.push_back({prefix + "moe layer " + std::to_string(layer) + " max/mean", {}});
            }
            const double y = imbalance(r.expert_load[layer]);
            if (std::isfinite(y)) layers[layer].points.push_back({r.step, y});
          }
        }
        for (PlotSeries& s : layers) {
          sort_points(s.points);
          if (!s.points.empty()) out.push_back(std::move(s));
        }
        continue;
      }
      // One series per task, in first-seen order ("" = lines without a task).
      std::vector<PlotSeries> by_task;
      std::vector<std::string> tasks;
      for (const MetricsRecord& r : file.records) {
        for (const auto& [key, value] : r.scalars) {
          if (key != metric) continue;
          size_t t = std::find(tasks.begin(), tasks.end(), r.task) - tasks.begin();
          if (t == tasks.size()) {
            tasks.push_back(r.task);
            by_task.push_back({prefix + metric + (r.task.empty() ? "" : " (" + r.task + ")"), {}});
          }
          by_task[t].points.push_back({r.step, value});
        }
      }
      for (PlotSeries& s : by_task) {
        sort_points(s.points);
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

}  // namespace seek::rl
