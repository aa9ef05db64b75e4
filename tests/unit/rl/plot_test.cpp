// seek plot's library: metrics JSONL parsing and its errors, series selection, axis ticks, the SVG
// (well-formed, one polyline per series, every point inside the plot area) and the PNG (valid
// chunks and CRCs, checked with zlib's own crc32 and inflate).
#include <gtest/gtest.h>
#include <zlib.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <random>
#include <sstream>

#include "core/error.h"
#include "rl/plot.h"
#include "rl/plot_png.h"

namespace seek::rl {
namespace {

const char* const kRun =
    "{\"run\": \"tiny\", \"config\": {\"lr\": 0.001}}\n"
    "{\"step\": 0, \"loss\": 7.1, \"ce\": 6.9, \"mtp\": 7.0, \"balance\": 1.02, \"lr\": 0.0,"
    " \"tokens_per_s\": 5000, \"expert_load\": [[0.25, 0.25, 0.25, 0.25], [0.5, 0.25, 0.25, 0.0]]}\n"
    "\n"
    "{\"step\": 10, \"loss\": 5.2, \"ce\": 5.0, \"mtp\": 5.6, \"balance\": 1.01, \"lr\": 0.001, \"grad_norm\": null,"
    " \"expert_load\": [[0.4, 0.2, 0.2, 0.2], [0.25, 0.25, 0.25, 0.25]]}\n"
    "{\"step\": 20, \"loss\": 4.0, \"ce\": 3.9, \"mtp\": 4.4, \"balance\": 1.0, \"lr\": 0.001}\n"
    "{\"step\": 20, \"eval_accuracy\": 0.25, \"task\": \"add\"}\n"
    "{\"step\": 20, \"eval_accuracy\": 0.05, \"task\": \"countdown\"}\n"
    "{\"step\": 30, \"loss\": 3.5, \"ce\": 3.4, \"mtp\": 3.9, \"balance\": 1.0, \"lr\": 0.001}\n"
    "{\"step\": 40, \"eval_accuracy\": 0.5, \"task\": \"add\"}\n";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(PlotMetrics, ParsesRecordsSkippingHeadersBlanksAndNulls) {
  const MetricsFile f = parse_metrics_jsonl(kRun, "run.jsonl");
  ASSERT_EQ(f.records.size(), 7u);  // the header has no step
  EXPECT_EQ(f.records[0].line, 2);
  EXPECT_EQ(f.records[1].line, 4);  // line 3 is blank
  EXPECT_EQ(f.records[0].scalars.size(), 6u);
  EXPECT_EQ(f.records[0].scalars[0].first, "loss");
  EXPECT_EQ(f.records[0].expert_load.size(), 2u);
  for (const auto& [key, value] : f.records[1].scalars) EXPECT_NE(key, "grad_norm");  // null skipped
  EXPECT_EQ(f.records[3].task, "add");
  EXPECT_EQ(available_metrics({f}), (std::vector<std::string>{"loss", "ce", "mtp", "balance", "lr", "tokens_per_s",
                                                             "eval_accuracy", "expert_load"}));
  EXPECT_EQ(default_metrics({f}), (std::vector<std::string>{"loss", "ce", "mtp", "balance"}));
}

TEST(PlotMetrics, ErrorsNameFileLineAndMetric) {
  std::string e = error_of([] { parse_metrics_jsonl("{\"step\": 1, \"loss\": 2}\n{\"step\": 2, \"loss\": }\n", "m.jsonl"); });
  EXPECT_NE(e.find("m.jsonl:2: bad JSON line"), std::string::npos) << e;
  e = error_of([] { parse_metrics_jsonl("[1, 2]\n", "m.jsonl"); });
  EXPECT_NE(e.find("m.jsonl:1: expected a JSON object"), std::string::npos) << e;
  e = error_of([] { parse_metrics_jsonl("\n\n{\"step\": \"ten\"}\n", "m.jsonl"); });
  EXPECT_NE(e.find("m.jsonl:3: \"step\" must be a number"), std::string::npos) << e;
  e = error_of([] { parse_metrics_jsonl("{\"step\": 1, \"expert_load\": [[0.5, \"x\"]]}", "m.jsonl"); });
  EXPECT_NE(e.find("m.jsonl:1: \"expert_load\""), std::string::npos) << e;
  e = error_of([] { read_metrics_file("/nonexistent/metrics.jsonl"); });
  EXPECT_NE(e.find("/nonexistent/metrics.jsonl"), std::string::npos) << e;

  const MetricsFile f = parse_metrics_jsonl(kRun, "run.jsonl");
  e = error_of([&] { select_series({f}, {"loss", "acuracy"}); });
  EXPECT_NE(e.find("unknown metric 'acuracy'"), std::string::npos) << e;
  EXPECT_NE(e.find("eval_accuracy"), std::string::npos) << e;  // lists what is there
  const MetricsFile rl_only = parse_metrics_jsonl("{\"step\": 1, \"reward\": 0.5, \"kl\": 0.01}\n", "rl.jsonl");
  EXPECT_EQ(default_metrics({rl_only}), std::vector<std::string>{"reward"});
  const MetricsFile neither = parse_metrics_jsonl("{\"step\": 1, \"lr\": 0.5}\n", "x.jsonl");
  e = error_of([&] { default_metrics({neither}); });
  EXPECT_NE(e.find("--metric"), std::string::npos) << e;
}

TEST(PlotMetrics, SeriesPerTaskPerLayerAndPerFile) {
  const MetricsFile f = parse_metrics_jsonl(kRun, "runs/a.jsonl");
  std::vector<PlotSeries> s = select_series({f}, {"eval_accuracy"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].label, "eval_accuracy (add)");
  EXPECT_EQ(s[0].points.size(), 2u);
  EXPECT_EQ(s[1].label, "eval_accuracy (countdown)");

  s = select_series({f}, {"expert_load"});
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s[1].points.size(), 2u);
  EXPECT_DOUBLE_EQ(s[0].points[0].y, 1.0);  // perfectly balanced
  EXPECT_DOUBLE_EQ(s[0].points[1].y, 1.6);  // 0.4 / 0.25
  EXPECT_DOUBLE_EQ(s[1].points[0].y, 2.0);  // 0.5 / 0.25

