#include "kube/informer.h"

#include <condition_variable>
#include <map>

#include <gtest/gtest.h>

#include "kube/memory_api_server.h"

namespace kube {
namespace {

using namespace std::chrono_literals;

// Records handler calls and lets a test wait for a condition on them.
class Recorder {
 public:
  EventHandler Handler() {
    return {[this](const json& o) { Note("add " + KeyOf(o)); },
            [this](const json& a, const json& b) {
              Note("update " + KeyOf(b) + " " + ResourceVersionOf(a) + "->" + ResourceVersionOf(b));
            },
            [this](const json& o) { Note("delete " + KeyOf(o)); }};
  }
  void Note(const std::string& s) {
    std::lock_guard<std::mutex> l(mu_);
    log_.push_back(s);
    cv_.notify_all();
  }
  // Waits until pred holds (re-checked on every event), at most 10s.
  bool WaitFor(const std::function<bool()>& pred) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, 10s, [&] {
      l.unlock();
      bool ok = pred();
      l.lock();
      return ok;
    });
  }
  std::vector<std::string> Log() {
    std::lock_guard<std::mutex> l(mu_);
    return log_;
  }
  int Count(const std::string& prefix) {
    std::lock_guard<std::mutex> l(mu_);
    int n = 0;
    for (const auto& s : log_) n += s.rfind(prefix, 0) == 0;
    return n;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> log_;
};

struct Fixture {
  std::shared_ptr<MemoryApiServer> server = std::make_shared<MemoryApiServer>();
  std::shared_ptr<Client> client;
  Fixture() {
    ClientOptions o;
    o.qps = 0;
    o.retry_initial = 1ms;
    o.max_retries = 0;  // let the reflector handle failures
    client = std::make_shared<Client>(server, o);
  }
  InformerOptions Fast() {
    InformerOptions io;
    io.reflector.backoff_initial = 5ms;
    io.reflector.backoff_max = 50ms;
    io.reflector.page_size = 2;
    return io;
  }
  json Cm(const std::string& name, const std::string& v, const std::string& ns = "ns") {
    return {{"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", v}}}}}, {"data", {{"v", v}}}};
  }
  // The server's objects as key -> resourceVersion.
  std::map<std::string, std::string> ServerState() {
    std::map<std::string, std::string> m;
    auto l = client->ListAll(resources::ConfigMaps(), "");
    for (const auto& o : (*l)["items"]) m[KeyOf(o)] = ResourceVersionOf(o);
    return m;
  }
};

std::map<std::string, std::string> CacheState(const Store& s) {
  std::map<std::string, std::string> m;
  for (const auto& o : s.List()) m[KeyOf(*o)] = ResourceVersionOf(*o);
  return m;
}

// With the cache as JSON trees and packed (InformerOptions::packed_cache).
class InformerCacheTest : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(TreesAndPacked, InformerCacheTest, ::testing::Bool());

TEST_P(InformerCacheTest, SyncsThenReportsAddUpdateDeleteWithOldAndNew) {
  Fixture f;
  for (const char* n : {"a", "b", "c"}) ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm(n, "1")).ok());
  auto o = f.Fast();
  o.packed_cache = GetParam();
  Informer inf(f.client, resources::ConfigMaps(), "", "", o);
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(10s));
  EXPECT_EQ(inf.store().Size(), 3u);  // three objects over two pages
  EXPECT_EQ(rec.Count("add "), 3);

  auto b = f.client->Get(resources::ConfigMaps(), "ns", "b");
  std::string old_rv = ResourceVersionOf(*b);
  (*b)["data"]["v"] = "2";
  auto updated = f.client->Update(resources::ConfigMaps(), *b);
  ASSERT_TRUE(updated.ok());
  ASSERT_TRUE(f.client->Delete(resources::ConfigMaps(), "ns", "c").ok());
  ASSERT_TRUE(rec.WaitFor([&] { return rec.Count("delete ") == 1; }));
  auto log = rec.Log();
  EXPECT_NE(std::find(log.begin(), log.end(), "update ns/b " + old_rv + "->" + ResourceVersionOf(*updated)), log.end());
  EXPECT_EQ(log.back(), "delete ns/c");
  EXPECT_EQ(CacheState(inf.store()), f.ServerState());
  EXPECT_EQ(*inf.store().Get("ns/b"), *updated);
  EXPECT_EQ(inf.store().ByIndex(Store::kLabelIndex, "app=1").size(), 2u);
  EXPECT_EQ(inf.store().ByIndex(Store::kNamespaceIndex, "ns").size(), 2u);
}

