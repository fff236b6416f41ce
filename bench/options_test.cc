#include "bench/options.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

Result<Options> Parse(std::vector<std::string> args) { return ParseOptions(args); }

TEST(ParseOptionsTest, ClientDefaultsSweepOneByteToEightMiBWithAllTests) {
  Options o = Parse({"client", "10.0.0.2"}).value();
  EXPECT_EQ(o.mode, Mode::kClient);
  EXPECT_EQ(o.host, "10.0.0.2");
  EXPECT_EQ(o.port, 18515);
  EXPECT_EQ(o.transport, TransportKind::kTcp);
  EXPECT_EQ(o.stream_sizes.size(), 24u);
  EXPECT_EQ(o.tests.size(), 3u);
  EXPECT_EQ(o.streams, std::vector<int>{1});
}

TEST(ParseOptionsTest, ClientFlags) {
  Options o = Parse({"client", "srv", "--transport", "rdma", "--rdma-op", "send", "--test", "rr,connect", "--sizes",
                     "64,1M", "--streams", "1-3", "--duration", "0.5", "--repeat", "5", "--warmup", "10",
                     "--connections", "50", "--parallel-clients", "4", "--json", "out.json", "--csv", "out.csv",
                     "--svg", "fig", "--port", "2000", "--timeout", "3", "--quiet"})
                  .value();
  EXPECT_EQ(o.transport, TransportKind::kRdma);
  EXPECT_EQ(o.rdma_op, RdmaOp::kSend);
  EXPECT_EQ(o.tests, (std::vector<TestKind>{TestKind::kRequestResponse, TestKind::kConnect}));
  EXPECT_EQ(o.stream_sizes, (std::vector<size_t>{64, 1 << 20}));
  EXPECT_EQ(o.streams, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(o.duration_s, 0.5);
  EXPECT_EQ(o.repeat, 5);
  EXPECT_EQ(o.warmup, 10u);
  EXPECT_EQ(o.connections, 50);
  EXPECT_EQ(o.parallel_clients, 4);
  EXPECT_EQ(o.json_path, "out.json");
  EXPECT_EQ(o.csv_path, "out.csv");
  EXPECT_EQ(o.svg_prefix, "fig");
  EXPECT_EQ(o.port, 2000);
  EXPECT_EQ(o.timeout_s, 3);
  EXPECT_TRUE(o.quiet);
}

TEST(ParseOptionsTest, ServerAndOtherModes) {
  Options s = Parse({"server", "--bind", "10.1.0.1", "--once"}).value();
  EXPECT_EQ(s.mode, Mode::kServer);
  EXPECT_EQ(s.host, "10.1.0.1");
  EXPECT_TRUE(s.once);
  EXPECT_EQ(Parse({"validate", "r.json"}).value().validate_path, "r.json");
  EXPECT_EQ(Parse({"schema"}).value().mode, Mode::kSchema);
  EXPECT_EQ(Parse({"--help"}).value().mode, Mode::kHelp);
  EXPECT_EQ(Parse({"client", "h", "--help"}).value().mode, Mode::kHelp);
}

// Each bad command line is rejected, and the message names what was wrong.
TEST(ParseOptionsTest, BadInputNamesTheFlagAndValue) {
  struct Case {
    std::vector<std::string> args;
    std::string expected;
  } cases[] = {
      {{}, "missing mode"},
      {{"serve"}, "unknown mode \"serve\""},
      {{"client"}, "missing server address"},
      {{"client", "--transport", "rdma"}, "missing server address"},
      {{"client", "h", "--transport", "udp"}, "--transport \"udp\""},
      {{"client", "h", "--rdma-op", "read"}, "--rdma-op \"read\""},
      {{"client", "h", "--test", "stream,lat"}, "--test \"lat\""},
      {{"client", "h", "--sizes", "3-9"}, "powers of two"},
      {{"client", "h", "--streams", "0"}, "--streams \"0\""},
      {{"client", "h", "--port", "70000"}, "--port \"70000\""},
      {{"client", "h", "--duration", "-1"}, "--duration \"-1\""},
      {{"client", "h", "--duration", "1s"}, "--duration \"1s\""},
      {{"client", "h", "--repeat", "x"}, "--repeat \"x\": not an integer"},
      {{"client", "h", "--frobnicate", "1"}, "unknown flag \"--frobnicate\""},
      {{"client", "h", "--json"}, "--json: missing value"},
      {{"validate"}, "missing JSON file"},
  };
  for (const Case& c : cases) {
    Result<Options> r = Parse(c.args);
    ASSERT_FALSE(r.ok()) << c.expected;
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

TEST(UsageTest, MentionsEveryModeAndTransport) {
  std::string usage = Usage();
  for (const char* word : {"server", "client", "validate", "schema", "tcp", "rdma", "rsocket", "--sizes", "RTT"}) {
    EXPECT_NE(usage.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace bench