  const MetricsFile g = parse_metrics_jsonl("{\"step\": 5, \"loss\": 2}\n{\"step\": 1, \"loss\": 3}\n", "runs/b.jsonl");
  s = select_series({f, g}, {"loss"});
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].label, "a: loss");
  EXPECT_EQ(s[1].label, "b: loss");
  EXPECT_EQ(s[1].points[0].x, 1);  // sorted by step
}

TEST(PlotChart, MovingAverageIsTrailing) {
  const std::vector<PlotPoint> in = {{0, 1}, {1, 3}, {2, 5}, {3, 7}};
  const std::vector<PlotPoint> out = moving_average(in, 2);
  EXPECT_DOUBLE_EQ(out[0].y, 1);
  EXPECT_DOUBLE_EQ(out[1].y, 2);
  EXPECT_DOUBLE_EQ(out[3].y, 6);
  EXPECT_EQ(out[3].x, 3);
  EXPECT_DOUBLE_EQ(moving_average(in, 100)[3].y, 4);
}

// True when v is k * 10^e for k in {1, 2, 5} (tick steps) up to rounding.
bool is_round_step(double v) {
  const double m = v / std::pow(10.0, std::floor(std::log10(v)));
  return std::fabs(m - 1) < 1e-9 || std::fabs(m - 2) < 1e-9 || std::fabs(m - 5) < 1e-9 || std::fabs(m - 10) < 1e-9;
}

