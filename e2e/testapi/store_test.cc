// Store: the watch history window, compaction, and persistence to a data
// directory (snapshot + journal) as a restarted server sees it.
#include "e2e/testapi/store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace testapi {
namespace {

json Cm(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"namespace", "default"}, {"name", name}}},
          {"data", {{"k", value}}}};
}

uint64_t RvOf(const ObjectPtr& o) { return std::stoull((*o)["metadata"]["resourceVersion"].get<std::string>()); }

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("store_test_" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  // The data files as a crash at this moment would leave them.
  void CopyTo(const TempDir& other) const {
    for (const auto& e : std::filesystem::directory_iterator(path_))
      std::filesystem::copy_file(e.path(), other.path() / e.path().filename(),
                                 std::filesystem::copy_options::overwrite_existing);
  }

 private:
  std::filesystem::path path_;
};

TEST(StoreTest, ResourceVersionsIncreaseAcrossStorageKeys) {
  Store s(100);
  auto a = s.Create("/configmaps", Cm("a"));
  auto b = s.Create("/secrets", Cm("b"));
  auto a2 = s.Update("/configmaps", Cm("a", "w"), a);
  EXPECT_LT(RvOf(a), RvOf(b));
  EXPECT_LT(RvOf(b), RvOf(a2));
  EXPECT_EQ(s.CurrentRv(), RvOf(a2));
  EXPECT_EQ((*s.Get("/configmaps", "default", "a"))["data"]["k"], "w");
  auto gone = s.Delete("/configmaps", a2);
  EXPECT_GT(RvOf(gone), RvOf(a2));  // the DELETED event has its own resourceVersion
  EXPECT_EQ(s.Get("/configmaps", "default", "a"), nullptr);
}

TEST(StoreTest, ListFiltersByNamespaceWithoutPrefixConfusion) {
  Store s(100);
  s.Create("/configmaps", Cm("x"));
  json other = Cm("y");
  other["metadata"]["namespace"] = "default2";
  s.Create("/configmaps", other);
  EXPECT_EQ(s.List("/configmaps", "default").size(), 1u);
  EXPECT_EQ(s.List("/configmaps", "default2").size(), 1u);
  EXPECT_EQ(s.List("/configmaps").size(), 2u);
  EXPECT_TRUE(s.List("/nothing").empty());
}

TEST(StoreTest, HistoryWindowKeepsTheLastChangesOnly) {
  Store s(3);
  auto first = s.Create("/configmaps", Cm("c0"));
  uint64_t start = RvOf(first) - 1;
  for (int i = 1; i < 5; ++i) s.Create("/configmaps", Cm("c" + std::to_string(i)));
  // 5 changes, window 3: the first two are gone, so resuming needs rv >= 2.
  EXPECT_EQ(s.OldestWatchableRv("/configmaps"), start + 2);
  auto changes = s.ChangesSince("/configmaps", start + 2);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ((*changes[0].object)["metadata"]["name"], "c2");
  EXPECT_EQ((*changes[2].object)["metadata"]["name"], "c4");
}

TEST(StoreTest, ChangesSinceReturnsOnlyThatStorageAfterTheRv) {
  Store s(100);
  auto a = s.Create("/configmaps", Cm("a"));
  s.Create("/secrets", Cm("s"));
  auto a2 = s.Update("/configmaps", Cm("a", "2"), a);
  auto changes = s.ChangesSince("/configmaps", RvOf(a));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].type, EventType::kModified);
  EXPECT_EQ(changes[0].rv, RvOf(a2));
  ASSERT_NE(changes[0].old, nullptr);
  EXPECT_EQ((*changes[0].old)["data"]["k"], "v");
}

TEST(StoreTest, CompactExpiresEveryEarlierResourceVersion) {
  Store s(100);
  auto a = s.Create("/configmaps", Cm("a"));
  EXPECT_LE(s.OldestWatchableRv("/configmaps"), RvOf(a));
  s.Compact();
  EXPECT_EQ(s.OldestWatchableRv("/configmaps"), s.CurrentRv());
  EXPECT_TRUE(s.ChangesSince("/configmaps", 0).empty());
  // Objects themselves are not touched.
  EXPECT_NE(s.Get("/configmaps", "default", "a"), nullptr);
}

TEST(StoreTest, StartHistoryMakesEarlierRvsExpiredForThatStorageOnly) {
  Store s(100);
  s.Create("/configmaps", Cm("a"));
  s.StartHistory("example.com/widgets");
  EXPECT_EQ(s.OldestWatchableRv("example.com/widgets"), s.CurrentRv());
  EXPECT_EQ(s.OldestWatchableRv("/configmaps"), 0u);
}