TEST(InformerTest, DroppedWatchResumesFromLastVersionWithoutRelisting) {
  Fixture f;
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("a", "1")).ok());
  Informer inf(f.client, resources::ConfigMaps(), "", "", f.Fast());
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(10s));
  for (int i = 0; i < 3; ++i) {
    f.server->DropWatches();
    ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("x" + std::to_string(i), "1")).ok());
  }
  ASSERT_TRUE(rec.WaitFor([&] { return CacheState(inf.store()) == f.ServerState(); }));
  EXPECT_EQ(rec.Count("add "), 4);  // no duplicates
  EXPECT_EQ(inf.reflector().lists(), 1u);
}

TEST(InformerTest, RelistsAfter410AndReportsWhatChangedInTheGap) {
  Fixture f;
  for (const char* n : {"a", "b"}) ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm(n, "1")).ok());
  // Hold watches back so changes happen while the informer is not watching.
  std::atomic<bool> block_watch{false};
  f.server->SetFault([&](const HttpRequest& r) -> std::optional<HttpResponse> {
    if (block_watch && r.QueryValue("watch") == "true")
      return HttpResponse{503, R"({"kind":"Status","code":503,"reason":"ServiceUnavailable"})", std::nullopt};
    return std::nullopt;
  });
  Informer inf(f.client, resources::ConfigMaps(), "", "", f.Fast());
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(10s));
  // A watch is open once it delivers an event; only then block and drop it,
  // so that no watch request still in flight slips past the block.
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("probe", "1")).ok());
  ASSERT_TRUE(rec.WaitFor([&] { return rec.Count("add ns/probe") == 1; }));
  block_watch = true;
  f.server->DropWatches();
  ASSERT_TRUE(f.client->Delete(resources::ConfigMaps(), "ns", "a").ok());
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("c", "1")).ok());
  f.server->Compact();
  block_watch = false;
  ASSERT_TRUE(rec.WaitFor([&] { return CacheState(inf.store()) == f.ServerState(); }));
  EXPECT_EQ(rec.Count("delete ns/a"), 1);
  EXPECT_EQ(rec.Count("add ns/c"), 1);
  EXPECT_GE(inf.reflector().lists(), 2u);
}

TEST(InformerTest, ConvergesThroughBurstsOf500And429) {
  Fixture f;
  std::atomic<int> n{0};
  // Reads (lists and watches) fail often with 500; everything with 429 at first.
  f.server->SetFault([&](const HttpRequest& r) -> std::optional<HttpResponse> {
    int i = ++n;
    if (r.method == "GET" && i % 3 == 0) return HttpResponse{500, R"({"kind":"Status","code":500,"reason":"InternalError"})", std::nullopt};
    if (i % 3 == 1 && i < 30)
      return HttpResponse{429, R"({"kind":"Status","code":429,"reason":"TooManyRequests"})", std::chrono::seconds(0)};
    return std::nullopt;
  });
  Informer inf(f.client, resources::ConfigMaps(), "", "", f.Fast());
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  inf.Start();
  ClientOptions co;
  co.qps = 0;
  co.retry_initial = 1ms;
  co.max_retries = 50;
  Client writer(f.server, co);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(writer.Create(resources::ConfigMaps(), f.Cm("o" + std::to_string(i), "1")).ok());
  ASSERT_TRUE(writer.Delete(resources::ConfigMaps(), "ns", "o3").ok());
  f.server->SetFault(nullptr);
  ASSERT_TRUE(rec.WaitFor([&] { return CacheState(inf.store()) == f.ServerState(); }));
  EXPECT_EQ(inf.store().Size(), 9u);
}

TEST(InformerTest, ResyncRedeliversCachedObjects) {
  Fixture f;
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("a", "1")).ok());
  auto o = f.Fast();
  o.resync_period = 20ms;
  Informer inf(f.client, resources::ConfigMaps(), "", "", o);
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  inf.Start();
  ASSERT_TRUE(rec.WaitFor([&] { return rec.Count("update ns/a") >= 2; }));
}

TEST(InformerTest, LateHandlerGetsExistingObjectsAndLabelSelectorFilters) {
  Fixture f;
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("a", "x")).ok());
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), f.Cm("b", "y")).ok());
  Informer inf(f.client, resources::ConfigMaps(), "ns", "app=x", f.Fast());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(10s));
  Recorder rec;
  inf.AddEventHandler(rec.Handler());
  EXPECT_EQ(rec.Log(), std::vector<std::string>{"add ns/a"});
  auto sel = LabelSelector::Parse("app=x", nullptr);
  EXPECT_EQ(inf.store().List("ns", *sel).size(), 1u);
  EXPECT_EQ(inf.store().List("other", LabelSelector()).size(), 0u);
}

