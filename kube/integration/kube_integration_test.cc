// Integration tests for kube/ against a live API server: kube-testapi
// (started per test, over HTTPS with client certificates or tokens) or, when
// RDMA_TEST_KUBECONFIG names a kubeconfig, a real cluster (never the one in
// KUBECONFIG). Everything is created in a fresh namespace and CRD group and
// deleted afterwards, without waiting for the deletion to finish. Tests that
// need kube-testapi itself (its admin endpoints for dropped watches,
// compaction and error bursts, restarts, its token file or certificate) are
// skipped on a real cluster.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "kube/client.h"
#include "kube/config.h"
#include "kube/http_transport.h"
#include "kube/informer.h"
#include "kube/integration/testapi_process.h"
#include "kube/retry.h"

namespace kube {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::string RandomSuffix() {
  static std::mt19937_64 rng(std::random_device{}());
  char b[9];
  std::snprintf(b, sizeof(b), "%08x", static_cast<unsigned>(rng()));
  return b;
}

// A transport wrapper that can refuse watches, so a test decides exactly
// when the informer reconnects.
class WatchGate : public Transport {
 public:
  explicit WatchGate(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) {}
  std::atomic<bool> closed{false};
  Result<HttpResponse> Send(const HttpRequest& r, std::stop_token s) override { return inner_->Send(r, s); }
  Result<HttpResponse> Stream(const HttpRequest& r, const std::function<bool(std::string_view)>& f,
                              std::stop_token s) override {
    if (closed) return ApiError::Transport(r.operation, "watch gate closed by test");
    return inner_->Stream(r, f, s);
  }