TEST(PlotChart, TicksAreRoundAndCoverTheData) {
  Chart chart;
  chart.series = {{"a", {{3, 0.0123}, {997, 0.871}}}, {"b", {{10, 0.5}}}};
  const ChartLayout l = layout_chart(chart);
  for (const auto* ticks : {&l.x_ticks, &l.y_ticks}) {
    ASSERT_GE(ticks->size(), 3u);
    const double step = (*ticks)[1] - (*ticks)[0];
    EXPECT_TRUE(is_round_step(step)) << step;
    for (size_t i = 1; i < ticks->size(); ++i) EXPECT_NEAR((*ticks)[i] - (*ticks)[i - 1], step, step * 1e-9);
    EXPECT_NEAR(std::remainder(ticks->front(), step), 0.0, step * 1e-9);
  }
  EXPECT_LE(l.x_lo, 3);
  EXPECT_GE(l.x_hi, 997);
  EXPECT_LE(l.y_lo, 0.0123);
  EXPECT_GE(l.y_hi, 0.871);
  EXPECT_EQ(l.x_tick_labels.back(), "1000");
  EXPECT_EQ(l.y_tick_labels[1], "0.2");

  chart.style.log_y = true;
  const ChartLayout lg = layout_chart(chart);
  EXPECT_EQ(lg.y_tick_labels.front(), "0.01");
  EXPECT_EQ(lg.y_tick_labels.back(), "1");
  chart.series.push_back({"c", {{1, 0.0}}});
  const std::string e = error_of([&] { layout_chart(chart); });
  EXPECT_NE(e.find("--log-y: 'c'"), std::string::npos) << e;
}

