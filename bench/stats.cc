#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace bench {

Spread Summarize(std::vector<double> samples) {
  Spread s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  s.count = n;
  s.min = samples.front();
  s.max = samples.back();
  s.median = n % 2 == 1 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
  return s;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  // The epsilon keeps 99.9 % of 1000 at rank 999 despite rounding.
  double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()) - 1e-9);
  size_t index = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

LatencyPercentiles ComputePercentiles(std::vector<double> samples) {
  LatencyPercentiles l;
  if (samples.empty()) return l;
  std::sort(samples.begin(), samples.end());
  l.count = samples.size();
  l.min = samples.front();
  l.max = samples.back();
  l.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
  l.p50 = Percentile(samples, 50);
  l.p90 = Percentile(samples, 90);
  l.p99 = Percentile(samples, 99);
  l.p999 = Percentile(samples, 99.9);
  return l;
}

std::vector<HistogramBucket> LogHistogram(const std::vector<double>& samples, int per_octave) {
  std::vector<HistogramBucket> buckets;
  if (samples.empty() || per_octave <= 0) return buckets;
  // Bucket k holds (2^((k-1)/per_octave), 2^(k/per_octave)].
  auto index_of = [&](double v) {
    return static_cast<long>(std::ceil(std::log2(v) * per_octave - 1e-9));
  };
  std::vector<long> indices;
  indices.reserve(samples.size());
  for (double v : samples) indices.push_back(index_of(std::max(v, 1e-12)));
  std::sort(indices.begin(), indices.end());
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j < indices.size() && indices[j] == indices[i]) ++j;
    buckets.push_back({std::exp2(static_cast<double>(indices[i]) / per_octave), j - i});
    i = j;
  }
  return buckets;
}

std::vector<CdfPoint> Cdf(std::vector<double> samples, size_t max_points) {
  std::vector<CdfPoint> points;
  if (samples.empty() || max_points == 0) return points;
  std::sort(samples.begin(), samples.end());
  size_t n = samples.size();
  size_t count = std::min(n, std::max<size_t>(max_points, 2));
  for (size_t k = 0; k < count; ++k) {
    // Evenly spaced ranks from the first to the last sample.
    size_t index = count == 1 ? n - 1 : k * (n - 1) / (count - 1);
    // Use the last occurrence of equal values so fraction is share <= value.
    while (index + 1 < n && samples[index + 1] == samples[index]) ++index;
    if (!points.empty() && points.back().value == samples[index]) continue;
    points.push_back({samples[index], static_cast<double>(index + 1) / static_cast<double>(n)});
  }
  return points;
}

}  // namespace bench
