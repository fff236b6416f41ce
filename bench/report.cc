#include "bench/report.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

#include "bench/size_list.h"

namespace bench {
namespace {

using nlohmann::json;

json CpuJson(const CpuTime& t) { return json{{"user_s", t.user_s}, {"system_s", t.system_s}}; }

json PercentilesJson(const LatencyPercentiles& l) {
  return json{{"count", l.count}, {"min", l.min}, {"mean", l.mean}, {"p50", l.p50}, {"p90", l.p90},
              {"p99", l.p99},     {"p99_9", l.p999}, {"max", l.max}};
}

double PerUnit(double seconds, double units, double scale) { return units > 0 ? seconds * scale / units : 0; }

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' ');
}

}  // namespace

std::string FormatBitsPerSecond(double bps) {
  if (bps >= 1e9) return Fixed(bps / 1e9, 2) + " Gbit/s";
  if (bps >= 1e6) return Fixed(bps / 1e6, 1) + " Mbit/s";
  if (bps >= 1e3) return Fixed(bps / 1e3, 1) + " kbit/s";
  return Fixed(bps, 0) + " bit/s";
}

json ToJson(const Report& r) {
  json doc;
  doc["schema"] = kSchemaVersion;
  doc["tool"] = {{"name", "rdma-bench"}, {"version", kToolVersion}};
  doc["run"] = {{"started_at", r.started_at},   {"client_host", r.client_host}, {"server_host", r.server_host},
                {"server_address", r.server_address}, {"transport", r.transport}, {"rdma_op", r.rdma_op},
                {"duration_s", r.duration_s}, {"repeat", r.repeat}};
  json results = json::array();
  for (const StreamPoint& p : r.stream) {
    double bytes = static_cast<double>(p.bytes);
    results.push_back({{"test", "stream"},
                       {"msg_size", p.msg_size},
                       {"streams", p.streams},
                       {"goodput_bps", {{"median", p.goodput.median}, {"min", p.goodput.min},
                                        {"max", p.goodput.max}, {"samples", p.goodput_bps}}},
                       {"bytes", p.bytes},
                       {"cpu", {{"client", CpuJson(p.cpu.client)}, {"server", CpuJson(p.cpu.server)},
                                {"client_ns_per_byte", PerUnit(p.cpu.client.total(), bytes, 1e9)},
                                {"server_ns_per_byte", PerUnit(p.cpu.server.total(), bytes, 1e9)}}}});
  }
  for (const RrPoint& p : r.rr) {
    json histogram = json::array();
    for (const auto& b : p.histogram) histogram.push_back({{"le_us", b.upper}, {"count", b.count}});
    json cdf = json::array();
    for (const auto& c : p.cdf) cdf.push_back({c.value, c.fraction});
    double n = static_cast<double>(p.rtt_us.count);
    results.push_back({{"test", "rr"},
                       {"msg_size", p.msg_size},
                       {"warmup", p.warmup},
                       {"rtt_us", PercentilesJson(p.rtt_us)},
                       {"transactions_per_s", p.transactions_per_s},
                       {"histogram", histogram},
                       {"cdf", cdf},
                       {"cpu", {{"client", CpuJson(p.cpu.client)}, {"server", CpuJson(p.cpu.server)},
                                {"client_us_per_transaction", PerUnit(p.cpu.client.total(), n, 1e6)},
                                {"server_us_per_transaction", PerUnit(p.cpu.server.total(), n, 1e6)}}}});
  }
  for (const ConnectPoint& p : r.connect) {
    double n = static_cast<double>(p.connect_us.count);
    results.push_back({{"test", "connect"},
                       {"parallel_clients", p.parallel_clients},
                       {"connections", p.connections},
                       {"connect_us", PercentilesJson(p.connect_us)},
                       {"close_us", PercentilesJson(p.close_us)},
                       {"connections_per_s", p.connections_per_s},
                       {"cpu", {{"client", CpuJson(p.cpu.client)}, {"server", CpuJson(p.cpu.server)},
                                {"client_us_per_connection", PerUnit(p.cpu.client.total(), n, 1e6)},
                                {"server_us_per_connection", PerUnit(p.cpu.server.total(), n, 1e6)}}}});
  }
  doc["results"] = results;
  return doc;
}

