#include "bench/report.h"

#include <gtest/gtest.h>

#include <fstream>

#include "bench/result_schema.h"

namespace bench {
namespace {

Report SampleReport() {
  Report r;
  r.started_at = "2026-11-25T20:00:00Z";
  r.client_host = "node-a";
  r.server_host = "node-b";
  r.server_address = "10.0.0.2";
  r.transport = "tcp";
  r.rdma_op = "write";
  r.duration_s = 1;
  r.repeat = 3;
  StreamPoint s;
  s.msg_size = 65536;
  s.streams = 2;
  s.goodput_bps = {9e9, 9.4e9, 9.2e9};
  s.goodput = Summarize(s.goodput_bps);
  s.bytes = 3'000'000'000;
  s.cpu.client = {0.5, 1.5};
  s.cpu.server = {0.25, 0.75};
  r.stream.push_back(s);
  RrPoint rr;
  rr.msg_size = 64;
  rr.warmup = 1000;
  std::vector<double> rtt = {10, 11, 12, 13, 50};
  rr.rtt_us = ComputePercentiles(rtt);
  rr.histogram = LogHistogram(rtt);
  rr.cdf = Cdf(rtt);
  rr.transactions_per_s = 80000;
  r.rr.push_back(rr);
  ConnectPoint c;
  c.parallel_clients = 4;
  c.connections = 100;
  c.connect_us = ComputePercentiles({30, 40});
  c.close_us = ComputePercentiles({20, 25});
  c.connections_per_s = 12000;
  r.connect.push_back(c);
  return r;
}

TEST(ReportJsonTest, OutputMatchesTheVersionedSchema) {
  nlohmann::json doc = ToJson(SampleReport());
  EXPECT_EQ(doc["schema"], "rdma-bench/v1");
  Status st = ValidateResult(doc);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(ReportJsonTest, CarriesMedianSpreadPercentilesAndPerByteCpu) {
  nlohmann::json doc = ToJson(SampleReport());
  const auto& stream = doc["results"][0];
  EXPECT_EQ(stream["test"], "stream");
  EXPECT_EQ(stream["goodput_bps"]["median"], 9.2e9);
  EXPECT_EQ(stream["goodput_bps"]["min"], 9e9);
  EXPECT_EQ(stream["goodput_bps"]["max"], 9.4e9);
  EXPECT_EQ(stream["goodput_bps"]["samples"].size(), 3u);
  // 2 s of client CPU for 3e9 bytes.
  EXPECT_NEAR(stream["cpu"]["client_ns_per_byte"].get<double>(), 2e9 / 3e9, 1e-9);
  const auto& rr = doc["results"][1];
  EXPECT_EQ(rr["test"], "rr");
  EXPECT_EQ(rr["rtt_us"]["p50"], 12);
  EXPECT_EQ(rr["rtt_us"]["max"], 50);
  EXPECT_TRUE(rr["rtt_us"].contains("p99_9"));
  const auto& connect = doc["results"][2];
  EXPECT_EQ(connect["connect_us"]["p50"], 30);
  EXPECT_EQ(connect["close_us"]["p99"], 25);
}

TEST(ReportJsonTest, SchemaRejectsDocumentsToolsCouldNotRead) {
  nlohmann::json doc = ToJson(SampleReport());
  nlohmann::json wrong_version = doc;
  wrong_version["schema"] = "rdma-bench/v2";
  EXPECT_FALSE(ValidateResult(wrong_version).ok());

  nlohmann::json no_p99 = doc;
  no_p99["results"][1]["rtt_us"].erase("p99");
  Status st = ValidateResult(no_p99);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/results/1"), std::string::npos) << st.message();

  nlohmann::json bad_transport = doc;
  bad_transport["run"]["transport"] = "udp";
  st = ValidateResult(bad_transport);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/run/transport"), std::string::npos) << st.message();

  nlohmann::json unknown_test = doc;
  unknown_test["results"][0]["test"] = "bogus";
  EXPECT_FALSE(ValidateResult(unknown_test).ok());
}

// docs/benchmark-netns.json is the example users read next to the schema
// description in docs/benchmark.md; it must stay valid.
TEST(ReportJsonTest, DocumentedExampleResultIsValid) {
  std::ifstream in(std::string(RDMA_SOURCE_DIR) + "/docs/benchmark-netns.json");
  ASSERT_TRUE(in) << "docs/benchmark-netns.json missing";
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  Status st = ValidateResult(doc);
  EXPECT_TRUE(st.ok()) << st.message();
}

TEST(ReportCsvTest, OneHeaderAndOneRowPerPoint) {
  std::string csv = ToCsv(SampleReport());
  size_t lines = 0;
  for (char c : csv) lines += c == '\n';
  EXPECT_EQ(lines, 4u);
  EXPECT_EQ(csv.rfind("test,transport,msg_size", 0), 0u);
  EXPECT_NE(csv.find("\nstream,tcp,65536,2,,9200000000,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\nrr,tcp,64,,,,,,12,"), std::string::npos) << csv;
  // Every row has as many fields as the header.
  size_t header_commas = csv.find('\n');
  header_commas = static_cast<size_t>(std::count(csv.begin(), csv.begin() + static_cast<long>(header_commas), ','));
  size_t start = 0;
  while (start < csv.size()) {
    size_t end = csv.find('\n', start);
    EXPECT_EQ(static_cast<size_t>(std::count(csv.begin() + static_cast<long>(start),
                                             csv.begin() + static_cast<long>(end), ',')),
              header_commas);
    start = end + 1;
  }
}

TEST(ReportTableTest, SaysLatencyIsRoundTripAndShowsSpread) {
  std::string table = ToTable(SampleReport());
  EXPECT_NE(table.find("round-trip time (RTT)"), std::string::npos);
  EXPECT_NE(table.find("9.20 Gbit/s"), std::string::npos) << table;
  EXPECT_NE(table.find("9.00 Gbit/s .. 9.40 Gbit/s"), std::string::npos) << table;
  EXPECT_NE(table.find("median of 3"), std::string::npos);
}

TEST(FormatBitsPerSecondTest, PicksAReadableUnit) {
  EXPECT_EQ(FormatBitsPerSecond(9.41e9), "9.41 Gbit/s");
  EXPECT_EQ(FormatBitsPerSecond(812e6), "812.0 Mbit/s");
  EXPECT_EQ(FormatBitsPerSecond(5), "5 bit/s");
}

}  // namespace
}  // namespace bench
