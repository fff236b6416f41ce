#include "kube/controller.h"

#include <condition_variable>
#include <map>

#include <gtest/gtest.h>

namespace kube {
namespace {

using namespace std::chrono_literals;

TEST(ControllerTest, RetriesErrorsWithBackoffThenSucceedsAndExportsMetrics) {
  MetricsRegistry metrics;
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, int> calls;
  ControllerOptions o;
  o.name = "widgets";
  o.workers = 2;
  o.queue.base_delay = 1ms;
  o.metrics = &metrics;
  Controller c(o, [&](const std::string& key, std::stop_token) -> Result<ReconcileResult> {
    std::lock_guard<std::mutex> l(mu);
    int n = ++calls[key];
    cv.notify_all();
    if (key == "ns/flaky" && n < 3) {
      ApiError e;
      e.code = 409;
      e.reason = "Conflict";
      e.message = "update widgets ns/flaky: the object has been modified";
      return e;
    }
    if (key == "ns/poll" && n < 2) return ReconcileResult::RequeueAfter(5ms);
    return ReconcileResult::Done();
  });
  std::stop_source stop;
  std::thread runner([&] { c.Run(stop.get_token()); });
  c.queue().Add("ns/flaky");
  c.queue().Add("ns/poll");
  c.queue().Add("ns/ok");
  {
    std::unique_lock<std::mutex> l(mu);
    ASSERT_TRUE(cv.wait_for(l, 10s, [&] { return calls["ns/flaky"] == 3 && calls["ns/poll"] == 2 && calls["ns/ok"] == 1; }));
  }
  stop.request_stop();
  runner.join();
  EXPECT_EQ(c.queue().NumRequeues("ns/flaky"), 0);  // forgotten after success
  std::string text = metrics.Render();
  EXPECT_NE(text.find("controller_runtime_reconcile_total{controller=\"widgets\",result=\"error\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("controller_runtime_reconcile_total{controller=\"widgets\",result=\"success\"} 3"), std::string::npos);
  EXPECT_NE(text.find("controller_runtime_reconcile_total{controller=\"widgets\",result=\"requeue_after\"} 1"), std::string::npos);
  EXPECT_NE(text.find("controller_runtime_reconcile_time_seconds_count{controller=\"widgets\"} 6"), std::string::npos);
  EXPECT_NE(text.find("workqueue_depth{name=\"widgets\"} 0"), std::string::npos);
  EXPECT_NE(text.find("# TYPE controller_runtime_reconcile_time_seconds histogram"), std::string::npos);
}

TEST(ControllerTest, StopWaitsForRunningReconcileAndStartsNoNewOnes) {
  std::mutex mu;
  std::condition_variable cv;
  bool started = false, release = false;
  std::atomic<int> calls{0};
  ControllerOptions o;
  o.name = "slow";
  Controller c(o, [&](const std::string&, std::stop_token) -> Result<ReconcileResult> {
    ++calls;
    std::unique_lock<std::mutex> l(mu);
    started = true;
    cv.notify_all();
    cv.wait(l, [&] { return release; });
    return ReconcileResult::Done();
  });
  std::stop_source stop;
  std::atomic<bool> returned{false};
  std::thread runner([&] {
    c.Run(stop.get_token());
    returned = true;
  });
  c.queue().Add("a");
  {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return started; });
  }
  c.queue().Add("b");
  stop.request_stop();
  while (!c.queue().ShuttingDown()) std::this_thread::yield();
  EXPECT_FALSE(returned.load());  // still draining "a"
  {
    std::lock_guard<std::mutex> l(mu);
    release = true;
    cv.notify_all();
  }
  runner.join();
  EXPECT_EQ(calls.load(), 1);  // "b" was never started
}

TEST(MetricsTest, RendersPrometheusText) {
  MetricsRegistry m;
  m.GetCounter("requests_total", "Requests", {{"code", "200"}}).Inc(3);
  m.GetGauge("up", "Up").Set(1);
  auto& h = m.GetHistogram("latency_seconds", "Latency", {}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  std::string t = m.Render();
  EXPECT_NE(t.find("# TYPE requests_total counter\nrequests_total{code=\"200\"} 3\n"), std::string::npos) << t;
  EXPECT_NE(t.find("up 1\n"), std::string::npos);
  EXPECT_NE(t.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(t.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("latency_seconds_count 3\n"), std::string::npos);
}

}  // namespace
}  // namespace kube
