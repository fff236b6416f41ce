#include "e2e/sim/kubelet/pod_resources_server.h"

#include <filesystem>
#include <map>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "e2e/sim/kubelet/device_manager.h"
#include "e2e/sim/kubelet/proto/api.grpc.pb.h"

namespace simkubelet {

namespace {

void FillTopology(const std::map<std::string, std::map<std::string, Device>>& devices, const std::string& resource,
                  const std::vector<std::string>& ids, v1::ContainerDevices* out) {
  auto rit = devices.find(resource);
  if (rit == devices.end()) return;
  std::set<int64_t> numa;
  for (const auto& id : ids) {
    auto dit = rit->second.find(id);
    if (dit != rit->second.end()) numa.insert(dit->second.numa.begin(), dit->second.numa.end());
  }
  for (int64_t n : numa) out->mutable_topology()->add_nodes()->set_id(n);
}

// One PodResources per pod, containers in allocation order, one
// ContainerDevices per (container, resource).
void FillPod(const std::vector<ContainerAllocation>& allocs,
             const std::map<std::string, std::map<std::string, Device>>& devices, v1::PodResources* out) {
  std::map<std::string, v1::ContainerResources*> by_container;
  for (const auto& a : allocs) {
    out->set_name(a.pod_name);
    out->set_namespace_(a.pod_namespace);
    auto*& c = by_container[a.container];
    if (!c) {
      c = out->add_containers();
      c->set_name(a.container);
    }
    auto* d = c->add_devices();
    d->set_resource_name(a.resource);
    for (const auto& id : a.device_ids) d->add_device_ids(id);
    FillTopology(devices, a.resource, a.device_ids, d);
  }
}

}  // namespace

class PodResourcesService final : public v1::PodResourcesLister::Service {
 public:
  explicit PodResourcesService(DeviceManager* dm) : dm_(dm) {}

  grpc::Status List(grpc::ServerContext*, const v1::ListPodResourcesRequest*,
                    v1::ListPodResourcesResponse* resp) override {
    auto devices = dm_->Devices();
    std::map<std::string, std::vector<ContainerAllocation>> by_pod;
    std::vector<std::string> order;
    for (auto& a : dm_->Allocations()) {
      if (a.pod_name.empty()) continue;  // restored from the checkpoint, pod not seen yet
      if (!by_pod.count(a.pod_uid)) order.push_back(a.pod_uid);
      by_pod[a.pod_uid].push_back(std::move(a));
    }
    for (const auto& uid : order) FillPod(by_pod[uid], devices, resp->add_pod_resources());
    return grpc::Status::OK;
  }

  grpc::Status Get(grpc::ServerContext*, const v1::GetPodResourcesRequest* req,
                   v1::GetPodResourcesResponse* resp) override {
    // On by default since v1.34 (gate KubeletPodResourcesGet), so it answers.
    std::vector<ContainerAllocation> mine;
    for (auto& a : dm_->Allocations()) {
      if (a.pod_name == req->pod_name() && a.pod_namespace == req->pod_namespace()) mine.push_back(std::move(a));
    }
    auto* pod = resp->mutable_pod_resources();
    pod->set_name(req->pod_name());
    pod->set_namespace_(req->pod_namespace());
    FillPod(mine, dm_->Devices(), pod);
    return grpc::Status::OK;
  }

  grpc::Status GetAllocatableResources(grpc::ServerContext*, const v1::AllocatableResourcesRequest*,
                                       v1::AllocatableResourcesResponse* resp) override {
    for (const auto& [resource, devs] : dm_->Devices()) {
      for (const auto& [id, d] : devs) {
        if (d.health != kHealthy) continue;
        auto* cd = resp->add_devices();
        cd->set_resource_name(resource);
        cd->add_device_ids(id);
        for (int64_t n : d.numa) cd->mutable_topology()->add_nodes()->set_id(n);
      }
    }
    return grpc::Status::OK;
  }

 private:
  DeviceManager* dm_;
};

PodResourcesServer::PodResourcesServer(DeviceManager* dm) : dm_(dm) {}
PodResourcesServer::~PodResourcesServer() { Stop(); }

std::string PodResourcesServer::Start(const std::string& socket_path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(socket_path).parent_path(), ec);
  if (ec) return "create " + std::filesystem::path(socket_path).parent_path().string() + ": " + ec.message();
  std::filesystem::remove(socket_path, ec);
  service_ = std::make_unique<PodResourcesService>(dm_);
  grpc::ServerBuilder b;
  b.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
  b.RegisterService(service_.get());
  server_ = b.BuildAndStart();
  if (!server_) return "cannot serve PodResources on " + socket_path;
  spdlog::info("op=serve-pod-resources socket={}", socket_path);
  return "";
}

void PodResourcesServer::Stop() {
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
  }
}

}  // namespace simkubelet
