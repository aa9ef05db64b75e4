// Line charts of training metrics: the library side of `seek plot`.
//
// Input: metrics JSONL as `seek train` / `seek rl` write it, one object per line:
//   {"step": 10, "loss": 3.21, "ce": 3.1, "lr": 0.001, "grad_norm": 1.3,
//    "expert_load": [[0.12, 0.13, ...], ...]}        per MoE layer, each expert's share of the slots
//   {"step": 100, "eval_accuracy": 0.42, "task": "add"}   eval lines; "task" labels their series
// Every numeric field except "step" is a metric; null values are skipped (a trainer writes null for
// NaN); objects without "step" (a run header) are ignored. The derived metric "expert_load" is the
// load imbalance max_i(load_i) / mean_i(load_i) of each MoE layer, one series per layer.
//
// Output: one chart (x = step) as hand-written SVG, or as PNG through a small rasteriser and encoder
// (plot_png.h). Both renderers draw the same ChartLayout, so the two pictures have the same
// geometry. Everything here is pure (no globals); errors throw seek::Error naming the file, line
// or metric at fault.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace seek::rl {

// One object of a metrics file that has a "step".
struct MetricsRecord {
  int64_t line = 0;                                      // 1-based line number in its file
  double step = 0;                                       // "step"
  std::string task;                                      // "task" of eval lines, else empty
  std::vector<std::pair<std::string, double>> scalars;   // other finite numeric fields, file order
  std::vector<std::vector<double>> expert_load;          // [moe_layer][expert], empty when absent
};

struct MetricsFile {
  std::string path;                    // as given; error messages and series labels use it
  std::vector<MetricsRecord> records;  // in file order
};

// Parses JSONL text; `path` only names the source in errors ("PATH:LINE: ...").
MetricsFile parse_metrics_jsonl(std::string_view text, const std::string& path);
// Reads and parses a file; a missing or unreadable file is an error naming it.
MetricsFile read_metrics_file(const std::string& path);

// Metric names present in the files (first-seen order), "expert_load" last if any file has it.
std::vector<std::string> available_metrics(const std::vector<MetricsFile>& files);
// The default chart: every loss-like metric present ("loss", "ce", "mtp", "balance", any name
// containing "loss"); else "reward"; else an error listing what the files have.
std::vector<std::string> default_metrics(const std::vector<MetricsFile>& files);

struct PlotPoint {
  double x;  // step
  double y;  // value
};

struct PlotSeries {
  std::string label;               // legend text
  std::vector<PlotPoint> points;   // sorted by x (stable: a resumed run keeps file order)
};

// One series per (file, metric, task) -- per (file, MoE layer) for "expert_load". With several
// files, labels start with the file's name. A metric no file has is an error listing those present.
std::vector<PlotSeries> select_series(const std::vector<MetricsFile>& files,
                                      const std::vector<std::string>& metrics);

struct ChartStyle {
  int width = 800;       // pixels (SVG user units)
  int height = 480;
  bool log_y = false;    // log10 y axis; every plotted value must be > 0
  int smooth = 1;        // trailing moving average over this many points (1 = raw)
  std::string title;     // above the plot; may be empty
  std::string y_label;   // above the y axis; may be empty
};

struct Chart {
  std::vector<PlotSeries> series;
  ChartStyle style;
};

// Where everything goes, in pixels, and the axes in "axis space" (y is log10(value) when log_y).
// Computed once from a chart; the renderers only draw what it says.
struct ChartLayout {
  double plot_left = 0, plot_top = 0, plot_right = 0, plot_bottom = 0;  // plot area, pixels
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;                        // axis ranges, axis space
  std::vector<double> x_ticks, y_ticks;                                 // axis space, inside ranges
  std::vector<std::string> x_tick_labels, y_tick_labels;                // one per tick
  std::vector<PlotSeries> series;     // smoothed, y in axis space, non-empty series only
  double legend_left = 0, legend_top = 0;  // first legend row's top-left corner
  double px(double x) const { return plot_left + (x - x_lo) / (x_hi - x_lo) * (plot_right - plot_left); }
  double py(double y) const { return plot_bottom - (y - y_lo) / (y_hi - y_lo) * (plot_bottom - plot_top); }
};

constexpr int kPlotCharWidth = 7;     // text metrics both renderers lay out with (12px sans-serif)
constexpr int kPlotLegendRow = 18;    // legend line height
constexpr int kPlotLegendSwatch = 22; // length of a legend's line sample
constexpr int kPlotTickLength = 5;
constexpr int kPlotMinSize = 200;     // smallest --width / --height that leaves room for a plot

ChartLayout layout_chart(const Chart& chart);

// Trailing moving average: point i becomes the mean of points max(0, i-window+1)..i.
std::vector<PlotPoint> moving_average(const std::vector<PlotPoint>& points, int window);

// "#rrggbb" of series i (a fixed 10-colour palette, repeating).
const char* series_color(size_t index);

std::string render_svg(const Chart& chart);
// PNG bytes: 8-bit RGB, width x height.
std::vector<uint8_t> render_png(const Chart& chart);

}  // namespace seek::rl
