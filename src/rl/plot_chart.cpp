// Chart geometry (axes with round-number ticks, plot area, legend) and the SVG renderer (plot.h).
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "rl/plot.h"

namespace seek::rl {

namespace {

constexpr int kTargetTicks = 6;     // about this many ticks per axis
constexpr int kMarginTop = 44;      // title line + y-label line
constexpr int kMarginBottom = 46;   // x tick labels + "step"

// 1, 2 or 5 times a power of ten, close to range / target.
double nice_step(double range, int target) {
  const double raw = range / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / magnitude;
  return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * magnitude;
}

std::string format_number(double v, int decimals) {
  char buf[48];
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-4)) {
    std::snprintf(buf, sizeof buf, "%g", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  }
  return buf;
}

struct Axis {
  double lo, hi;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

// Linear axis: the data range widened to whole tick steps; `integral` keeps steps >= 1 (x = step).
Axis linear_axis(double lo, double hi, bool integral) {
  if (hi - lo <= 1e-12 * std::max(1.0, std::fabs(hi))) {  // one value: centre it in a unit range
    const double pad = integral ? 1.0 : std::max(std::fabs(lo) * 0.1, 1e-3);
    lo -= pad;
    hi += pad;
  }
  double step = nice_step(hi - lo, kTargetTicks);
  if (integral) step = std::max(step, 1.0);
  Axis axis;
  axis.lo = std::floor(lo / step + 1e-9) * step;
  axis.hi = std::ceil(hi / step - 1e-9) * step;
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  const int n = static_cast<int>(std::lround((axis.hi - axis.lo) / step));
  for (int i = 0; i <= n; ++i) {
    double v = axis.lo + i * step;
    if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0.00"
    axis.ticks.push_back(v);
    axis.labels.push_back(format_number(v, decimals));
  }
  return axis;
}

// Log axis over log10 values: whole decades, plus 2x and 5x ticks when it spans one or two.
Axis log_axis(double lo, double hi) {
  Axis axis;
  axis.lo = std::floor(lo + 1e-9);
  axis.hi = std::max(std::ceil(hi - 1e-9), axis.lo + 1);
  const int decades = static_cast<int>(axis.hi - axis.lo);
  const int every = std::max(1, decades / kTargetTicks);
  for (int e = static_cast<int>(axis.lo); e <= static_cast<int>(axis.hi); e += every) {
    for (double mult : {1.0, 2.0, 5.0}) {
      if (mult != 1.0 && (decades > 2 || e == static_cast<int>(axis.hi))) continue;
      const double value = mult * std::pow(10.0, e);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", value);
      axis.ticks.push_back(std::log10(value));
      axis.labels.push_back(buf);
    }
  }
  return axis;
}

size_t longest(const std::vector<std::string>& texts) {
  size_t n = 0;
  for (const std::string& t : texts) n = std::max(n, t.size());
  return n;
}

void append_escaped(std::string& out, const std::string& text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') out += c;  // XML 1.0 forbids other controls
    }
  }
}

std::string fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

void svg_text(std::string& out, double x, double y, const char* anchor, const std::string& text,
              const char* extra = "") {
  out += "<text x=\"" + fmt("%.1f", x) + "\" y=\"" + fmt("%.1f", y) + "\" text-anchor=\"" + anchor + "\"" + extra + ">";
  append_escaped(out, text);
  out += "</text>\n";
}

void svg_line(std::string& out, double x1, double y1, double x2, double y2) {
  out += "<line x1=\"" + fmt("%.1f", x1) + "\" y1=\"" + fmt("%.1f", y1) + "\" x2=\"" + fmt("%.1f", x2) + "\" y2=\"" +
         fmt("%.1f", y2) + "\"/>\n";
}

}  // namespace

const char* series_color(size_t index) {
  static const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                         "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[index % 10];
}

std::vector<PlotPoint> moving_average(const std::vector<PlotPoint>& points, int window) {
  SEEK_CHECK(window >= 1, "--smooth: window " << window << " must be >= 1");
  std::vector<PlotPoint> out(points.size());
  double sum = 0;
  for (size_t i = 0; i < points.size(); ++i) {
    sum += points[i].y;
    if (i >= static_cast<size_t>(window)) sum -= points[i - window].y;
    const size_t n = std::min(i + 1, static_cast<size_t>(window));
    out[i] = {points[i].x, sum / static_cast<double>(n)};
  }
  return out;
}

