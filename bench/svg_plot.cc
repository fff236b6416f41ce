#include "bench/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "bench/size_list.h"

namespace bench {
namespace {

constexpr double kWidth = 720, kHeight = 440;
constexpr double kLeft = 70, kRight = 170, kTop = 40, kBottom = 60;
const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else out += c;
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string TickLabel(double v, bool size) {
  if (size) return FormatSize(static_cast<size_t>(std::llround(v)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string RenderLinePlot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  double x_min = INFINITY, x_max = -INFINITY, y_max = 0;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      if (spec.log_x && p.x <= 0) continue;
      x_min = std::min(x_min, p.x);
      x_max = std::max(x_max, p.x);
      y_max = std::max({y_max, p.y, p.y_high});
    }
  }
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kWidth / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << Escape(spec.title)
      << "</text>\n";
  if (!(x_min <= x_max)) {
    svg << "<text x=\"" << kWidth / 2 << "\" y=\"" << kHeight / 2 << "\" text-anchor=\"middle\">no data</text>\n</svg>\n";
    return svg.str();
  }
  auto tx = [&](double x) {
    double a = spec.log_x ? std::log(x) / std::log(spec.x_log_base) : x;
    double lo = spec.log_x ? std::log(x_min) / std::log(spec.x_log_base) : x_min;
    double hi = spec.log_x ? std::log(x_max) / std::log(spec.x_log_base) : x_max;
    if (spec.log_x) {
      lo = std::floor(lo);
      hi = std::ceil(hi);
    }
    double span = hi > lo ? hi - lo : 1;
    return kLeft + (a - lo) / span * (kWidth - kLeft - kRight);
  };
  // Round the y axis up to a multiple of a 1-2-5 step, five or so ticks.
  double y_step = 1;
  double y_top = spec.y_max;
  if (y_top <= 0) {
    double raw = (y_max > 0 ? y_max : 1) / 5;
    double magnitude = std::pow(10, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
      y_step = m * magnitude;
      if (y_step >= raw) break;
    }
    y_top = std::ceil(y_max / y_step) * y_step;
    if (y_top <= 0) y_top = y_step;
  } else {
    y_step = y_top / 5;
  }
  auto ty = [&](double y) { return kHeight - kBottom - y / y_top * (kHeight - kTop - kBottom); };

  // Axes and ticks.
  svg << "<g stroke=\"#444\">\n<line x1=\"" << kLeft << "\" y1=\"" << kHeight - kBottom << "\" x2=\""
      << kWidth - kRight << "\" y2=\"" << kHeight - kBottom << "\"/>\n<line x1=\"" << kLeft << "\" y1=\"" << kTop
      << "\" x2=\"" << kLeft << "\" y2=\"" << kHeight - kBottom << "\"/>\n</g>\n";
  if (spec.log_x) {
    double lo = std::floor(std::log(x_min) / std::log(spec.x_log_base));
    double hi = std::ceil(std::log(x_max) / std::log(spec.x_log_base));
    int step = std::max(1, static_cast<int>((hi - lo) / 8));
    for (double e = lo; e <= hi; e += step) {
      double x = std::pow(spec.x_log_base, e);
      svg << "<line x1=\"" << Num(tx(x)) << "\" y1=\"" << kHeight - kBottom << "\" x2=\"" << Num(tx(x)) << "\" y2=\""
          << kTop << "\" stroke=\"#eee\"/>\n<text x=\"" << Num(tx(x)) << "\" y=\"" << kHeight - kBottom + 16
          << "\" text-anchor=\"middle\">" << TickLabel(x, spec.x_is_size) << "</text>\n";
    }
  }
  for (double y = 0; y <= y_top * (1 + 1e-9); y += y_step) {
    svg << "<line x1=\"" << kLeft << "\" y1=\"" << Num(ty(y)) << "\" x2=\"" << kWidth - kRight << "\" y2=\""
        << Num(ty(y)) << "\" stroke=\"#eee\"/>\n<text x=\"" << kLeft - 6 << "\" y=\"" << Num(ty(y) + 4)
        << "\" text-anchor=\"end\">" << TickLabel(std::round(y * 1000) / 1000, false) << "</text>\n";
  }
  svg << "<text x=\"" << (kLeft + kWidth - kRight) / 2 << "\" y=\"" << kHeight - 18 << "\" text-anchor=\"middle\">"
      << Escape(spec.x_label) << "</text>\n<text transform=\"translate(18," << (kTop + kHeight - kBottom) / 2
      << ") rotate(-90)\" text-anchor=\"middle\">" << Escape(spec.y_label) << "</text>\n";

  size_t color = 0;
  for (const auto& s : series) {
    if (s.points.empty()) continue;
    const char* c = kColors[color % (sizeof kColors / sizeof kColors[0])];
    svg << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : s.points) svg << Num(tx(p.x)) << "," << Num(ty(p.y)) << " ";
    svg << "\"/>\n";
    for (const auto& p : s.points) {
      if (p.y_high > p.y_low) {
        svg << "<line x1=\"" << Num(tx(p.x)) << "\" y1=\"" << Num(ty(p.y_low)) << "\" x2=\"" << Num(tx(p.x))
            << "\" y2=\"" << Num(ty(p.y_high)) << "\" stroke=\"" << c << "\"/>\n";
      }
    }
    double ly = kTop + 18.0 * static_cast<double>(color);
    svg << "<rect x=\"" << kWidth - kRight + 12 << "\" y=\"" << Num(ly) << "\" width=\"14\" height=\"4\" fill=\"" << c
        << "\"/>\n<text x=\"" << kWidth - kRight + 32 << "\" y=\"" << Num(ly + 6) << "\">" << Escape(s.label)
        << "</text>\n";
    ++color;
  }
  svg << "</svg>\n";
  return svg.str();
}

std::string ThroughputSvg(const Report& report) {
  std::map<int, PlotSeries> by_streams;
  for (const StreamPoint& p : report.stream) {
    PlotSeries& s = by_streams[p.streams];
    s.label = report.transport + ", " + std::to_string(p.streams) + (p.streams == 1 ? " stream" : " streams");
    s.points.push_back({static_cast<double>(p.msg_size), p.goodput.median / 1e9, p.goodput.min / 1e9,
                        p.goodput.max / 1e9});
  }
  std::vector<PlotSeries> series;
  for (auto& [n, s] : by_streams) series.push_back(std::move(s));
  PlotSpec spec{"Goodput vs message size (" + report.transport + ", median, min..max bars)", "message size (bytes)",
                "Gbit/s", true, 2, true};
  return RenderLinePlot(spec, series);
}

std::string LatencyCdfSvg(const Report& report) {
  std::vector<PlotSeries> series;
  for (const RrPoint& p : report.rr) {
    PlotSeries s;
    s.label = report.transport + ", " + FormatSize(p.msg_size) + " B";
    for (const CdfPoint& c : p.cdf) s.points.push_back({c.value, c.fraction, c.fraction, c.fraction});
    series.push_back(std::move(s));
  }
  PlotSpec spec{"Round-trip time CDF (" + report.transport + ", warm-up excluded)", "RTT (microseconds)",
                "fraction of round trips <= x", true, 10, false, 1.0};
  return RenderLinePlot(spec, series);
}

}  // namespace bench
