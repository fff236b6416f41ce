#include "kube/http_transport.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "kube/test_http_server.h"

namespace kube {
namespace {

using testing::TestConnection;
using testing::TestHttpServer;
using testing::TestRequest;

std::unique_ptr<HttpTransport> TransportFor(const TestHttpServer& s) {
  Config c;
  c.server = s.url();
  auto t = HttpTransport::Create(c);
  EXPECT_TRUE(t.ok()) << t.error().ToString();
  return std::move(*t);
}

HttpRequest Get(const std::string& path) {
  HttpRequest r;
  r.path = path;
  r.operation = "get " + path;
  r.timeout = std::chrono::seconds(10);
  return r;
}

TEST(ServerUrlTest, TakesKubeconfigServersApart) {
  struct Case {
    std::string server;
    bool tls;
    std::string host, port, base_path;
  };
  for (const auto& c : std::vector<Case>{
           {"https://10.0.0.1:6443", true, "10.0.0.1", "6443", ""},
           {"https://kubernetes.default.svc", true, "kubernetes.default.svc", "443", ""},
           {"http://127.0.0.1:8080/", false, "127.0.0.1", "8080", ""},
           {"https://rancher.example/k8s/clusters/c-1/", true, "rancher.example", "443", "/k8s/clusters/c-1"},
           {"https://[fd00::1]:6443", true, "fd00::1", "6443", ""},
       }) {
    auto u = ParseServerUrl(c.server);
    ASSERT_TRUE(u.ok()) << c.server << ": " << u.error().message;
    EXPECT_EQ(u->tls, c.tls) << c.server;
    EXPECT_EQ(u->host, c.host) << c.server;
    EXPECT_EQ(u->port, c.port) << c.server;
    EXPECT_EQ(u->base_path, c.base_path) << c.server;
  }
}

TEST(ServerUrlTest, BadServersNameWhatIsWrong) {
  for (const auto& [server, says] : std::vector<std::pair<std::string, std::string>>{
           {"", "no server"},
           {"10.0.0.1:6443", "must start with https:// or http://"},
           {"ftp://host", "must start with https:// or http://"},
           {"https://:6443", "has no host"},
           {"https://host:http", "invalid port"},
           {"https://host:99999", "invalid port"},
           {"https://[fd00::1:6443", "unclosed '['"},
           {"https://user:pw@host", "user information"},
       }) {
    auto u = ParseServerUrl(server);
    ASSERT_FALSE(u.ok()) << server;
    EXPECT_EQ(u.error().reason, "InvalidConfig");
    EXPECT_NE(u.error().message.find(says), std::string::npos) << u.error().message;
  }
}

TEST(ServerUrlTest, QueryIsPercentEncodedBehindTheBasePath) {
  ServerUrl u{true, "h", "443", "/prefix"};
  HttpRequest r;
  r.path = "/api/v1/nodes";
  r.query = {{"labelSelector", "rdma.dev/roce in (true),zone!=a b+c"}, {"limit", "500"}};
  EXPECT_EQ(RequestTarget(u, r),
            "/prefix/api/v1/nodes?labelSelector=rdma.dev%2Froce%20in%20%28true%29%2Czone%21%3Da%20b%2Bc&limit=500");
}

TEST(HttpTransportTest, KeepsAndReusesConnections) {
  TestHttpServer s([](const TestRequest& r, TestConnection& c) { c.RespondKeepAlive(200, "\"" + r.target + "\""); });
  auto t = TransportFor(s);
  for (int i = 0; i < 5; ++i) {
    auto r = t->Send(Get("/n" + std::to_string(i)), {});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "\"/n" + std::to_string(i) + "\"");
  }
  EXPECT_EQ(t->connections_opened(), 1u);
  EXPECT_EQ(s.connections(), 1);
}

TEST(HttpTransportTest, ConnectionTheServerClosedIsNotReused) {
  // Answered as kept, then closed: what a server's idle timeout does.
  TestHttpServer s([](const TestRequest&, TestConnection& c) {
    c.RespondKeepAlive(200, "{}");
    c.Close();
  });
  auto t = TransportFor(s);
  for (int i = 0; i < 3; ++i) {
    auto r = t->Send(Get("/x"), {});
    ASSERT_TRUE(r.ok()) << "request " << i << ": " << r.error().ToString();
  }
  EXPECT_EQ(s.connections(), 3);
}

TEST(HttpTransportTest, ConnectionClosedUnderARequestRetriesOnlyWhatMaySendTwice) {
  // The first request on each connection is answered and the connection
  // kept; the second is read and the connection closed with no answer.
  TestHttpServer s([](const TestRequest&, TestConnection& c) {
    thread_local int served = 0;  // each connection has a thread of its own
    if (served++ == 0) c.RespondKeepAlive(200, R"({"n":1})");
  });
  auto t = TransportFor(s);
  ASSERT_TRUE(t->Send(Get("/first"), {}).ok());
  auto again = t->Send(Get("/again"), {});  // kept connection dies under it: a GET is sent again
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(t->connections_opened(), 2u);

  HttpRequest post = Get("/create");
  post.method = "POST";
  post.body = "{}";
  post.operation = "create thing";
  auto created = t->Send(post, {});  // a POST on a dying kept connection is not sent twice
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(IsTransport(created.error()));
  EXPECT_NE(created.error().message.find("create thing"), std::string::npos) << created.error().message;
  EXPECT_NE(created.error().message.find("closed the connection"), std::string::npos) << created.error().message;
  EXPECT_EQ(t->connections_opened(), 2u);
}

TEST(HttpTransportTest, ReadsBodiesLargerThanBeastsDefaultLimit) {
  const std::string big = "\"" + std::string(9 << 20, 'x') + "\"";  // 9 MiB: a large list
  TestHttpServer s([&](const TestRequest&, TestConnection& c) { c.Respond(200, big); });
  auto r = TransportFor(s)->Send(Get("/api/v1/nodes"), {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->body.size(), big.size());
}

TEST(HttpTransportTest, StreamHandsOutWholeLinesWhateverTheChunking) {
  std::promise<void> first_sent;
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.StartChunked();
    c.Chunk(R"({"type":"ADDED",)");
    c.Chunk("\"n\":1}\r\n{\"type\":");
    c.Chunk("\"MODIFIED\"}\n\n");
    c.Chunk(R"({"type":"DELETED"})");  // the last line has no newline
    c.EndChunked();
  });
  std::vector<std::string> lines;
  auto r = TransportFor(s)->Stream(Get("/watch"),
                                   [&](std::string_view l) {
                                     lines.emplace_back(l);
                                     return true;
                                   },
                                   {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(lines,
            (std::vector<std::string>{R"({"type":"ADDED","n":1})", R"({"type":"MODIFIED"})", R"({"type":"DELETED"})"}));
}

TEST(HttpTransportTest, StreamErrorStatusComesBackWithItsBody) {
  TestHttpServer s([](const TestRequest&, TestConnection& c) {
    c.Respond(429, R"({"kind":"Status","code":429})", "Retry-After: 3\r\n");
  });
  auto r = TransportFor(s)->Stream(Get("/watch"), [](std::string_view) { return true; }, {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->body, R"({"kind":"Status","code":429})");
  EXPECT_EQ(r->retry_after, std::chrono::seconds(3));
}

TEST(HttpTransportTest, StoppingASendWaitingForAnAnswerReturnsPromptly) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestHttpServer s([&](const TestRequest&, TestConnection&) { released.wait(); });
  auto t = TransportFor(s);
  std::stop_source stop;
  auto result = std::async(std::launch::async, [&] { return t->Send(Get("/slow"), stop.get_token()); });
  EXPECT_EQ(result.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  stop.request_stop();
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto r = result.get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("cancelled"), std::string::npos) << r.error().message;
  release.set_value();
}

TEST(HttpTransportTest, SilentServerTimesOutNamingTheOperation) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestHttpServer s([&](const TestRequest&, TestConnection&) { released.wait(); });
  HttpRequest r = Get("/slow");
  r.timeout = std::chrono::milliseconds(300);
  auto got = TransportFor(s)->Send(r, {});
  release.set_value();
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(IsTransport(got.error()));
  EXPECT_NE(got.error().message.find("get /slow"), std::string::npos) << got.error().message;
  EXPECT_NE(got.error().message.find("timed out after 0.3s"), std::string::npos) << got.error().message;
}

TEST(HttpTransportTest, RefusedConnectionNamesTheServer) {
  int port;
  {
    TestHttpServer gone([](const TestRequest&, TestConnection&) {});
    port = std::stoi(gone.url().substr(gone.url().rfind(':') + 1));
  }
  Config c;
  c.server = "http://127.0.0.1:" + std::to_string(port);
  auto t = HttpTransport::Create(c);
  ASSERT_TRUE(t.ok());
  auto r = (*t)->Send(Get("/x"), {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTransport(r.error()));
  EXPECT_NE(r.error().message.find("connect to 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace kube