ChartLayout layout_chart(const Chart& chart) {
  const ChartStyle& style = chart.style;
  SEEK_CHECK(style.width >= kPlotMinSize && style.height >= kPlotMinSize && style.width <= 16384 &&
                 style.height <= 16384,
             "chart size " << style.width << "x" << style.height << " is outside " << kPlotMinSize << ".." << 16384);
  ChartLayout layout;
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  bool integral_x = true;
  for (const PlotSeries& s : chart.series) {
    if (s.points.empty()) continue;
    PlotSeries shown{s.label, moving_average(s.points, style.smooth)};
    for (PlotPoint& p : shown.points) {
      if (style.log_y) {
        SEEK_CHECK(p.y > 0, "--log-y: '" << s.label << "' has the value " << p.y << " at step " << p.x
                                         << " (a log axis needs values > 0)");
        p.y = std::log10(p.y);
      }
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_min = std::min(y_min, p.y);
      y_max = std::max(y_max, p.y);
      integral_x = integral_x && p.x == std::floor(p.x);
    }
    layout.series.push_back(std::move(shown));
  }
  SEEK_CHECK(!layout.series.empty(), "nothing to plot: the chosen metrics have no values");

  const Axis x_axis = linear_axis(x_min, x_max, integral_x);
  const Axis y_axis = style.log_y ? log_axis(y_min, y_max) : linear_axis(y_min, y_max, false);
  layout.x_lo = x_axis.lo;
  layout.x_hi = x_axis.hi;
  layout.x_ticks = x_axis.ticks;
  layout.x_tick_labels = x_axis.labels;
  layout.y_lo = y_axis.lo;
  layout.y_hi = y_axis.hi;
  layout.y_ticks = y_axis.ticks;
  layout.y_tick_labels = y_axis.labels;

  std::vector<std::string> labels;
  for (const PlotSeries& s : layout.series) labels.push_back(s.label);
  const double legend_width = kPlotLegendSwatch + 8 + static_cast<double>(longest(labels)) * kPlotCharWidth;
  layout.plot_left = 16 + static_cast<double>(longest(layout.y_tick_labels)) * kPlotCharWidth + kPlotTickLength;
  layout.plot_top = kMarginTop;
  layout.plot_bottom = style.height - kMarginBottom;
  // The legend sits right of the plot; it may take at most half of the width.
  const double legend_space = std::min(legend_width + 24, style.width / 2.0);
  layout.plot_right = style.width - legend_space;
  layout.legend_left = layout.plot_right + 16;
  layout.legend_top = layout.plot_top;
  SEEK_CHECK(layout.plot_right - layout.plot_left >= 40,
             "chart width " << style.width << " leaves no room for the plot; use a larger --width");
  return layout;
}

std::string render_svg(const Chart& chart) {
  const ChartLayout l = layout_chart(chart);
  const ChartStyle& style = chart.style;
  std::string out;
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(style.width) + "\" height=\"" +
         std::to_string(style.height) + "\" viewBox=\"0 0 " + std::to_string(style.width) + " " +
         std::to_string(style.height) + "\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\">\n";
  out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!style.title.empty()) svg_text(out, style.width / 2.0, 18, "middle", style.title, " font-size=\"14\"");
  if (!style.y_label.empty()) svg_text(out, l.plot_left, l.plot_top - 8, "start", style.y_label);
  svg_text(out, (l.plot_left + l.plot_right) / 2, style.height - 10, "middle", "step");

  out += "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";  // grid
  for (double t : l.x_ticks) svg_line(out, l.px(t), l.plot_top, l.px(t), l.plot_bottom);
  for (double t : l.y_ticks) svg_line(out, l.plot_left, l.py(t), l.plot_right, l.py(t));
  out += "</g>\n<g stroke=\"black\" stroke-width=\"1\">\n";  // ticks
  for (double t : l.x_ticks) svg_line(out, l.px(t), l.plot_bottom, l.px(t), l.plot_bottom + kPlotTickLength);
  for (double t : l.y_ticks) svg_line(out, l.plot_left - kPlotTickLength, l.py(t), l.plot_left, l.py(t));
  out += "</g>\n";
  for (size_t i = 0; i < l.x_ticks.size(); ++i) {
    svg_text(out, l.px(l.x_ticks[i]), l.plot_bottom + kPlotTickLength + 14, "middle", l.x_tick_labels[i]);
  }
  for (size_t i = 0; i < l.y_ticks.size(); ++i) {
    svg_text(out, l.plot_left - kPlotTickLength - 3, l.py(l.y_ticks[i]) + 4, "end", l.y_tick_labels[i]);
  }
  out += "<rect class=\"plot-area\" x=\"" + fmt("%.1f", l.plot_left) + "\" y=\"" + fmt("%.1f", l.plot_top) +
         "\" width=\"" + fmt("%.1f", l.plot_right - l.plot_left) + "\" height=\"" +
         fmt("%.1f", l.plot_bottom - l.plot_top) + "\" fill=\"none\" stroke=\"black\"/>\n";

  out += "<g fill=\"none\" stroke-width=\"1.5\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n";
  for (size_t i = 0; i < l.series.size(); ++i) {
    out += "<polyline stroke=\"" + std::string(series_color(i)) + "\" points=\"";
    std::vector<PlotPoint> pts = l.series[i].points;
    if (pts.size() == 1) pts.push_back(pts[0]);  // a zero-length line with round caps shows as a dot
    for (const PlotPoint& p : pts) out += fmt("%.2f", l.px(p.x)) + "," + fmt("%.2f", l.py(p.y)) + " ";
    out.pop_back();
    out += "\"><title>";
    append_escaped(out, l.series[i].label);
    out += "</title></polyline>\n";
  }
  out += "</g>\n<g class=\"legend\">\n";
  for (size_t i = 0; i < l.series.size(); ++i) {
    const double y = l.legend_top + i * kPlotLegendRow + kPlotLegendRow / 2.0;
    out += "<line x1=\"" + fmt("%.1f", l.legend_left) + "\" y1=\"" + fmt("%.1f", y) + "\" x2=\"" +
           fmt("%.1f", l.legend_left + kPlotLegendSwatch) + "\" y2=\"" + fmt("%.1f", y) + "\" stroke=\"" +
           series_color(i) + "\" stroke-width=\"2.5\"/>\n";
    svg_text(out, l.legend_left + kPlotLegendSwatch + 6, y + 4, "start", l.series[i].label);
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace seek::rl
