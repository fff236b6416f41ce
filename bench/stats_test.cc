#include "bench/stats.h"

#include <gtest/gtest.h>

#include <numeric>

namespace bench {
namespace {

std::vector<double> OneToN(int n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

TEST(PercentileTest, NearestRankReturnsAMeasuredSample) {
  std::vector<double> v = OneToN(1000);
  EXPECT_EQ(Percentile(v, 50), 500);
  EXPECT_EQ(Percentile(v, 90), 900);
  EXPECT_EQ(Percentile(v, 99), 990);
  EXPECT_EQ(Percentile(v, 99.9), 999);
  EXPECT_EQ(Percentile(v, 100), 1000);
  EXPECT_EQ(Percentile({7.5}, 99.9), 7.5);
  EXPECT_EQ(Percentile({}, 50), 0);
}

TEST(ComputePercentilesTest, SortsAndSummarisesUnorderedSamples) {
  std::vector<double> v = {9, 1, 5, 3, 7, 2, 8, 4, 10, 6};
  LatencyPercentiles l = ComputePercentiles(v);
  EXPECT_EQ(l.count, 10u);
  EXPECT_EQ(l.min, 1);
  EXPECT_EQ(l.max, 10);
  EXPECT_EQ(l.p50, 5);
  EXPECT_EQ(l.p90, 9);
  EXPECT_EQ(l.p99, 10);
  EXPECT_DOUBLE_EQ(l.mean, 5.5);
}

TEST(ComputePercentilesTest, ATailShowsInHighPercentilesOnly) {
  std::vector<double> v(10000, 10.0);
  v[42] = 5000;  // one stall in ten thousand round trips
  LatencyPercentiles l = ComputePercentiles(v);
  EXPECT_EQ(l.p50, 10);
  EXPECT_EQ(l.p99, 10);
  EXPECT_EQ(l.p999, 10);
  EXPECT_EQ(l.max, 5000);
}

TEST(SummarizeTest, MedianOfEvenAndOddCountsAndRange) {
  Spread odd = Summarize({3, 1, 2});
  EXPECT_EQ(odd.median, 2);
  EXPECT_EQ(odd.min, 1);
  EXPECT_EQ(odd.max, 3);
  Spread even = Summarize({4, 1, 3, 2});
  EXPECT_EQ(even.median, 2.5);
  EXPECT_EQ(Summarize({}).count, 0u);
}

TEST(LogHistogramTest, CountsEverySampleOnceInIncreasingBuckets) {
  std::vector<double> v = {1, 1.1, 2, 3, 4, 100, 100};
  std::vector<HistogramBucket> h = LogHistogram(v, 4);
  size_t total = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    total += h[i].count;
    if (i > 0) {
      EXPECT_GT(h[i].upper, h[i - 1].upper);
    }
  }
  EXPECT_EQ(total, v.size());
  EXPECT_GE(h.back().upper, 100);
  EXPECT_LT(h.back().upper, 100 * 1.19);  // within one quarter octave
  EXPECT_EQ(h.back().count, 2u);
}

TEST(CdfTest, EndsAtTheLargestSampleWithFractionOne) {
  std::vector<double> v = OneToN(10000);
  std::vector<CdfPoint> c = Cdf(v, 50);
  ASSERT_LE(c.size(), 50u);
  EXPECT_EQ(c.front().value, 1);
  EXPECT_EQ(c.back().value, 10000);
  EXPECT_DOUBLE_EQ(c.back().fraction, 1.0);
  for (size_t i = 1; i < c.size(); ++i) {
    EXPECT_GT(c[i].fraction, c[i - 1].fraction);
  }
}

TEST(CdfTest, RepeatedValuesReportTheShareAtOrBelow) {
  std::vector<CdfPoint> c = Cdf({5, 5, 5, 9}, 10);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_DOUBLE_EQ(c[0].fraction, 0.75);
  EXPECT_DOUBLE_EQ(c[1].fraction, 1.0);
}

}  // namespace
}  // namespace bench
