#include "bench/svg_plot.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SvgPlotTest, ThroughputChartHasOneLinePerStreamCountWithSizeTicks) {
  Report r;
  r.transport = "tcp";
  for (int streams : {1, 4}) {
    for (size_t size : {64, 4096, 1 << 20}) {
      StreamPoint p;
      p.msg_size = size;
      p.streams = streams;
      p.goodput = Spread{1e9 * streams, 0.9e9 * streams, 1.1e9 * streams, 3};
      r.stream.push_back(p);
    }
  }
  std::string svg = ThroughputSvg(r);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u);
  EXPECT_EQ(Count(svg, "<polyline"), 2u);
  EXPECT_NE(svg.find("tcp, 1 stream<"), std::string::npos);
  EXPECT_NE(svg.find("tcp, 4 streams<"), std::string::npos);
  EXPECT_NE(svg.find(">1M</text>"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST(SvgPlotTest, EmptyReportSaysNoData) {
  Report r;
  EXPECT_NE(LatencyCdfSvg(r).find("no data"), std::string::npos);
}

TEST(SvgPlotTest, LabelsAreEscaped) {
  PlotSeries s{"a<b & c", {{1, 1, 1, 1}, {10, 2, 2, 2}}};
  std::string svg = RenderLinePlot(PlotSpec{"t", "x", "y", true, 10, false}, {s});
  EXPECT_NE(svg.find("a&lt;b &amp; c"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
}

}  // namespace
}  // namespace bench