TEST(InformerTest, TransformTrimsWhatIsCachedAndHandedToHandlers) {
  Fixture f;
  json big = f.Cm("a", "1");
  big["data"]["blob"] = std::string(4096, 'x');
  ASSERT_TRUE(f.client->Create(resources::ConfigMaps(), big).ok());
  auto o = f.Fast();
  o.transform = [](json& obj) { obj["data"].erase("blob"); };
  Informer inf(f.client, resources::ConfigMaps(), "", "", o);
  std::mutex mu;
  std::vector<json> seen;  // what handlers got, in order
  Recorder rec;
  inf.AddEventHandler({[&](const json& x) { std::lock_guard l(mu); seen.push_back(x); rec.Note("add"); },
                       [&](const json&, const json& x) { std::lock_guard l(mu); seen.push_back(x); rec.Note("update"); },
                       [&](const json& x) { std::lock_guard l(mu); seen.push_back(x); rec.Note("delete"); }});
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(10s));
  auto a = f.client->Get(resources::ConfigMaps(), "ns", "a");
  (*a)["data"]["v"] = "2";
  ASSERT_TRUE(f.client->Update(resources::ConfigMaps(), *a).ok());
  ASSERT_TRUE(f.client->Delete(resources::ConfigMaps(), "ns", "a").ok());
  ASSERT_TRUE(rec.WaitFor([&] { return rec.Count("delete") == 1; }));

  std::lock_guard l(mu);
  ASSERT_EQ(seen.size(), 3u);  // listed, updated (while cached), deleted
  for (const auto& x : seen) EXPECT_FALSE(x["data"].contains("blob")) << x.dump();
  EXPECT_EQ(seen[1]["data"]["v"], "2");
  EXPECT_EQ(inf.store().Size(), 0u);
}

// Packed or not, a store answers the same; packed, each read is a copy that
// outlives later writes.
class StoreTest : public ::testing::TestWithParam<bool> {};
INSTANTIATE_TEST_SUITE_P(TreesAndPacked, StoreTest, ::testing::Bool());

TEST_P(StoreTest, ReadsBackExactlyWhatWasStored) {
  Store s(GetParam());
  const json obj = {{"metadata", {{"name", "a"}, {"namespace", "ns"}, {"labels", {{"app", "x"}}}}},
                    {"spec", {{"n", 7}, {"neg", -3}, {"big", 18446744073709551615u}, {"f", 0.1}, {"on", true},
                              {"none", nullptr}, {"list", {"é", json::object(), json::array()}}}}};
  EXPECT_EQ(s.Upsert(std::make_shared<const json>(obj)), nullptr);
  ObjectPtr got = s.Get("ns/a");
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, obj);
  EXPECT_EQ(got->dump(), obj.dump());  // same types too, not just equal values
  json changed = obj;
  changed["spec"]["n"] = 8;
  ObjectPtr old = s.Upsert(std::make_shared<const json>(changed));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(*old, obj);
  EXPECT_EQ((*got)["spec"]["n"], 7);  // the earlier read keeps its snapshot
  EXPECT_EQ((*s.Get("ns/a"))["spec"]["n"], 8);
  auto sel = LabelSelector::Parse("app=x", nullptr);
  ASSERT_EQ(s.List("ns", *sel).size(), 1u);
  EXPECT_EQ(*s.List("ns", *sel)[0], changed);
  EXPECT_EQ(*s.Remove("ns/a"), changed);
  EXPECT_EQ(s.Get("ns/a"), nullptr);
  EXPECT_EQ(s.Size(), 0u);
}

TEST_P(StoreTest, CustomIndexFollowsUpdatesAndRemovals) {
  Store s(GetParam());
  s.AddIndex("node", [](const json& o) {
    return std::vector<std::string>{o.value("spec", json::object()).value("nodeName", "")};
  });
  auto pod = [](const std::string& name, const std::string& node) {
    return std::make_shared<const json>(
        json{{"metadata", {{"name", name}, {"namespace", "ns"}}}, {"spec", {{"nodeName", node}}}});
  };
  s.Upsert(pod("p1", "n1"));
  s.Upsert(pod("p2", "n1"));
  EXPECT_EQ(s.ByIndex("node", "n1").size(), 2u);
  auto old = s.Upsert(pod("p2", "n2"));
  ASSERT_NE(old, nullptr);
  EXPECT_EQ(s.ByIndex("node", "n1").size(), 1u);
  EXPECT_EQ(s.ByIndex("node", "n2").size(), 1u);
  s.Remove("ns/p1");
  EXPECT_TRUE(s.ByIndex("node", "n1").empty());
  EXPECT_EQ(s.Get("ns/p1"), nullptr);
  EXPECT_TRUE(s.ByIndex("no-such-index", "x").empty());
}

}  // namespace
}  // namespace kube
