// kube::MetricsRegistry collects counters, gauges and histograms and renders
// them in the Prometheus text format for the /metrics endpoint. Metrics are
// created once (name + labels) and updated lock-free or under a small lock.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kube {

using MetricLabels = std::map<std::string, std::string>;

class Counter {
 public:
  void Inc(double v = 1);
  double Value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_ = v; }
  void Add(double v);
  double Value() const { return value_.load(); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Cumulative counts per bound, then +Inf; and the sum.
  void Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  mutable std::mutex mu_;  // guards counts_, sum_, count_
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class MetricsRegistry {
 public:
  // The same name and labels return the same metric. A name keeps the type
  // and help text it was first registered with.
  Counter& GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Gauge& GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Histogram& GetHistogram(const std::string& name, const std::string& help, const MetricLabels& labels = {},
                          std::vector<double> bounds = DefaultBuckets());
  // A gauge read at render time (e.g. queue depth).
  void AddGaugeFunc(const std::string& name, const std::string& help, const MetricLabels& labels,
                    std::function<double()> fn);
  std::string Render() const;

  static std::vector<double> DefaultBuckets();  // seconds: 5ms .. 60s

 private:
  struct Family {
    std::string type, help;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
    std::map<std::string, std::function<double()>> funcs;
  };
  Family& FamilyLocked(const std::string& name, const std::string& type, const std::string& help);

  mutable std::mutex mu_;  // guards families_ (not the metrics' values)
  std::map<std::string, Family> families_;
};

}  // namespace kube
