// seek plot METRICS.jsonl [MORE.jsonl...] --out CHART.svg|CHART.png [--metric loss,ce,mtp]
//           [--log-y] [--smooth N] [--title TEXT] [--width 800] [--height 480]
//
// Line charts of the metrics that `seek train` / `seek rl` log (rl/plot.h has the format). Without
// --metric: every loss-like metric present (loss, ce, mtp, balance, *loss*), else the reward.
// --metric expert_load plots each MoE layer's load imbalance (max/mean expert share) over steps.
// The output format follows --out's extension; the file appears only when complete.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"
#include "formats/file_writer.h"
#include "rl/plot.h"

namespace seek::cli {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split_names(const std::vector<std::string>& values) {
  std::vector<std::string> names;
  for (const std::string& value : values) {  // --metric a,b and --metric a --metric b both work
    size_t begin = 0;
    while (begin <= value.size()) {
      size_t end = value.find(',', begin);
      if (end == std::string::npos) end = value.size();
      const std::string name = value.substr(begin, end - begin);
      SEEK_CHECK(!name.empty(), "--metric: empty metric name in '" << value << "'");
      names.push_back(name);
      begin = end + 1;
    }
  }
  return names;
}

}  // namespace

int cmd_plot(Args& args) {
  const std::optional<std::string> out = args.get("--out");
  const std::vector<std::string> metric_args = args.get_all("--metric");
  const bool log_y = args.flag("--log-y");
  const int64_t smooth = args.get_int("--smooth", 1);
  const std::optional<std::string> title = args.get("--title");
  const int64_t width = args.get_int("--width", 800);
  const int64_t height = args.get_int("--height", 480);
  const std::vector<std::string> inputs = args.positionals();
  args.finish();

  SEEK_CHECK(!inputs.empty(), "give one or more metrics files (seek plot METRICS.jsonl --out CHART.svg)");
  SEEK_CHECK(out.has_value() && !out->empty(), "--out CHART.svg or CHART.png is required");
  const bool png = ends_with(*out, ".png");
  SEEK_CHECK(png || ends_with(*out, ".svg"), "--out: '" << *out << "' must end in .svg or .png");
  SEEK_CHECK(smooth >= 1 && smooth <= 100000, "--smooth: " << smooth << " is outside 1..100000");
  SEEK_CHECK(width >= rl::kPlotMinSize && width <= 16384, "--width: " << width << " is outside " << rl::kPlotMinSize
                                                                      << "..16384");
  SEEK_CHECK(height >= rl::kPlotMinSize && height <= 16384,
             "--height: " << height << " is outside " << rl::kPlotMinSize << "..16384");

  std::vector<rl::MetricsFile> files;
  for (const std::string& path : inputs) files.push_back(rl::read_metrics_file(path));
  const std::vector<std::string> metrics = metric_args.empty() ? rl::default_metrics(files) : split_names(metric_args);

  rl::Chart chart;
  chart.series = rl::select_series(files, metrics);
  chart.style.width = static_cast<int>(width);
  chart.style.height = static_cast<int>(height);
  chart.style.log_y = log_y;
  chart.style.smooth = static_cast<int>(smooth);
  chart.style.title = title.value_or(inputs.size() == 1 ? inputs[0] : std::to_string(inputs.size()) + " runs");
  if (metrics.size() == 1) {
    chart.style.y_label = metrics[0] == "expert_load" ? "expert load max/mean" : metrics[0];
  }
  if (smooth > 1) chart.style.y_label += (chart.style.y_label.empty() ? "" : ", ") + ("smoothed over " + std::to_string(smooth));

  std::string svg;
  std::vector<uint8_t> png_bytes;
  if (png) {
    png_bytes = rl::render_png(chart);
  } else {
    svg = rl::render_svg(chart);
  }
  FileWriter writer(*out);
  if (png) {
    writer.write(png_bytes.data(), png_bytes.size());
  } else {
    writer.write(svg.data(), svg.size());
  }
  writer.commit();
  size_t points = 0;
  for (const rl::PlotSeries& s : chart.series) points += s.points.size();
  std::fprintf(stderr, "seek plot: %zu series, %zu points -> %s\n", chart.series.size(), points, out->c_str());
  return 0;
}

}  // namespace seek::cli
