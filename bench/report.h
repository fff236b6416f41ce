// The results of one rdma-bench client run and their three text forms: a
// table for people, JSON (schema "rdma-bench/v1", see result_schema.h) for
// tools, and CSV for spreadsheets. Figures from both sides of the connection
// are kept apart, so per-side CPU cost can be compared across transports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/cpu_usage.h"
#include "bench/stats.h"

namespace bench {

inline constexpr const char* kSchemaVersion = "rdma-bench/v1";
inline constexpr const char* kToolVersion = "0.1.0";

// CPU seconds spent by each process during the measurement (all repeats).
struct CpuFigures {
  CpuTime client;
  CpuTime server;
};

struct StreamPoint {
  size_t msg_size = 0;
  int streams = 1;
  std::vector<double> goodput_bps;  // receiver side, one per repeat
  Spread goodput;                   // of goodput_bps
  uint64_t bytes = 0;               // received, all repeats
  CpuFigures cpu;
};

struct RrPoint {
  size_t msg_size = 0;
  size_t warmup = 0;
  LatencyPercentiles rtt_us;
  std::vector<HistogramBucket> histogram;
  std::vector<CdfPoint> cdf;
  double transactions_per_s = 0;
  CpuFigures cpu;
};

struct ConnectPoint {
  int parallel_clients = 1;
  int connections = 0;  // per client
  LatencyPercentiles connect_us;
  LatencyPercentiles close_us;
  double connections_per_s = 0;
  CpuFigures cpu;
};

struct Report {
  std::string started_at;  // UTC, ISO 8601
  std::string client_host;
  std::string server_host;
  std::string server_address;
  std::string transport;
  std::string rdma_op;
  double duration_s = 0;
  int repeat = 0;
  std::vector<StreamPoint> stream;
  std::vector<RrPoint> rr;
  std::vector<ConnectPoint> connect;
};

nlohmann::json ToJson(const Report& report);
std::string ToCsv(const Report& report);
std::string ToTable(const Report& report);

// "9.41 Gbit/s", "812 Mbit/s".
std::string FormatBitsPerSecond(double bps);

}  // namespace bench
