#include "kube/client.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "kube/http_transport.h"
#include "kube/test_http_server.h"

namespace kube {
namespace {

using testing::TestConnection;
using testing::TestHttpServer;
using testing::TestRequest;

std::shared_ptr<Client> ClientFor(const TestHttpServer& s, Config c = {}) {
  c.server = s.url();
  c.user_agent = "kube-test/1";
  auto t = HttpTransport::Create(c);
  EXPECT_TRUE(t.ok()) << t.error().ToString();
  ClientOptions o;
  o.qps = 0;  // unlimited
  o.retry_initial = std::chrono::milliseconds(1);
  return std::make_shared<Client>(std::shared_ptr<Transport>(std::move(*t)), o);
}

TEST(ClientTest, GetSendsHeadersAndParsesObject) {
  TestRequest seen;
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    seen = r;
    c.Respond(200, R"({"kind":"Pod","metadata":{"name":"p","namespace":"ns"}})");
  });
  Config cfg;
  cfg.token = "abc";
  auto client = ClientFor(s, cfg);
  auto pod = client->Get(resources::Pods(), "ns", "p");
  ASSERT_TRUE(pod.ok()) << pod.error().ToString();
  EXPECT_EQ(NameOf(*pod), "p");
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.target, "/api/v1/namespaces/ns/pods/p");
  EXPECT_EQ(seen.headers["user-agent"], "kube-test/1");
  EXPECT_EQ(seen.headers["authorization"], "Bearer abc");
}

TEST(ClientTest, StatusBodyBecomesTypedError) {
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.Respond(422, R"({"kind":"Status","apiVersion":"v1","status":"Failure","code":422,"reason":"Invalid",
      "message":"RdmaNetwork \"n\" is invalid","details":{"causes":[{"reason":"FieldValueInvalid",
      "message":"must be <= 9000","field":"spec.mtu"}]}})");
  });
  auto client = ClientFor(s);
  auto r = client->Create({"rdma.dev", "v1alpha1", "rdmanetworks", "RdmaNetwork", true},
                          {{"metadata", {{"name", "n"}, {"namespace", "x"}}}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsInvalid(r.error()));
  EXPECT_FALSE(IsNotFound(r.error()));
  ASSERT_EQ(r.error().causes.size(), 1u);
  EXPECT_EQ(r.error().causes[0].field, "spec.mtu");
  EXPECT_NE(r.error().ToString().find("create rdmanetworks.rdma.dev x/n"), std::string::npos)
      << r.error().ToString();
}

TEST(ClientTest, ReadsRetry429HonouringRetryAfterButWritesDoNotRetry500) {
  std::atomic<int> calls{0};
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    int n = ++calls;
    if (r.method == "GET" && n == 1) {
      c.Respond(429, R"({"kind":"Status","code":429,"reason":"TooManyRequests","message":"slow down"})",
                "Retry-After: 0\r\n");
    } else if (r.method == "GET" && n == 2) {
      c.Respond(503, "not json");
    } else if (r.method == "GET") {
      c.Respond(200, R"({"metadata":{"name":"p"}})");
    } else {
      c.Respond(500, R"({"kind":"Status","code":500,"reason":"InternalError","message":"boom"})");
    }
  });
  auto client = ClientFor(s);
  auto r = client->Get(resources::ConfigMaps(), "ns", "p");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(client->stats().retries.load(), 2u);

  calls = 10;
  auto w = client->Update(resources::ConfigMaps(), {{"metadata", {{"name", "p"}, {"namespace", "ns"}}}});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, 500);
  EXPECT_EQ(calls.load(), 11);  // not retried: the server may have applied it
}

TEST(ClientTest, TransportErrorNamesOperation) {
  Config c;
  c.server = "http://127.0.0.1:1";  // nothing listens on port 1
  auto t = HttpTransport::Create(c);
  ASSERT_TRUE(t.ok());
  ClientOptions o;
  o.max_retries = 1;
  o.retry_initial = std::chrono::milliseconds(1);
  Client client(std::shared_ptr<Transport>(std::move(*t)), o);
  auto r = client.Get(resources::Nodes(), "", "n1");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTransport(r.error()));
  EXPECT_NE(r.error().message.find("get nodes n1"), std::string::npos) << r.error().message;
}

