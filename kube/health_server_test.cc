#include "kube/health_server.h"

#include <boost/asio.hpp>
#include <gtest/gtest.h>

namespace kube {
namespace {

std::string HttpGet(int port, const std::string& path) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string out;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(out), ec);
  return out;
}

TEST(HealthServerTest, ServesMetricsAndProbes) {
  MetricsRegistry m;
  m.GetCounter("reconciles_total", "x").Inc();
  HealthServer hs(&m);
  std::atomic<bool> synced{false};
  hs.AddHealthCheck("ping", [] { return std::string(); });
  hs.AddReadyCheck("informers-synced", [&] { return synced ? std::string() : std::string("pods not synced"); });
  ASSERT_TRUE(hs.Start("127.0.0.1:0").ok());
  ASSERT_GT(hs.port(), 0);
  EXPECT_NE(HttpGet(hs.port(), "/metrics").find("reconciles_total 1"), std::string::npos);
  EXPECT_NE(HttpGet(hs.port(), "/healthz").find("200 OK"), std::string::npos);
  auto not_ready = HttpGet(hs.port(), "/readyz");
  EXPECT_NE(not_ready.find("500"), std::string::npos);
  EXPECT_NE(not_ready.find("[-]informers-synced failed: pods not synced"), std::string::npos) << not_ready;
  synced = true;
  EXPECT_NE(HttpGet(hs.port(), "/readyz").find("200 OK"), std::string::npos);
  EXPECT_NE(HttpGet(hs.port(), "/nope").find("404"), std::string::npos);
  hs.Stop();
}

TEST(HealthServerTest, BadAddressIsAnError) {
  HealthServer hs(nullptr);
  EXPECT_FALSE(hs.Start("not-an-address").ok());
  EXPECT_FALSE(hs.Start("256.1.1.1:80").ok());
}

}  // namespace
}  // namespace kube
