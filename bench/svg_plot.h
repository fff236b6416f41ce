// SVG charts of a run, written by `rdma-bench client --svg PREFIX` so a
// result can be looked at without plotting tools: goodput against message
// size (log2 axis, min..max bars from the repeats) and the RTT CDF (log axis).
// Also used by compare.sh to draw several runs on one chart.
#pragma once

#include <string>
#include <vector>

#include "bench/report.h"

namespace bench {

struct PlotPoint {
  double x = 0;
  double y = 0;
  double y_low = 0;   // error bar; equal to y when there is none
  double y_high = 0;
};

struct PlotSeries {
  std::string label;
  std::vector<PlotPoint> points;
};

struct PlotSpec {
  std::string title;
  std::string x_label;
  std::string y_label;
  bool log_x = true;  // log2 for sizes, log10 otherwise (see x_log_base)
  double x_log_base = 2;
  bool x_is_size = false;  // label ticks as 1K, 1M
  double y_max = 0;         // fixed top of the y axis; 0 = from the data
};

// A self-contained SVG document; series without points are skipped.
std::string RenderLinePlot(const PlotSpec& spec, const std::vector<PlotSeries>& series);

// One series per stream count, y in Gbit/s.
std::string ThroughputSvg(const Report& report);
// One series per request size, y = fraction of round trips <= x.
std::string LatencyCdfSvg(const Report& report);

}  // namespace bench
