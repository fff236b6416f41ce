// kube-bench: figures for docs/kube-client.md.
//  1. Informer over N objects (default 10,000 ConfigMaps): time to initial
//     sync, memory per cached object, process RSS; median and spread over runs.
//  2. Idle steady state: requests sent by a synced informer over a window
//     (default 60s) with nothing changing; only watch renewals are expected.
// Runs against kube-testapi (started here; --testapi PATH) or, with
// --kubeconfig, any cluster (it creates and deletes its own namespace).
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>

#include "kube/command_line.h"
#include "kube/client.h"
#include "kube/config.h"
#include "kube/informer.h"
#include "kube/integration/testapi_process.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

double RssMiB() {
  long pages_total = 0, pages_rss = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_rss) != 2) pages_rss = 0;
  std::fclose(f);
  return static_cast<double>(pages_rss) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct Stats {
  double median, min, max;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {med, v.front(), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  std::string testapi, kubeconfig;
  int objects = 10000, runs = 5, idle_seconds = 60, writers = 8;
  po::options_description desc("kube-bench: informer and idle-traffic figures for kube/");
  desc.add_options()("help,h", "show this help")(
      "testapi", po::value(&testapi), "path to kube-testapi (default: next to this binary)")(
      "kubeconfig", po::value(&kubeconfig), "use this cluster instead of starting kube-testapi")(
      "objects", po::value(&objects)->default_value(10000), "objects for the informer benchmark")(
      "runs", po::value(&runs)->default_value(5), "informer syncs to time")(
      "idle-seconds", po::value(&idle_seconds)->default_value(60), "idle window to count requests over")(
      "writers", po::value(&writers)->default_value(8), "parallel creators when populating");
  po::variables_map vm;
  if (auto exit = kube::ParseCommandLine(argc, argv, desc, vm, "kube-bench")) return *exit;
  spdlog::set_level(spdlog::level::warn);

  std::unique_ptr<kube::testing::TestApiProcess> server;
  std::string dir;
  kube::Result<kube::Config> config = kube::ApiError{};
  if (!kubeconfig.empty()) {
    config = kube::LoadKubeconfig({kubeconfig});
  } else {
    if (testapi.empty()) testapi = (fs::canonical("/proc/self/exe").parent_path() / "kube-testapi").string();
    if (!fs::exists(testapi)) {
      std::cerr << "kube-bench: " << testapi << " not found (build kube-testapi or pass --testapi)\n";
      return 1;
    }
    std::string tmpl = (fs::temp_directory_path() / "kube-bench-XXXXXX").string();
    dir = mkdtemp(tmpl.data());
    server = std::make_unique<kube::testing::TestApiProcess>(testapi, dir);
    if (auto err = server->Start(); !err.empty()) {
      std::cerr << "kube-bench: " << err << "\n";
      return 1;
    }
    config = kube::LoadKubeconfig({server->kubeconfig()});
  }
  if (!config) {
    std::cerr << "kube-bench: " << config.error().ToString() << "\n";
    return 1;
  }
  config->qps = 0;  // measure the library, not the client-side limiter
  auto client = kube::Client::FromConfig(*config);
  if (!client) {
    std::cerr << "kube-bench: " << client.error().ToString() << "\n";
    return 1;
  }
  auto c = *client;
  std::string ns = "kube-bench-" + std::to_string(getpid());
  if (auto r = c->Create(kube::resources::Namespaces(), {{"metadata", {{"name", ns}}}}); !r) {
    std::cerr << "kube-bench: " << r.error().ToString() << "\n";
    return 1;
  }

  // Populate: ConfigMaps shaped like small operator objects (labels, a few fields).
  auto t0 = kube::SteadyClock::now();
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> pool;
  for (int w = 0; w < writers; ++w) {
    pool.emplace_back([&] {
      for (int i = next++; i < objects; i = next++) {
        kube::json cm = {{"metadata",
                          {{"name", "obj-" + std::to_string(i)},
                           {"namespace", ns},
                           {"labels", {{"app", "bench"}, {"shard", std::to_string(i % 16)}}}}},
                         {"data",
                          {{"node", "node-" + std::to_string(i % 64)},
                           {"pf", "ens1f0"},
                           {"vfs", "0-7"},
                           {"note", std::string(120, 'x')}}}};
        if (!c->Create(kube::resources::ConfigMaps(), cm)) ++failed;
      }
    });
  }
  for (auto& t : pool) t.join();
  double populate_s = std::chrono::duration<double>(kube::SteadyClock::now() - t0).count();
  if (failed > 0) std::cerr << "kube-bench: " << failed << " creates failed\n";
  auto sample = c->Get(kube::resources::ConfigMaps(), ns, "obj-0");
  size_t object_bytes = sample ? sample->dump().size() : 0;

  std::printf("kube-bench: %d ConfigMaps (%zu bytes of JSON each), populated in %.1fs by %d writers\n", objects,
              object_bytes, populate_s, writers);
  std::printf("server: %s\n", server ? "kube-testapi over HTTPS (client certificate), same host" : kubeconfig.c_str());

  std::vector<double> sync_s, per_obj_bytes, rss_after;
  for (int r = 0; r < runs; ++r) {
    malloc_trim(0);
    double before = RssMiB();
    auto started = kube::SteadyClock::now();
    {
      kube::Informer inf(c, kube::resources::ConfigMaps(), ns);
      inf.Start();
      if (!inf.WaitForSync(600s)) {
        std::cerr << "kube-bench: informer did not sync\n";
        return 1;
      }
      sync_s.push_back(std::chrono::duration<double>(kube::SteadyClock::now() - started).count());
      if (inf.store().Size() != static_cast<size_t>(objects))
        std::cerr << "kube-bench: cache has " << inf.store().Size() << " objects, expected " << objects << "\n";
      malloc_trim(0);
      double after = RssMiB();
      rss_after.push_back(after);
      per_obj_bytes.push_back((after - before) * 1024 * 1024 / objects);
      inf.Stop();
    }
  }
  auto s = Summarise(sync_s);
  auto m = Summarise(per_obj_bytes);
  auto rss = Summarise(rss_after);
  std::printf("\ninformer initial sync (paged list, 500/page), %d runs:\n", runs);
  std::printf("  time to HasSynced:        median %.3fs  min %.3fs  max %.3fs\n", s.median, s.min, s.max);
  std::printf("  memory per cached object: median %.0f B  min %.0f B  max %.0f B (RSS growth / objects)\n",
              m.median, m.min, m.max);
  std::printf("  process RSS when synced:  median %.1f MiB  min %.1f MiB  max %.1f MiB\n", rss.median, rss.min,
              rss.max);

  // Idle steady state: one synced informer, nothing changes.
  {
    kube::Informer inf(c, kube::resources::ConfigMaps(), ns);
    inf.Start();
    inf.WaitForSync(600s);
    auto req0 = c->stats().requests.load();
    auto w0 = c->stats().watches.load();
    std::this_thread::sleep_for(std::chrono::seconds(idle_seconds));
    auto req = c->stats().requests.load() - req0;
    auto w = c->stats().watches.load() - w0;
    std::printf("\nidle steady state over %ds (default watch timeout 300-600s):\n", idle_seconds);
    std::printf("  requests sent: %llu (of which watch renewals: %llu), relists: %llu\n",
                static_cast<unsigned long long>(req), static_cast<unsigned long long>(w),
                static_cast<unsigned long long>(inf.reflector().lists() - 1));
    inf.Stop();
  }

  (void)c->Delete(kube::resources::Namespaces(), "", ns);
  server.reset();
  if (!dir.empty()) fs::remove_all(dir);
  return 0;
}
