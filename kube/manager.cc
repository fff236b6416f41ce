#include "kube/manager.h"

#include <spdlog/spdlog.h>

namespace kube {

Manager::Manager(std::shared_ptr<Client> client, ManagerOptions options)
    : client_(std::move(client)), options_(std::move(options)), health_(&metrics_) {
  health_.AddHealthCheck("ping", [] { return std::string(); });
  health_.AddReadyCheck("informers-synced", [this] {
    for (const auto& i : informers_)
      if (!i->HasSynced()) return std::string("not all informers have synced");
    return std::string();
  });
}

Manager::~Manager() {
  for (auto& i : informers_) i->Stop();
  health_.Stop();
}

Informer& Manager::AddInformer(const Resource& r, const std::string& ns, const std::string& label_selector,
                               InformerOptions options) {
  informers_.push_back(std::make_unique<Informer>(client_, r, ns, label_selector, options));
  return *informers_.back();
}

Controller& Manager::AddController(ControllerOptions options, Reconciler reconciler) {
  options.metrics = &metrics_;
  controllers_.push_back(std::make_unique<Controller>(std::move(options), std::move(reconciler)));
  return *controllers_.back();
}

void Manager::RunControllers(std::stop_token stop) {
  std::vector<std::jthread> running;
  for (auto& c : controllers_) running.emplace_back([&c, stop] { c->Run(stop); });
  // jthreads join here, after each controller drained.
}

int Manager::Run(std::stop_token stop) {
  if (!options_.probe_address.empty()) {
    if (auto s = health_.Start(options_.probe_address); !s) {
      spdlog::error("kube: cannot serve probes error=\"{}\"", s.error().ToString());
      return 1;
    }
  }
  for (auto& i : informers_) i->Start();
  for (auto& i : informers_) {
    if (!i->WaitForSync(std::chrono::duration_cast<std::chrono::milliseconds>(options_.sync_timeout), stop)) {
      if (stop.stop_requested()) return 0;
      spdlog::error("kube: informers did not sync within {}s", options_.sync_timeout.count());
      return 1;
    }
  }
  if (!options_.leader_election) {
    RunControllers(stop);
    return 0;
  }
  bool lost = false;
  LeaderCallbacks cb;
  cb.on_started_leading = [this](std::stop_token leading) { RunControllers(leading); };
  cb.on_stopped_leading = [&] { lost = !stop.stop_requested(); };
  LeaderElector elector(client_, *options_.leader_election, cb);
  elector.Run(stop);
  return lost ? 1 : 0;
}

}  // namespace kube