// A small XML well-formedness check: matched tags, one root, quoted attributes, and '&' only in
// the five predefined entities.
bool well_formed_xml(const std::string& xml, std::string* why) {
  std::vector<std::string> stack;
  int roots = 0;
  const auto entity_ok = [&](size_t amp, size_t end) {
    for (const char* ent : {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"}) {
      if (xml.compare(amp, std::strlen(ent), ent) == 0 && amp + std::strlen(ent) <= end) return true;
    }
    return false;
  };
  size_t i = 0;
  while (i < xml.size()) {
    if (xml[i] != '<') {
      if (xml[i] == '&' && !entity_ok(i, xml.size())) return *why = "bad '&' at " + std::to_string(i), false;
      if (xml[i] == '>') return *why = "stray '>' at " + std::to_string(i), false;
      if (stack.empty() && !std::isspace(static_cast<unsigned char>(xml[i])))
        return *why = "text outside the root at " + std::to_string(i), false;
      ++i;
      continue;
    }
    if (xml.compare(i, 5, "<?xml") == 0) {
      const size_t end = xml.find("?>", i);
      if (end == std::string::npos || i != 0) return *why = "bad prolog", false;
      i = end + 2;
      continue;
    }
    // A tag: scan to its '>' outside quotes.
    size_t j = i + 1;
    bool quoted = false;
    for (; j < xml.size() && (quoted || xml[j] != '>'); ++j) {
      if (xml[j] == '"') quoted = !quoted;
      if (quoted && xml[j] == '<') return *why = "'<' in an attribute at " + std::to_string(j), false;
      if (quoted && xml[j] == '&' && !entity_ok(j, xml.size())) return *why = "bad '&' in attribute", false;
    }
    if (j >= xml.size()) return *why = "unterminated tag", false;
    std::string tag = xml.substr(i + 1, j - i - 1);
    i = j + 1;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return *why = "mismatched </" + tag.substr(1) + ">", false;
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    std::istringstream in(tag);
    std::string name;
    in >> name;
    // attributes: name="value" pairs
    const std::string rest = tag.substr(name.size());
    size_t k = 0;
    while (k < rest.size()) {
      if (std::isspace(static_cast<unsigned char>(rest[k]))) {
        ++k;
        continue;
      }
      const size_t eq = rest.find('=', k);
      if (eq == std::string::npos || eq + 1 >= rest.size() || rest[eq + 1] != '"')
        return *why = "unquoted attribute in <" + name + ">", false;
      const size_t close = rest.find('"', eq + 2);
      if (close == std::string::npos) return *why = "unterminated attribute", false;
      k = close + 1;
    }
    if (stack.empty()) ++roots;
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  if (roots != 1) return *why = std::to_string(roots) + " root elements", false;
  return true;
}

TEST(PlotSvg, XmlCheckerRejectsBrokenDocuments) {
  std::string why;
  EXPECT_TRUE(well_formed_xml("<?xml version=\"1.0\"?>\n<svg a=\"1\"><g/><t>x &amp; y</t></svg>\n", &why)) << why;
  for (const char* bad : {"<svg><g></svg>", "<svg a=1/>", "<svg>a & b</svg>", "<svg/><svg/>", "<svg>",
                          "<svg><t>a > b</t></svg>", "<svg a=\"<\"/>"}) {
    EXPECT_FALSE(well_formed_xml(bad, &why)) << bad;
  }
}

double attr(const std::string& tag, const std::string& name) {
  const size_t at = tag.find(" " + name + "=\"");
  EXPECT_NE(at, std::string::npos) << name << " in " << tag;
  return std::stod(tag.substr(at + name.size() + 3));
}

Chart sample_chart() {
  MetricsFile f = parse_metrics_jsonl(kRun, "run.jsonl");
  f.records.back().task = "<a&b>";  // labels are escaped
  Chart chart;
  chart.series = select_series({f}, {"loss", "ce", "mtp", "eval_accuracy"});
  chart.style.title = "run \"tiny\" & co";
  chart.style.y_label = "loss";
  return chart;
}

TEST(PlotSvg, WellFormedOnePolylinePerSeriesAllInsideThePlotArea) {
  for (bool log_y : {false, true}) {
    Chart chart = sample_chart();
    chart.style.log_y = log_y;
    chart.style.smooth = log_y ? 2 : 1;
    const std::string svg = render_svg(chart);
    std::string why;
    EXPECT_TRUE(well_formed_xml(svg, &why)) << why;
    EXPECT_NE(svg.find("&lt;a&amp;b&gt;"), std::string::npos);
    EXPECT_NE(svg.find("run &quot;tiny&quot; &amp; co"), std::string::npos);

    const size_t area_at = svg.find("<rect class=\"plot-area\"");
    ASSERT_NE(area_at, std::string::npos);
    const std::string area = svg.substr(area_at, svg.find('>', area_at) - area_at);
    const double x0 = attr(area, "x"), y0 = attr(area, "y");
    const double x1 = x0 + attr(area, "width"), y1 = y0 + attr(area, "height");
    int polylines = 0, points = 0;
    for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
      ++polylines;
      const size_t p = svg.find("points=\"", at) + 8;
      std::istringstream in(svg.substr(p, svg.find('"', p) - p));
      std::string pair;
      while (in >> pair) {
        const double x = std::stod(pair), y = std::stod(pair.substr(pair.find(',') + 1));
        EXPECT_TRUE(x >= x0 - 0.01 && x <= x1 + 0.01 && y >= y0 - 0.01 && y <= y1 + 0.01) << pair;
        ++points;
      }
    }
    EXPECT_EQ(polylines, static_cast<int>(chart.series.size()));  // loss, ce, mtp, 3 eval tasks
    EXPECT_EQ(polylines, 6);
    EXPECT_EQ(points, 4 + 4 + 4 + 2 + 2 + 2);  // a one-point series is drawn as a dot (two equal points)
  }
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3]; }

