#include "kube/metrics.h"

#include <cmath>
#include <sstream>

namespace kube {

void Counter::Inc(double v) {
  double cur = value_.load();
  while (!value_.compare_exchange_weak(cur, cur + v)) {
  }
}

void Gauge::Add(double v) {
  double cur = value_.load();
  while (!value_.compare_exchange_weak(cur, cur + v)) {
  }
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double v) {
  std::lock_guard<std::mutex> lock(mu_);
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i]++;
  sum_ += v;
  count_++;
}

void Histogram::Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const {
  std::lock_guard<std::mutex> lock(mu_);
  cumulative->clear();
  uint64_t acc = 0;
  for (auto c : counts_) {
    acc += c;
    cumulative->push_back(acc);
  }
  *sum = sum_;
  *count = count_;
}

std::vector<double> MetricsRegistry::DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

namespace {

std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string LabelString(const MetricLabels& labels, const std::string& extra = "") {
  std::string s;
  for (const auto& [k, v] : labels) s += (s.empty() ? "" : ",") + k + "=\"" + Escape(v) + "\"";
  if (!extra.empty()) s += (s.empty() ? "" : ",") + extra;
  return s.empty() ? "" : "{" + s + "}";
}

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

// Labels are stored in rendered form; re-parse-free by keeping the map too.
std::string Key(const MetricLabels& l) { return LabelString(l); }

}  // namespace

MetricsRegistry::Family& MetricsRegistry::FamilyLocked(const std::string& name, const std::string& type,
                                                       const std::string& help) {
  auto& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  return f;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& p = FamilyLocked(name, "counter", help).counters[Key(labels)];
  if (!p) p = std::make_unique<Counter>();
  return *p;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& p = FamilyLocked(name, "gauge", help).gauges[Key(labels)];
  if (!p) p = std::make_unique<Gauge>();
  return *p;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const MetricLabels& labels, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& p = FamilyLocked(name, "histogram", help).histograms[Key(labels)];
  if (!p) p = std::make_unique<Histogram>(std::move(bounds));
  return *p;
}

void MetricsRegistry::AddGaugeFunc(const std::string& name, const std::string& help, const MetricLabels& labels,
                                   std::function<double()> fn) {
  std::lock_guard<std::mutex> lock(mu_);
  FamilyLocked(name, "gauge", help).funcs[Key(labels)] = std::move(fn);
}

std::string MetricsRegistry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream out;
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    for (const auto& [l, c] : f.counters) out << name << l << " " << Num(c->Value()) << "\n";
    for (const auto& [l, g] : f.gauges) out << name << l << " " << Num(g->Value()) << "\n";
    for (const auto& [l, fn] : f.funcs) out << name << l << " " << Num(fn()) << "\n";
    for (const auto& [l, h] : f.histograms) {
      std::vector<uint64_t> cum;
      double sum = 0;
      uint64_t count = 0;
      h->Snapshot(&cum, &sum, &count);
      // Splice "le" into the existing label set.
      std::string inner = l.empty() ? "" : l.substr(1, l.size() - 2) + ",";
      for (size_t i = 0; i < cum.size(); ++i) {
        std::string le = i < h->bounds().size() ? Num(h->bounds()[i]) : "+Inf";
        out << name << "_bucket{" << inner << "le=\"" << le << "\"} " << cum[i] << "\n";
      }
      out << name << "_sum" << l << " " << Num(sum) << "\n";
      out << name << "_count" << l << " " << count << "\n";
    }
  }
  return out.str();
}

}  // namespace kube