TEST(ClientTest, DeleteSendsPreconditionsAndPropagation) {
  TestRequest seen;
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    seen = r;
    c.Respond(200, R"({"kind":"Status","status":"Success"})");
  });
  auto client = ClientFor(s);
  DeleteOptions d;
  d.precondition_uid = "u1";
  d.precondition_resource_version = "42";
  d.propagation_policy = "Foreground";
  ASSERT_TRUE(client->Delete(resources::Pods(), "ns", "p", d).ok());
  EXPECT_EQ(seen.method, "DELETE");
  auto body = json::parse(seen.body);
  EXPECT_EQ(body["preconditions"]["uid"], "u1");
  EXPECT_EQ(body["preconditions"]["resourceVersion"], "42");
  EXPECT_EQ(body["propagationPolicy"], "Foreground");
}

TEST(ClientTest, EvictPostsAnEvictionAndReturnsABudget429AtOnce) {
  std::atomic<int> calls{0};
  TestRequest seen;
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    seen = r;
    ++calls;
    c.Respond(429, R"({"kind":"Status","code":429,"reason":"TooManyRequests",
      "message":"Cannot evict pod as it would violate the pod's disruption budget.",
      "details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget pdb needs 1 healthy pods and has 1 currently"}]}})");
  });
  auto client = ClientFor(s);
  auto r = client->Evict("ns", "p");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsTooManyRequests(r.error()));
  EXPECT_EQ(calls.load(), 1);  // not retried by the client: the caller backs off
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.target, "/api/v1/namespaces/ns/pods/p/eviction");
  auto body = json::parse(seen.body);
  EXPECT_EQ(body["apiVersion"], "policy/v1");
  EXPECT_EQ(body["kind"], "Eviction");
  EXPECT_EQ(body["metadata"]["name"], "p");
  EXPECT_EQ(body["metadata"]["namespace"], "ns");
}

TEST(ClientTest, PatchUsesContentTypeAndStatusSubresource) {
  TestRequest seen;
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    seen = r;
    c.Respond(200, R"({"metadata":{"name":"n"}})");
  });
  auto client = ClientFor(s);
  ASSERT_TRUE(client->PatchStatus(resources::Nodes(), "", "n", PatchType::kJson,
                                  json::array({{{"op", "add"}, {"path", "/status/x"}, {"value", 1}}}))
                  .ok());
  EXPECT_EQ(seen.method, "PATCH");
  EXPECT_EQ(seen.target, "/api/v1/nodes/n/status");
  EXPECT_EQ(seen.headers["content-type"].rfind("application/json-patch+json", 0), 0u);
}

TEST(ClientTest, ListAllFollowsContinueTokens) {
  std::vector<std::string> targets;
  std::mutex mu;
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    {
      std::lock_guard<std::mutex> l(mu);
      targets.push_back(r.target);
    }
    if (r.target.find("continue=") == std::string::npos)
      c.Respond(200, R"({"items":[{"metadata":{"name":"a"}}],"metadata":{"resourceVersion":"7","continue":"t1"}})");
    else
      c.Respond(200, R"({"items":[{"metadata":{"name":"b"}}],"metadata":{"resourceVersion":"7"}})");
  });
  auto client = ClientFor(s);
  ListOptions o;
  o.limit = 1;
  o.label_selector = "app=x,tier!=db";
  auto all = client->ListAll(resources::Pods(), "ns", o);
  ASSERT_TRUE(all.ok()) << all.error().ToString();
  ASSERT_EQ((*all)["items"].size(), 2u);
  EXPECT_EQ((*all)["metadata"]["resourceVersion"], "7");
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_NE(targets[0].find("labelSelector=app%3Dx%2Ctier%21%3Ddb"), std::string::npos) << targets[0];
  EXPECT_NE(targets[1].find("continue=t1"), std::string::npos);
}

