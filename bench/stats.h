// Summaries of measured samples: the median and spread of repeated runs,
// latency percentiles (nearest-rank, so every reported value is one that was
// actually measured), a log-scale histogram and a CDF for plotting.
#pragma once

#include <cstddef>
#include <vector>

namespace bench {

// Median and range of a handful of repeated measurements (e.g. goodput of
// each repetition). All fields are 0 when there are no samples.
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
  size_t count = 0;
};
Spread Summarize(std::vector<double> samples);

// Nearest-rank percentile of samples sorted ascending: the smallest sample
// such that at least p percent of samples are <= it. p in (0, 100].
// Returns 0 for an empty vector.
double Percentile(const std::vector<double>& sorted, double p);

struct LatencyPercentiles {
  double min = 0;
  double mean = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double p999 = 0;
  double max = 0;
  size_t count = 0;
};
// Takes samples in any order.
LatencyPercentiles ComputePercentiles(std::vector<double> samples);

// One histogram bucket: samples in (previous bucket's upper, upper].
struct HistogramBucket {
  double upper = 0;
  size_t count = 0;
};
// Log-scale histogram with `per_octave` buckets per doubling, starting at
// the bucket that holds the smallest sample; only non-empty buckets are kept.
// Samples must be > 0.
std::vector<HistogramBucket> LogHistogram(const std::vector<double>& samples, int per_octave = 4);

struct CdfPoint {
  double value = 0;
  double fraction = 0;  // share of samples <= value, in (0, 1]
};
// At most max_points points of the empirical CDF, always including the
// smallest and the largest sample.
std::vector<CdfPoint> Cdf(std::vector<double> samples, size_t max_points = 200);

}  // namespace bench