TEST(StoreTest, ListenersSeeEveryChange) {
  struct Recorder : ChangeListener {
    std::vector<EventType> seen;
    void OnChange(const Change& c) override { seen.push_back(c.type); }
  } rec;
  Store s(100);
  s.AddListener(&rec);
  auto a = s.Create("/configmaps", Cm("a"));
  a = s.Update("/configmaps", Cm("a", "2"), a);
  s.Delete("/configmaps", a);
  s.RemoveListener(&rec);
  s.Create("/configmaps", Cm("b"));
  EXPECT_EQ(rec.seen, (std::vector<EventType>{EventType::kAdded, EventType::kModified, EventType::kDeleted}));
}

TEST(StorePersistenceTest, ObjectsAndResourceVersionSurviveReopen) {
  TempDir dir;
  uint64_t rv;
  {
    Store s(100);
    ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
    auto a = s.Create("/configmaps", Cm("a"));
    s.Update("/configmaps", Cm("a", "2"), a);
    auto b = s.Create("/configmaps", Cm("b"));
    s.Delete("/configmaps", b);
    rv = s.CurrentRv();
  }
  Store s(100);
  ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
  EXPECT_EQ(s.CurrentRv(), rv);
  auto a = s.Get("/configmaps", "default", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["data"]["k"], "2");
  EXPECT_EQ(s.Get("/configmaps", "default", "b"), nullptr);
  // The next write continues the counter.
  EXPECT_GT(RvOf(s.Create("/configmaps", Cm("c"))), rv);
}

TEST(StorePersistenceTest, JournalWithoutCheckpointIsReplayed) {
  TempDir dir, crashed;
  uint64_t rv;
  {
    Store s(100);
    ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
    auto a = s.Create("/configmaps", Cm("a"));
    s.Update("/configmaps", Cm("a", "3"), a);
    rv = s.CurrentRv();
    // A crash leaves no final snapshot, only the journal.
    dir.CopyTo(crashed);
  }
  Store s(100);
  ASSERT_EQ(s.OpenDataDir(crashed.path()), std::nullopt);
  EXPECT_EQ(s.CurrentRv(), rv);
  auto a = s.Get("/configmaps", "default", "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ((*a)["data"]["k"], "3");
}

TEST(StorePersistenceTest, TornLastJournalLineIsIgnored) {
  TempDir dir, crashed;
  uint64_t rv;
  {
    Store s(100);
    ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
    s.Create("/configmaps", Cm("a"));
    rv = s.CurrentRv();
    dir.CopyTo(crashed);
  }
  {
    std::ofstream j(crashed.path() / "journal.jsonl", std::ios::app);
    j << R"({"rv":)" << rv + 1 << R"(,"t":"put","s":"/configmaps","o":{"metadata":{"name":"tor)";
  }
  Store s(100);
  ASSERT_EQ(s.OpenDataDir(crashed.path()), std::nullopt);
  EXPECT_EQ(s.CurrentRv(), rv);
  EXPECT_NE(s.Get("/configmaps", "default", "a"), nullptr);
  EXPECT_EQ(s.Get("/configmaps", "default", "torn"), nullptr);
}

TEST(StorePersistenceTest, WatchFromBeforeReopenIsExpired) {
  TempDir dir;
  uint64_t old_rv;
  {
    Store s(100);
    ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
    old_rv = RvOf(s.Create("/configmaps", Cm("a")));
    s.Create("/configmaps", Cm("b"));
  }
  Store s(100);
  ASSERT_EQ(s.OpenDataDir(dir.path()), std::nullopt);
  EXPECT_GT(s.OldestWatchableRv("/configmaps"), old_rv);
  EXPECT_EQ(s.OldestWatchableRv("/configmaps"), s.CurrentRv());
}

TEST(StorePersistenceTest, CorruptSnapshotIsAnError) {
  TempDir dir;
  std::ofstream(dir.path() / "snapshot.json") << "{not json";
  Store s(100);
  auto err = s.OpenDataDir(dir.path());
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("snapshot.json"), std::string::npos) << *err;
}

TEST(StorePersistenceTest, UnusableDataDirIsAnError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  Store s(100);
  auto err = s.OpenDataDir(dir.path() / "file" / "sub");
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("data directory"), std::string::npos) << *err;
}

}  // namespace
}  // namespace testapi