// Each watch event must reach the caller as soon as its line arrives, even
// when it is much smaller than any read buffer.
TEST(ClientTest, WatchDeliversEachSmallEventImmediately) {
  std::promise<void> got_first;
  auto got_first_f = got_first.get_future();
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.StartChunked();
    c.Chunk(R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}})" "\n");
    // The second event is only sent after the client has seen the first.
    got_first_f.wait();
    c.Chunk(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"5"}}})" "\n");
    c.EndChunked();
  });
  auto client = ClientFor(s);
  std::vector<std::string> seen;
  auto st = client->Watch(resources::Pods(), "", {}, [&](WatchEvent&& e) {
    seen.push_back(e.type + ":" + ResourceVersionOf(e.object));
    if (seen.size() == 1) got_first.set_value();
    return true;
  }, {});
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:1", "BOOKMARK:5"}));
}

TEST(ClientTest, WatchErrorEventBecomesGone) {
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.StartChunked();
    c.Chunk(R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (50)"}})j" "\n");
    c.EndChunked();
  });
  auto client = ClientFor(s);
  auto st = client->Watch(resources::Pods(), "", {}, [](WatchEvent&&) { return true; }, {});
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(IsGone(st.error())) << st.error().ToString();
}

TEST(ClientTest, WatchIsCancellableAndHasInactivityTimeout) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.StartChunked();
    c.Chunk(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})" "\n");
    released.wait();  // then silence
  });
  auto client = ClientFor(s);
  std::stop_source stop;
  auto st = client->Watch(resources::Pods(), "", {}, [&](WatchEvent&&) {
    stop.request_stop();
    return true;
  }, stop.get_token());
  EXPECT_TRUE(st.ok()) << st.error().ToString();

  WatchOptions o;
  o.inactivity_timeout = std::chrono::seconds(1);
  int events = 0;
  auto timed = client->Watch(resources::Pods(), "", o, [&](WatchEvent&&) { ++events; return true; }, {});
  release.set_value();
  ASSERT_FALSE(timed.ok());
  EXPECT_TRUE(IsTransport(timed.error()));
  EXPECT_EQ(events, 1);
}

TEST(ClientTest, StoppingABlockedWatchReturnsPromptly) {
  std::promise<void> release;
  auto released = release.get_future().share();
  TestHttpServer s([&](const TestRequest&, TestConnection& c) {
    c.StartChunked();
    released.wait();  // a quiet watch
  });
  auto client = ClientFor(s);
  std::stop_source stop;
  std::promise<Status> result;
  std::thread watcher([&] {
    result.set_value(client->Watch(resources::Pods(), "", {}, [](WatchEvent&&) { return true; }, stop.get_token()));
  });
  auto f = result.get_future();
  // The watch is blocked reading; nothing will arrive until we stop it.
  EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  stop.request_stop();
  EXPECT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  watcher.join();
  EXPECT_TRUE(f.get().ok());
  release.set_value();
}

TEST(ClientTest, RereadsTokenFileAfter401) {
  namespace fs = std::filesystem;
  auto tok = fs::temp_directory_path() / ("kube-token-" + std::to_string(::getpid()));
  std::ofstream(tok) << "old";
  TestHttpServer s([&](const TestRequest& r, TestConnection& c) {
    if (r.headers.at("authorization") == "Bearer new")
      c.Respond(200, R"({"metadata":{"name":"p"}})");
    else
      c.Respond(401, R"({"kind":"Status","code":401,"reason":"Unauthorized"})");
  });
  Config cfg;
  cfg.token_file = tok.string();
  auto client = ClientFor(s, cfg);
  std::ofstream(tok) << "new";  // rotated after the client cached "old"
  auto r = client->Get(resources::Pods(), "ns", "p");
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  fs::remove(tok);
}

TEST(ClientTest, RejectsBadTlsMaterialWithClearError) {
  Config c;
  c.server = "https://127.0.0.1:6443";
  c.ca_pem = "not a certificate";
  auto t = HttpTransport::Create(c);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("certificate authority"), std::string::npos) << t.error().message;
}

}  // namespace
}  // namespace kube
