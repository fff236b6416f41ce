#include "bench/output_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "bench/svg_plot.h"

namespace bench {
namespace {

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (!out) return Status::Error("write " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

Status WriteOutputs(const Report& report, const Options& o, std::ostream& stdout_stream) {
  if (!o.quiet && o.json_path != "-") stdout_stream << ToTable(report);
  std::string json = ToJson(report).dump(2) + "\n";
  if (o.json_path == "-") {
    stdout_stream << json;
  } else if (!o.json_path.empty()) {
    Status st = WriteFile(o.json_path, json);
    if (!st.ok()) return st;
  }
  if (!o.csv_path.empty()) {
    Status st = WriteFile(o.csv_path, ToCsv(report));
    if (!st.ok()) return st;
  }
  if (!o.svg_prefix.empty()) {
    if (!report.stream.empty()) {
      Status st = WriteFile(o.svg_prefix + "-throughput.svg", ThroughputSvg(report));
      if (!st.ok()) return st;
    }
    if (!report.rr.empty()) {
      Status st = WriteFile(o.svg_prefix + "-latency-cdf.svg", LatencyCdfSvg(report));
      if (!st.ok()) return st;
    }
  }
  return Status::Ok();
}

}  // namespace bench