std::string ToCsv(const Report& r) {
  std::ostringstream out;
  out << std::setprecision(15);
  out << "test,transport,msg_size,streams,parallel_clients,goodput_median_bps,goodput_min_bps,goodput_max_bps,"
         "rtt_p50_us,rtt_p90_us,rtt_p99_us,rtt_p99_9_us,rtt_max_us,connect_p50_us,connect_p99_us,close_p50_us,"
         "close_p99_us,connections_per_s,client_cpu_s,server_cpu_s\n";
  for (const StreamPoint& p : r.stream) {
    out << "stream," << r.transport << "," << p.msg_size << "," << p.streams << ",," << p.goodput.median << ","
        << p.goodput.min << "," << p.goodput.max << ",,,,,,,,,,," << p.cpu.client.total() << ","
        << p.cpu.server.total() << "\n";
  }
  for (const RrPoint& p : r.rr) {
    out << "rr," << r.transport << "," << p.msg_size << ",,,,,," << p.rtt_us.p50 << "," << p.rtt_us.p90 << ","
        << p.rtt_us.p99 << "," << p.rtt_us.p999 << "," << p.rtt_us.max << ",,,,,," << p.cpu.client.total() << ","
        << p.cpu.server.total() << "\n";
  }
  for (const ConnectPoint& p : r.connect) {
    out << "connect," << r.transport << ",,," << p.parallel_clients << ",,,,,,,,," << p.connect_us.p50 << ","
        << p.connect_us.p99 << "," << p.close_us.p50 << "," << p.close_us.p99 << "," << p.connections_per_s << ","
        << p.cpu.client.total() << "," << p.cpu.server.total() << "\n";
  }
  return out.str();
}

std::string ToTable(const Report& r) {
  std::ostringstream out;
  out << "rdma-bench " << kToolVersion << "  transport=" << r.transport
      << (r.transport == "rdma" ? " op=" + r.rdma_op : "") << "  client=" << r.client_host
      << "  server=" << r.server_host << " (" << r.server_address << ")  " << r.started_at << "\n";
  if (!r.stream.empty()) {
    out << "\nstream: goodput measured by the receiver, median of " << r.repeat << " (min..max)\n";
    out << Pad("size", 8) << Pad("streams", 8) << Pad("goodput", 16) << Pad("spread", 30)
        << Pad("cpu client ns/B", 17) << "cpu server ns/B\n";
    for (const StreamPoint& p : r.stream) {
      double bytes = static_cast<double>(p.bytes);
      out << Pad(FormatSize(p.msg_size), 8) << Pad(std::to_string(p.streams), 8)
          << Pad(FormatBitsPerSecond(p.goodput.median), 16)
          << Pad(FormatBitsPerSecond(p.goodput.min) + " .. " + FormatBitsPerSecond(p.goodput.max), 30)
          << Pad(Fixed(PerUnit(p.cpu.client.total(), bytes, 1e9), 3), 17)
          << Fixed(PerUnit(p.cpu.server.total(), bytes, 1e9), 3) << "\n";
    }
  }
  if (!r.rr.empty()) {
    out << "\nrequest/response: round-trip time (RTT) in microseconds, warm-up excluded\n";
    out << Pad("size", 8) << Pad("count", 9) << Pad("p50", 9) << Pad("p90", 9) << Pad("p99", 9) << Pad("p99.9", 9)
        << Pad("max", 10) << Pad("trans/s", 10) << Pad("cpu client us/t", 16) << "cpu server us/t\n";
    for (const RrPoint& p : r.rr) {
      double n = static_cast<double>(p.rtt_us.count);
      out << Pad(FormatSize(p.msg_size), 8) << Pad(std::to_string(p.rtt_us.count), 9) << Pad(Fixed(p.rtt_us.p50, 1), 9)
          << Pad(Fixed(p.rtt_us.p90, 1), 9) << Pad(Fixed(p.rtt_us.p99, 1), 9) << Pad(Fixed(p.rtt_us.p999, 1), 9)
          << Pad(Fixed(p.rtt_us.max, 1), 10) << Pad(Fixed(p.transactions_per_s, 0), 10)
          << Pad(Fixed(PerUnit(p.cpu.client.total(), n, 1e6), 2), 16)
          << Fixed(PerUnit(p.cpu.server.total(), n, 1e6), 2) << "\n";
    }
  }
  if (!r.connect.empty()) {
    out << "\nconnect/close: microseconds per connection, timed separately\n";
    out << Pad("clients", 9) << Pad("count", 8) << Pad("connect p50", 13) << Pad("p99", 9) << Pad("close p50", 11)
        << Pad("p99", 9) << Pad("conn/s", 9) << Pad("cpu client us/c", 16) << "cpu server us/c\n";
    for (const ConnectPoint& p : r.connect) {
      double n = static_cast<double>(p.connect_us.count);
      out << Pad(std::to_string(p.parallel_clients), 9) << Pad(std::to_string(p.connect_us.count), 8)
          << Pad(Fixed(p.connect_us.p50, 1), 13) << Pad(Fixed(p.connect_us.p99, 1), 9)
          << Pad(Fixed(p.close_us.p50, 1), 11) << Pad(Fixed(p.close_us.p99, 1), 9)
          << Pad(Fixed(p.connections_per_s, 0), 9) << Pad(Fixed(PerUnit(p.cpu.client.total(), n, 1e6), 1), 16)
          << Fixed(PerUnit(p.cpu.server.total(), n, 1e6), 1) << "\n";
    }
  }
  return out.str();
}

}  // namespace bench