 private:
  std::shared_ptr<Transport> inner_;
};

class Cluster : public ::testing::Test {
 protected:
  void SetUp() override {
    kubeconfig_ = testing::RealClusterKubeconfig();
    real_ = !kubeconfig_.empty();
    const char* bin = std::getenv("KUBE_TESTAPI");
    if (!real_ && (bin == nullptr || !fs::exists(bin)))
      GTEST_SKIP() << "neither RDMA_TEST_KUBECONFIG nor KUBE_TESTAPI (path to a built kube-testapi) is set";
    std::string tmpl = (fs::temp_directory_path() / "kube-it-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    if (!real_) {
      server_ = std::make_unique<testing::TestApiProcess>(bin, dir_, ExtraServerArgs());
      auto err = server_->Start();
      ASSERT_EQ(err, "");
      kubeconfig_ = server_->kubeconfig();
    }
    auto c = LoadKubeconfig({kubeconfig_});
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    config_ = *c;
    config_.qps = 0;  // tests are not throttled client-side
    gate_ = std::make_shared<WatchGate>(MakeTransport(config_));
    ClientOptions o;
    o.qps = 0;
    o.retry_initial = 20ms;
    o.max_retries = 8;
    client_ = std::make_shared<Client>(gate_, o);
    ns_ = "kube-it-" + RandomSuffix();
    auto created = client_->Create(resources::Namespaces(), {{"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.ok()) << created.error().ToString();
  }

  // Deletes what the test created. Deletion is only asked for: a server
  // without a controller manager never finishes deleting a namespace.
  void TearDown() override {
    if (client_) {
      for (const auto& crd : crds_) (void)client_->Delete(resources::CustomResourceDefinitions(), "", crd);
      if (!ns_.empty()) (void)client_->Delete(resources::Namespaces(), "", ns_);
    }
    server_.reset();
    if (!dir_.empty() && !::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  virtual std::vector<std::string> ExtraServerArgs() { return {}; }

  static std::shared_ptr<Transport> MakeTransport(const Config& c) {
    auto t = HttpTransport::Create(c);
    EXPECT_TRUE(t.ok()) << t.error().ToString();
    return std::shared_ptr<Transport>(std::move(*t));
  }

  // Skips the test on a real cluster. GTEST_SKIP returns from this helper
  // only, so the caller goes on with `if (IsSkipped()) return;`.
  void NeedTestApi(const char* why) {
    if (real_) GTEST_SKIP() << why << " (RDMA_TEST_KUBECONFIG is set)";
  }
  void Admin(const std::string& path, const json& body = json::object()) {
    HttpRequest r;
    r.method = "POST";
    r.path = path;
    r.body = body.dump();
    auto res = client_->Raw(r, false);
    ASSERT_TRUE(res.ok()) << res.error().ToString();
  }

  json Cm(const std::string& name, const std::string& v) {
    return {{"metadata", {{"name", name}, {"namespace", ns_}}}, {"data", {{"v", v}}}};
  }

  // Writes that tolerate injected faults: a create or delete that the server
  // may or may not have applied before failing is checked by its outcome.
  void MustCreate(const std::string& name, const std::string& v) {
    for (int i = 0; i < 50; ++i) {
      auto r = client_->Create(resources::ConfigMaps(), Cm(name, v));
      if (r.ok() || IsAlreadyExists(r.error())) return;
      ASSERT_TRUE(IsRetryable(r.error())) << r.error().ToString();
    }
    FAIL() << "create " << name << " kept failing";
  }
  void MustDelete(const std::string& name) {
    for (int i = 0; i < 50; ++i) {
      auto r = client_->Delete(resources::ConfigMaps(), ns_, name);
      if (r.ok() || IsNotFound(r.error())) return;
      ASSERT_TRUE(IsRetryable(r.error())) << r.error().ToString();
    }
    FAIL() << "delete " << name << " kept failing";
  }
  void MustUpdate(const std::string& name, const std::string& v) {
    for (int i = 0; i < 50; ++i) {
      auto got = client_->Get(resources::ConfigMaps(), ns_, name);
      if (!got.ok()) continue;
      (*got)["data"]["v"] = v;
      auto r = client_->Update(resources::ConfigMaps(), *got);
      if (r.ok()) return;
      ASSERT_TRUE(IsRetryable(r.error()) || IsConflict(r.error())) << r.error().ToString();
    }
    FAIL() << "update " << name << " kept failing";
  }

  std::map<std::string, std::string> ServerState() {
    std::map<std::string, std::string> m;
    auto l = client_->ListAll(resources::ConfigMaps(), ns_);
    EXPECT_TRUE(l.ok()) << l.error().ToString();
    if (l.ok())
      for (const auto& o : (*l)["items"]) m[KeyOf(o)] = ResourceVersionOf(o);
    return m;
  }
  static std::map<std::string, std::string> CacheState(const Store& s) {
    std::map<std::string, std::string> m;
    for (const auto& o : s.List()) m[KeyOf(*o)] = ResourceVersionOf(*o);
    return m;
  }

  bool real_ = false;
  std::string dir_, ns_, kubeconfig_;
  std::vector<std::string> crds_;  // deleted by TearDown
  Config config_;
  std::unique_ptr<testing::TestApiProcess> server_;
  std::shared_ptr<WatchGate> gate_;
  std::shared_ptr<Client> client_;
};

// Informer events arrive on another thread; wait for a state, re-checking
// whenever the informer reports anything (and at least every 200ms).
class Converger {
 public:
  EventHandler Handler() {
    auto bump = [this] {
      std::lock_guard<std::mutex> l(mu_);
      ++events_;
      cv_.notify_all();
    };
    return {[bump](const json&) { bump(); }, [bump](const json&, const json&) { bump(); },
            [bump](const json&) { bump(); }};
  }
  bool WaitFor(const std::function<bool()>& pred, std::chrono::seconds limit = 60s) {
    auto deadline = SteadyClock::now() + limit;
    std::unique_lock<std::mutex> l(mu_);
    while (SteadyClock::now() < deadline) {
      l.unlock();
      if (pred()) return true;
      l.lock();
      uint64_t seen = events_;
      cv_.wait_for(l, 200ms, [&] { return events_ != seen; });
    }
    return false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t events_ = 0;
};

InformerOptions FastInformer() {
  InformerOptions o;
  o.reflector.page_size = 7;
  o.reflector.backoff_initial = 100ms;
  o.reflector.backoff_max = 2s;
  o.reflector.min_watch_timeout = 20s;
  return o;
}

TEST_F(Cluster, CrudWithClientCertificatesAndTypedErrors) {
  auto cm = client_->Create(resources::ConfigMaps(), Cm("crud", "1"));
  ASSERT_TRUE(cm.ok()) << cm.error().ToString();
  auto again = client_->Create(resources::ConfigMaps(), Cm("crud", "1"));
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(IsAlreadyExists(again.error())) << again.error().ToString();

  // A stale update conflicts; retrying on a fresh read succeeds.
  json stale = *cm;
  auto fresh = *cm;
  fresh["data"]["v"] = "2";
  ASSERT_TRUE(client_->Update(resources::ConfigMaps(), fresh).ok());
  stale["data"]["v"] = "3";
  auto conflict = client_->Update(resources::ConfigMaps(), stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_TRUE(IsConflict(conflict.error())) << conflict.error().ToString();
  int attempts = 0;
  auto st = RetryOnConflict([&]() -> Status {
    ++attempts;
    auto cur = attempts == 1 ? Result<json>(stale) : client_->Get(resources::ConfigMaps(), ns_, "crud");
    if (!cur) return cur.error();
    (*cur)["data"]["v"] = "3";
    auto r = client_->Update(resources::ConfigMaps(), *cur);
    if (!r) return r.error();
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ(attempts, 2);

  auto merged = client_->Patch(resources::ConfigMaps(), ns_, "crud", PatchType::kMerge, {{"data", {{"m", "x"}}}});
  ASSERT_TRUE(merged.ok()) << merged.error().ToString();
  EXPECT_EQ((*merged)["data"]["m"], "x");
  auto jp = client_->Patch(resources::ConfigMaps(), ns_, "crud", PatchType::kJson,
                           json::array({{{"op", "replace"}, {"path", "/data/v"}, {"value", "4"}}}));
  ASSERT_TRUE(jp.ok()) << jp.error().ToString();
  EXPECT_EQ((*jp)["data"]["v"], "4");

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  auto d1 = client_->Delete(resources::ConfigMaps(), ns_, "crud", wrong_uid);
  ASSERT_FALSE(d1.ok());
  EXPECT_TRUE(IsConflict(d1.error())) << d1.error().ToString();
  DeleteOptions right;
  right.precondition_uid = UidOf(*jp);
  right.propagation_policy = "Background";
  ASSERT_TRUE(client_->Delete(resources::ConfigMaps(), ns_, "crud", right).ok());
  auto gone = client_->Get(resources::ConfigMaps(), ns_, "crud");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(IsNotFound(gone.error()));
  EXPECT_NE(gone.error().message.find("crud"), std::string::npos);
}

TEST_F(Cluster, CustomResourceWithStatusSubresource) {
  std::string group = "it" + RandomSuffix() + ".kube.rdma.dev";
  json crd = {
      {"apiVersion", "apiextensions.k8s.io/v1"},
      {"kind", "CustomResourceDefinition"},
      {"metadata", {{"name", "widgets." + group}}},
      {"spec",
       {{"group", group},
        {"scope", "Namespaced"},
        {"names", {{"plural", "widgets"}, {"singular", "widget"}, {"kind", "Widget"}, {"listKind", "WidgetList"}}},
        {"versions",
         json::array({{{"name", "v1"},
                       {"served", true},
                       {"storage", true},
                       {"subresources", {{"status", json::object()}}},
                       {"schema",
                        {{"openAPIV3Schema",
                          {{"type", "object"},
                           {"properties",
                            {{"spec", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                             {"status",
                              {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}}}}}}}})}}}};
  auto created = client_->Create(resources::CustomResourceDefinitions(), crd);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  crds_.push_back("widgets." + group);
  Resource widgets{group, "v1", "widgets", "Widget", true};
  json w = {{"metadata", {{"name", "w1"}, {"namespace", ns_}}}, {"spec", {{"size", 1}}}};
  Result<json> cr = ApiError{};
  Converger wait;  // the CRD takes a moment to be served on a real cluster
  ASSERT_TRUE(wait.WaitFor([&] {
    cr = client_->Create(widgets, w);
    return cr.ok() || !IsNotFound(cr.error());
  }, 30s));
  ASSERT_TRUE(cr.ok()) << cr.error().ToString();
  json with_status = *cr;
  with_status["status"] = {{"phase", "Ready"}};
  with_status["spec"]["size"] = 99;  // ignored by the status subresource
  auto st = client_->UpdateStatus(widgets, with_status);
  ASSERT_TRUE(st.ok()) << st.error().ToString();
  EXPECT_EQ((*st)["status"]["phase"], "Ready");
  EXPECT_EQ((*st)["spec"]["size"], 1);
  auto ps = client_->PatchStatus(widgets, ns_, "w1", PatchType::kMerge, {{"status", {{"phase", "Degraded"}}}});
  ASSERT_TRUE(ps.ok()) << ps.error().ToString();
  EXPECT_EQ((*ps)["status"]["phase"], "Degraded");
  EXPECT_TRUE(client_->Delete(resources::CustomResourceDefinitions(), "", "widgets." + group).ok());
}

TEST_F(Cluster, InformerSurvivesDroppedWatchesCompactionErrorBurstsAndRestarts) {
  NeedTestApi("fault injection (/admin) and restarts need kube-testapi");
  if (IsSkipped()) return;
  for (int i = 0; i < 30; ++i) MustCreate("cm-" + std::to_string(i), "0");
  Informer inf(client_, resources::ConfigMaps(), ns_, "", FastInformer());
  Converger conv;
  inf.AddEventHandler(conv.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(30s));
  ASSERT_EQ(CacheState(inf.store()), ServerState());
  auto converged = [&] { return conv.WaitFor([&] { return CacheState(inf.store()) == ServerState(); }); };

  // 1. Dropped watches: resume from the last resourceVersion.
  ASSERT_NO_FATAL_FAILURE(Admin("/admin/drop-watches"));
  MustUpdate("cm-1", "1");
  MustDelete("cm-2");
  MustCreate("new-1", "1");
  ASSERT_TRUE(converged()) << "after dropped watches";

  // 2. History compacted while the informer was not watching: 410, relist.
  auto lists_before = inf.reflector().lists();
  gate_->closed = true;
  ASSERT_NO_FATAL_FAILURE(Admin("/admin/drop-watches"));
  MustUpdate("cm-3", "2");
  MustDelete("cm-4");
  MustCreate("new-2", "2");
  ASSERT_NO_FATAL_FAILURE(Admin("/admin/compact"));
  gate_->closed = false;
  ASSERT_TRUE(converged()) << "after compaction";
  EXPECT_GT(inf.reflector().lists(), lists_before) << "a 410 should have caused a relist";

  // 3. Bursts of 500 and 429 on every request, while objects change.
  auto retries_before = client_->stats().retries.load();
  for (int code : {500, 429}) {
    ASSERT_NO_FATAL_FAILURE(Admin("/admin/faults", {{"errorRate", 0.5}, {"errorCode", code}}));
    for (int i = 5; i < 10; ++i) {
      ASSERT_NO_FATAL_FAILURE(Admin("/admin/drop-watches"));
      MustUpdate("cm-" + std::to_string(i), "burst" + std::to_string(code));
    }
    MustDelete("cm-1" + std::to_string(code % 7));
    MustCreate("burst-" + std::to_string(code), "3");
    ASSERT_NO_FATAL_FAILURE(Admin("/admin/faults", json::object()));
    ASSERT_TRUE(converged()) << "after a burst of " << code;
  }
  EXPECT_GT(client_->stats().retries.load(), retries_before) << "the bursts should have hit our requests";

  // 4. API server restart (state kept in its data dir).
  ASSERT_NE(server_, nullptr);
  ASSERT_EQ(server_->Restart(), "");
  MustUpdate("cm-20", "restarted");
  MustDelete("cm-21");
  MustCreate("after-restart", "4");
  ASSERT_TRUE(converged()) << "after restart";
}

TEST_F(Cluster, IdleInformerOnlyRenewsWatches) {
  // A real server may close watches early (--min-request-timeout) and its
  // other clients' traffic is not ours to predict.
  NeedTestApi("counting requests needs kube-testapi");
  if (IsSkipped()) return;
  MustCreate("idle", "0");
  auto o = FastInformer();
  o.reflector.min_watch_timeout = 1s;  // renew often so the test sees renewals
  Informer inf(client_, resources::ConfigMaps(), ns_, "", o);
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(30s));
  auto requests_before = client_->stats().requests.load();
  auto watches_before = client_->stats().watches.load();
  std::this_thread::sleep_for(5s);  // observing idleness, not synchronising
  auto requests = client_->stats().requests.load() - requests_before;
  auto watches = client_->stats().watches.load() - watches_before;
  EXPECT_EQ(requests, watches) << "only watch renewals while idle";
  EXPECT_GE(watches, 1u);
  EXPECT_EQ(inf.reflector().lists(), 1u);
}

// One kube-test-elector process: a leader-election replica whose stdout says
// "LEADING <id>" / "STOPPED <id>" on each transition. The guard SIGKILLs and
// reaps the child on every path out of a test, so a failed assertion leaves
// no elector running.
class ElectorProcess {
 public:
  ElectorProcess() = default;
  ElectorProcess(const ElectorProcess&) = delete;
  ElectorProcess& operator=(const ElectorProcess&) = delete;
  ~ElectorProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    if (out_ >= 0) close(out_);
  }

  // Starts the binary with args; its stderr (logs) goes to `log`. "" or an error.
  std::string Start(const std::string& binary, std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), binary);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    // The child starts with default SIGTERM handling and nothing blocked,
    // whatever the test runner left in ours.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, term;
    sigemptyset(&none);
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &term);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, binary.c_str(), &fa, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    if (rc != 0) {
      close(p[0]);
      pid_ = 0;
      return "start " + binary + ": " + std::strerror(rc);
    }
    out_ = p[0];
    return "";
  }

  // Reads stdout until `line` appears or `limit` passes (or the child closes
  // stdout, i.e. exits). True if the line was printed.
  bool WaitForLine(const std::string& line, std::chrono::milliseconds limit) {
    auto deadline = SteadyClock::now() + limit;
    for (;;) {
      for (const auto& l : lines_)
        if (l == line) return true;
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0 || out_ < 0) return false;
      pollfd pfd{out_, POLLIN, 0};
      int n = poll(&pfd, 1, static_cast<int>(left.count()) + 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) continue;  // timed out: the loop re-checks the deadline
      char buf[256];
      ssize_t got = read(out_, buf, sizeof(buf));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {  // EOF: the child has exited
        close(out_);
        out_ = -1;
        continue;
      }
      partial_.append(buf, static_cast<size_t>(got));
      for (size_t nl; (nl = partial_.find('\n')) != std::string::npos; partial_.erase(0, nl + 1))
        lines_.push_back(partial_.substr(0, nl));
    }
  }

  void Signal(int sig) {
    if (pid_ > 0) kill(pid_, sig);
  }
  // True while the child runs (WNOWAIT: an exited child stays unreaped for Wait).
  bool Alive() const {
    if (pid_ <= 0) return false;
    siginfo_t si{};
    return waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == 0;
  }

  // Reaps the child; its wait status (as from waitpid).
  int Wait() {
    if (pid_ <= 0) return status_;
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    pid_ = 0;
    return status_;
  }

  // Everything printed so far, for failure messages.
  std::string Output() const {
    std::string all;
    for (const auto& l : lines_) all += l + "\n";
    return all + partial_;
  }

 private:
  pid_t pid_ = 0;
  int out_ = -1;
  int status_ = 0;
  std::vector<std::string> lines_;
  std::string partial_;
};

// Leader election between two kube-test-elector processes sharing one Lease.
class LeaderFailover : public Cluster {
 protected:
  // lease_duration > renew_deadline > retry_period, as client-go requires.
  struct Timing {
    std::chrono::milliseconds lease_duration, renew_deadline, retry_period;
  };

  void StartElector(ElectorProcess& p, const std::string& identity, const Timing& t) {
    auto secs = [](std::chrono::milliseconds ms) { return std::to_string(ms.count() / 1000.0); };
    std::string log = dir_ + "/elector-" + identity + ".log";
    auto err = p.Start(KUBE_TEST_ELECTOR,
                       {"--kubeconfig", kubeconfig_, "--namespace", ns_, "--lease", "it-leader", "--identity", identity,
                        "--lease-duration", secs(t.lease_duration), "--renew-deadline", secs(t.renew_deadline),
                        "--retry-period", secs(t.retry_period)},
                       log);
    ASSERT_EQ(err, "");
  }

  std::string Holder() {
    auto lease = client_->Get(resources::Leases(), ns_, "it-leader");
    EXPECT_TRUE(lease.ok()) << lease.error().ToString();
    return lease.ok() ? (*lease)["spec"].value("holderIdentity", "") : "<no lease>";
  }

  // client-go waits retryPeriod * (1 + rand[0, 1.2)) between attempts.
  static std::chrono::milliseconds MaxRetry(const Timing& t) { return t.retry_period * 22 / 10; }

  static int64_t Ms(SteadyClock::duration d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }
};

TEST_F(LeaderFailover, KilledLeaderIsReplacedWithinLeaseDurationPlusRetryPeriod) {
  const Timing t{3000ms, 2000ms, 500ms};
  ElectorProcess a, b;
  ASSERT_NO_FATAL_FAILURE(StartElector(a, "a", t));
  ASSERT_TRUE(a.WaitForLine("LEADING a", 30s)) << "a printed:\n" << a.Output();
  ASSERT_NO_FATAL_FAILURE(StartElector(b, "b", t));

  // While a lives and renews, b must not lead. b needs a full lease duration
  // without seeing a renewal before it may take over, so watching b for that
  // long (plus one attempt) would catch it ignoring a's lease.
  EXPECT_FALSE(b.WaitForLine("LEADING b", t.lease_duration + MaxRetry(t))) << "b printed:\n" << b.Output();
  EXPECT_TRUE(a.Alive());
  EXPECT_EQ(Holder(), "a");

  // a crashes: no release, its lease simply stops being renewed.
  a.Signal(SIGKILL);
  int st = a.Wait();
  auto died = SteadyClock::now();
  EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << "wait status " << st;

  ASSERT_TRUE(b.WaitForLine("LEADING b", 30s)) << "b printed:\n" << b.Output();
  auto failover = SteadyClock::now() - died;
  // The bound is leaseDuration + retryPeriod, where b's retry is
  // jittered up to 2.2x: once the lease expires b takes it on its next
  // attempt. Slack: b dates the lease from when it *saw* a's last renewal,
  // which is up to one (jittered) attempt after a made it, so expiry on b's
  // clock can fall one more retry after the kill; plus 500ms for two HTTPS
  // round trips and process scheduling on a loaded 2-core CI machine.
  auto bound = t.lease_duration + MaxRetry(t) + MaxRetry(t) + 500ms;
  RecordProperty("failover_ms", std::to_string(Ms(failover)));
  EXPECT_LT(failover, bound) << "failover took " << Ms(failover) << "ms, bound " << bound.count() << "ms";
  EXPECT_EQ(Holder(), "b");

  // b is drained: it releases the lease and exits cleanly.
  b.Signal(SIGTERM);
  EXPECT_TRUE(b.WaitForLine("STOPPED b", 30s)) << "b printed:\n" << b.Output();
  st = b.Wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "wait status " << st;
  EXPECT_EQ(Holder(), "");
}

TEST_F(LeaderFailover, DrainedLeaderReleasesSoSuccessorTakesOverWellWithinLeaseDuration) {
  // A long lease, so taking over by expiry and taking over a released lease
  // differ by seconds, not by scheduling noise.
  const Timing t{10000ms, 7000ms, 500ms};
  ElectorProcess a, b;
  ASSERT_NO_FATAL_FAILURE(StartElector(a, "a", t));
  ASSERT_TRUE(a.WaitForLine("LEADING a", 30s)) << "a printed:\n" << a.Output();
  ASSERT_NO_FATAL_FAILURE(StartElector(b, "b", t));
  // b must be campaigning before a is drained, or its start-up would count as
  // takeover time; b prints nothing while it waits, so watch it (and check it
  // does not lead) for two of its attempts.
  EXPECT_FALSE(b.WaitForLine("LEADING b", MaxRetry(t) * 2)) << "b printed:\n" << b.Output();
  EXPECT_EQ(Holder(), "a");

  auto drained = SteadyClock::now();
  a.Signal(SIGTERM);
  EXPECT_TRUE(a.WaitForLine("STOPPED a", 30s)) << "a printed:\n" << a.Output();
  int st = a.Wait();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "wait status " << st;

  ASSERT_TRUE(b.WaitForLine("LEADING b", 30s)) << "b printed:\n" << b.Output();
  auto takeover = SteadyClock::now() - drained;
  // A released lease is free at once: b takes it on its next attempt (at most
  // one jittered retry after a released it); 1s slack covers a's shutdown
  // (a GET and a PUT) and scheduling -- still a fifth of the lease duration.
  auto bound = MaxRetry(t) + 1000ms;
  RecordProperty("takeover_ms", std::to_string(Ms(takeover)));
  EXPECT_LT(takeover, bound) << "takeover took " << Ms(takeover) << "ms, bound " << bound.count() << "ms";
  EXPECT_EQ(Holder(), "b");
}

TEST_F(Cluster, TlsServerNameSelectsTheCertificateNameChecked) {
  NeedTestApi("needs kube-testapi's certificate (names localhost)");
  if (IsSkipped()) return;
  ClientOptions once;
  once.max_retries = 0;  // TLS failures are not worth retrying here
  auto get_ns = [&](const Config& c) {
    return Client(MakeTransport(c), once).Get(resources::Namespaces(), "", ns_);
  };
  Config c = config_;
  c.tls_server_name = "localhost";  // in kube-testapi's certificate
  auto ok = get_ns(c);
  EXPECT_TRUE(ok.ok()) << ok.error().ToString();

  c.tls_server_name = "not-in-the-certificate.example";
  auto refused = get_ns(c);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(IsTransport(refused.error())) << refused.error().ToString();
  // The error says why, in OpenSSL's words.
  EXPECT_NE(refused.error().message.find("server certificate not trusted: hostname mismatch"), std::string::npos)
      << refused.error().message;

  c.tls_server_name.clear();
  c.ca_pem.clear();  // no CA: the server's certificate cannot be verified
  EXPECT_FALSE(get_ns(c).ok());
  c.insecure_skip_tls_verify = true;
  auto insecure = get_ns(c);
  EXPECT_TRUE(insecure.ok()) << insecure.error().ToString();
}

TEST_F(Cluster, ClientCertificateFromAnExecPluginAuthenticates) {
  if (config_.client_cert_pem.empty()) GTEST_SKIP() << "the kubeconfig's user has no client certificate";
  // The plugin hands out the kubeconfig user's certificate, as cloud
  // credential plugins hand out short-lived ones; the TLS context is built
  // from it.
  json cred = {{"apiVersion", "client.authentication.k8s.io/v1"},
               {"kind", "ExecCredential"},
               {"status", {{"clientCertificateData", config_.client_cert_pem}, {"clientKeyData", config_.client_key_pem}}}};
  std::ofstream(dir_ + "/cred.json") << cred.dump();
  std::string plugin = dir_ + "/plugin.sh";
  std::ofstream(plugin) << "#!/bin/sh\nexec cat '" << dir_ << "/cred.json'\n";
  fs::permissions(plugin, fs::perms::owner_all);
  Config c;
  c.server = config_.server;
  c.ca_pem = config_.ca_pem;
  c.tls_server_name = config_.tls_server_name;
  c.insecure_skip_tls_verify = config_.insecure_skip_tls_verify;
  c.exec = ExecConfig{plugin, {}, {}, "client.authentication.k8s.io/v1"};
  ClientOptions once;
  once.max_retries = 0;
  // With the certificate the request is the kubeconfig user's, who may read
  // the test's namespace.
  auto got = Client(MakeTransport(c), once).Get(resources::Namespaces(), "", ns_);
  EXPECT_TRUE(got.ok()) << got.error().ToString();

  // Without it the request is not that user's: refused as unauthenticated
  // (401), or, where the server admits anonymous requests and RBAC denies
  // them, as system:anonymous (403).
  Config anonymous = c;
  anonymous.exec.reset();
  auto denied = Client(MakeTransport(anonymous), once).Get(resources::Namespaces(), "", ns_);
  ASSERT_FALSE(denied.ok());
  const ApiError& e = denied.error();
  EXPECT_TRUE(IsUnauthorized(e) ||
              (IsForbidden(e) && e.message.find("User \"system:anonymous\"") != std::string::npos))
      << e.ToString();

  // A plugin whose certificate is not PEM: the request fails naming it.
  cred["status"]["clientCertificateData"] = "not a certificate";
  std::ofstream(dir_ + "/cred.json") << cred.dump();
  auto broken = HttpTransport::Create(c);
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("client certificate is not valid PEM"), std::string::npos)
      << broken.error().message;
}

// kube-testapi with a static token file, which the test rewrites.
class TokenCluster : public Cluster {
 protected:
  void SetUp() override {
    if (!testing::RealClusterKubeconfig().empty())
      GTEST_SKIP() << "needs kube-testapi's --token-file (RDMA_TEST_KUBECONFIG is set)";
    Cluster::SetUp();
  }
  std::vector<std::string> ExtraServerArgs() override {
    token_csv_ = (fs::temp_directory_path() / ("kube-it-tokens-" + RandomSuffix())).string();
    std::ofstream(token_csv_) << "token-one,alice,uid-1,\"system:masters\"\n";
    return {"--token-file", token_csv_};
  }
  void TearDown() override {
    Cluster::TearDown();
    if (!token_csv_.empty()) fs::remove(token_csv_);
  }
  std::string token_csv_;
};

TEST_F(TokenCluster, BearerTokenFromFileIsReReadAfterRotation) {
  std::string client_token = dir_ + "/client-token";
  std::ofstream(client_token) << "token-one\n";
  Config c;
  c.server = server_->url();
  auto ca = ReadFileToString(server_->ca_file(), "CA");
  ASSERT_TRUE(ca.ok()) << ca.error().ToString();
  c.ca_pem = *ca;
  c.token_file = client_token;
  auto alice = Client::FromConfig(c);
  ASSERT_TRUE(alice.ok()) << alice.error().ToString();
  ASSERT_TRUE((*alice)->Get(resources::Namespaces(), "", ns_).ok());

  // Rotate: the server accepts only the new token; the client's file changes.
  std::ofstream(token_csv_) << "token-two,alice,uid-1,\"system:masters\"\n";
  std::ofstream(client_token) << "token-two\n";
  auto after = (*alice)->Get(resources::Namespaces(), "", ns_);
  EXPECT_TRUE(after.ok()) << after.error().ToString();

  Config wrong = c;
  wrong.token_file.clear();
  wrong.token = "nope";
  auto bad = Client::FromConfig(wrong);
  ASSERT_TRUE(bad.ok());
  auto denied = (*bad)->Get(resources::Namespaces(), "", ns_);
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(IsUnauthorized(denied.error())) << denied.error().ToString();
}

}  // namespace
}  // namespace kube
