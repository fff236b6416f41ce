#include "kube/leader_election.h"

#include <condition_variable>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "kube/memory_api_server.h"

namespace kube {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<Client> NewClient(std::shared_ptr<Transport> t) {
  ClientOptions o;
  o.qps = 0;
  o.max_retries = 0;
  return std::make_shared<Client>(std::move(t), o);
}

LeaderElectionConfig Cfg(const std::string& id) {
  LeaderElectionConfig c;
  c.lease_namespace = "kube-system";
  c.lease_name = "rdma-operator";
  c.identity = id;
  c.lease_duration = 1s;
  c.renew_deadline = 600ms;
  c.retry_period = 100ms;
  return c;
}

TEST(LeaderElectionTest, OnlyOneHolderAndTransitionsCounted) {
  auto server = std::make_shared<MemoryApiServer>();
  LeaderElector a(NewClient(server), Cfg("a"), {});
  LeaderElector b(NewClient(server), Cfg("b"), {});
  EXPECT_TRUE(a.TryAcquireOrRenew());   // creates the lease
  EXPECT_FALSE(b.TryAcquireOrRenew());  // a's lease is fresh
  EXPECT_TRUE(a.TryAcquireOrRenew());   // renew
  EXPECT_FALSE(b.TryAcquireOrRenew());
  EXPECT_EQ(b.Leader(), "a");
  auto lease = NewClient(server)->Get(resources::Leases(), "kube-system", "rdma-operator");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 0);
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 1);
}

TEST(LeaderElectionTest, ReleaseOnStopHandsOverAtOnce) {
  auto server = std::make_shared<MemoryApiServer>();
  std::promise<void> a_leads;
  LeaderCallbacks cb;
  cb.on_started_leading = [&](std::stop_token) { a_leads.set_value(); };
  LeaderElector a(NewClient(server), Cfg("a"), cb);
  std::stop_source stop_a;
  std::thread ta([&] { a.Run(stop_a.get_token()); });
  a_leads.get_future().wait();
  stop_a.request_stop();
  ta.join();
  EXPECT_FALSE(a.IsLeader());
  LeaderElector b(NewClient(server), Cfg("b"), {});
  EXPECT_TRUE(b.TryAcquireOrRenew());  // released: no need to wait out the lease
  auto lease = NewClient(server)->Get(resources::Leases(), "kube-system", "rdma-operator");
  EXPECT_EQ((*lease)["spec"]["leaseTransitions"], 1);
}

TEST(LeaderElectionTest, CrashedLeaderIsReplacedAfterLeaseDurationAndLoserStops) {
  auto server = std::make_shared<MemoryApiServer>();
  // "a" can be cut off from the server, like a crashed or partitioned pod.
  std::atomic<bool> a_partitioned{false};
  struct Partitionable : Transport {
    std::shared_ptr<Transport> inner;
    std::atomic<bool>* cut;
    Result<HttpResponse> Send(const HttpRequest& r, std::stop_token s) override {
      if (*cut) return ApiError::Transport(r.operation, "connection refused");
      return inner->Send(r, s);
    }
    Result<HttpResponse> Stream(const HttpRequest& r, const std::function<bool(std::string_view)>& f,
                                std::stop_token s) override {
      return inner->Stream(r, f, s);
    }
  };
  auto pa = std::make_shared<Partitionable>();
  pa->inner = server;
  pa->cut = &a_partitioned;

  std::mutex mu;
  std::condition_variable cv;
  std::string leading;
  bool a_stopped = false;
  auto make_cb = [&](const std::string& id) {
    LeaderCallbacks cb;
    cb.on_started_leading = [&, id](std::stop_token) {
      std::lock_guard<std::mutex> l(mu);
      leading = id;
      cv.notify_all();
    };
    cb.on_stopped_leading = [&, id] {
      std::lock_guard<std::mutex> l(mu);
      if (id == "a") a_stopped = true;
      cv.notify_all();
    };
    return cb;
  };
  LeaderElector a(NewClient(pa), Cfg("a"), make_cb("a"));
  LeaderElector b(NewClient(server), Cfg("b"), make_cb("b"));
  std::stop_source stop;
  std::thread ta([&] { a.Run(stop.get_token()); });
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return leading == "a"; }));
  }
  std::thread tb([&] { b.Run(stop.get_token()); });
  a_partitioned = true;
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return leading == "b" && a_stopped; }));
  }
  EXPECT_FALSE(a.IsLeader());
  EXPECT_TRUE(b.IsLeader());
  stop.request_stop();
  ta.join();
  tb.join();
}

}  // namespace
}  // namespace kube
