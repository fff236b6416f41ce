#include "kube/manager.h"

#include <condition_variable>
#include <set>

#include <gtest/gtest.h>

#include "kube/memory_api_server.h"

namespace kube {
namespace {

using namespace std::chrono_literals;

TEST(ManagerTest, RunsControllersOnlyAsLeaderAndStopsCleanly) {
  auto server = std::make_shared<MemoryApiServer>();
  ClientOptions co;
  co.qps = 0;
  auto client = std::make_shared<Client>(server, co);
  ManagerOptions mo;
  mo.probe_address = "127.0.0.1:0";
  LeaderElectionConfig le;
  le.lease_namespace = "default";
  le.lease_name = "mgr-test";
  le.identity = "me";
  le.retry_period = 50ms;
  mo.leader_election = le;
  Manager mgr(client, mo);
  auto& inf = mgr.AddInformer(resources::ConfigMaps(), "ns");
  std::mutex mu;
  std::condition_variable cv;
  std::set<std::string> reconciled;
  ControllerOptions o;
  o.name = "cm";
  auto& ctl = mgr.AddController(o, [&](const std::string& key, std::stop_token) -> Result<ReconcileResult> {
    std::lock_guard<std::mutex> l(mu);
    reconciled.insert(key);
    cv.notify_all();
    return ReconcileResult::Done();
  });
  inf.AddEventHandler(ctl.EnqueueHandler());
  ASSERT_TRUE(client->Create(resources::ConfigMaps(), {{"metadata", {{"name", "a"}, {"namespace", "ns"}}}}).ok());

  std::stop_source stop;
  int rc = -1;
  std::thread t([&] { rc = mgr.Run(stop.get_token()); });
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return reconciled.count("ns/a") == 1; }));
  }
  auto [code, body] = mgr.health().Handle("/readyz");
  EXPECT_EQ(code, 200) << body;
  EXPECT_NE(mgr.health().Handle("/metrics").second.find("controller_runtime_reconcile_total"), std::string::npos);
  stop.request_stop();
  t.join();
  EXPECT_EQ(rc, 0);
  auto lease = client->Get(resources::Leases(), "default", "mgr-test");
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "");  // released on the way out
}

}  // namespace
}  // namespace kube