TEST(PlotPng, ChunksCrcsAndPixelsCheckOutWithZlib) {
  Chart chart = sample_chart();
  chart.style.width = 640;
  chart.style.height = 360;
  const std::vector<uint8_t> png = render_png(chart);
  const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  ASSERT_GT(png.size(), 8u);
  ASSERT_EQ(std::memcmp(png.data(), signature, 8), 0);
  std::vector<std::string> types;
  std::vector<uint8_t> idat, ihdr;
  for (size_t at = 8; at < png.size();) {
    ASSERT_LE(at + 12, png.size());
    const uint32_t len = be32(&png[at]);
    ASSERT_LE(at + 12 + len, png.size());
    const std::string type(reinterpret_cast<const char*>(&png[at + 4]), 4);
    const uint32_t crc = static_cast<uint32_t>(::crc32(0L, &png[at + 4], len + 4));
    EXPECT_EQ(be32(&png[at + 8 + len]), crc) << type;
    types.push_back(type);
    std::vector<uint8_t>& dest = type == "IDAT" ? idat : ihdr;
    if (type == "IDAT" || type == "IHDR") dest.insert(dest.end(), &png[at + 8], &png[at + 8 + len]);
    at += 12 + len;
  }
  ASSERT_EQ(types, (std::vector<std::string>{"IHDR", "IDAT", "IEND"}));
  ASSERT_EQ(ihdr.size(), 13u);
  EXPECT_EQ(be32(&ihdr[0]), 640u);
  EXPECT_EQ(be32(&ihdr[4]), 360u);
  EXPECT_EQ(ihdr[8], 8);  // bit depth
  EXPECT_EQ(ihdr[9], 2);  // RGB

  const size_t stride = 640 * 3 + 1;
  std::vector<uint8_t> raw(stride * 360 + 16);
  uLongf raw_size = raw.size();
  ASSERT_EQ(::uncompress(raw.data(), &raw_size, idat.data(), idat.size()), Z_OK);
  ASSERT_EQ(raw_size, stride * 360);
  EXPECT_LT(png.size(), raw_size / 8) << "a chart should compress well";
  const auto pixel = [&](int x, int y) { return &raw[y * stride + 1 + x * 3]; };
  for (int y = 0; y < 360; ++y) EXPECT_EQ(raw[y * stride], 0) << "filter byte of row " << y;
  EXPECT_EQ(pixel(0, 0)[0], 255);  // white background
  // Every series colour appears fully saturated (its legend swatch); the lines of the series with
  // several points, inside the plot area.
  const ChartLayout l = layout_chart(chart);
  const auto color_in = [&](size_t series, int x0, int y0, int x1, int y1) {
    unsigned r, g, b;
    std::sscanf(series_color(series), "#%02x%02x%02x", &r, &g, &b);
    for (int y = y0; y <= y1; ++y) {
      for (int x = x0; x <= x1; ++x) {
        const uint8_t* p = pixel(x, y);
        if (p[0] == r && p[1] == g && p[2] == b) return true;
      }
    }
    return false;
  };
  for (size_t i = 0; i < chart.series.size(); ++i) {
    EXPECT_TRUE(color_in(i, 0, 0, 639, 359)) << chart.series[i].label;
    if (chart.series[i].points.size() > 1) {
      EXPECT_TRUE(color_in(i, static_cast<int>(l.plot_left), static_cast<int>(l.plot_top),
                           static_cast<int>(l.plot_right), static_cast<int>(l.plot_bottom)))
          << chart.series[i].label;
    }
  }
}

TEST(PlotPng, DeflateRoundTripsThroughZlib) {
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> inputs = {{}, {42}, std::vector<uint8_t>(100000, 255)};
  std::vector<uint8_t> mixed;
  for (int i = 0; i < 40000; ++i) {  // random bytes, long runs, and repeats at distances up to 32K
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 0) mixed.push_back(static_cast<uint8_t>(rng()));
    if (kind == 1) mixed.insert(mixed.end(), rng() % 300, static_cast<uint8_t>(rng()));
    if (kind == 2 && mixed.size() > 40000) {
      const size_t from = mixed.size() - 1 - rng() % 32768, n = 3 + rng() % 300;
      for (size_t k = 0; k < n; ++k) mixed.push_back(mixed[from + k]);
    }
  }
  inputs.push_back(mixed);
  for (const std::vector<uint8_t>& in : inputs) {
    const std::vector<uint8_t> z = zlib_compress(in.data(), in.size());
    std::vector<uint8_t> back(in.size() + 1);
    uLongf n = back.size();
    ASSERT_EQ(::uncompress(back.data(), &n, z.data(), z.size()), Z_OK) << in.size();
    ASSERT_EQ(n, in.size());
    EXPECT_TRUE(std::equal(in.begin(), in.end(), back.begin())) << in.size();
    EXPECT_EQ(png_crc32(in.data(), in.size()), static_cast<uint32_t>(::crc32(0L, in.data(), in.size())));
  }
}

}  // namespace
}  // namespace seek::rl
