// TestPlugin: a device plugin as small as can be, for sim-kubelet's tests
// (unit and e2e) before the agent's real one exists. Header-only, test code.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "agent/deviceplugin/proto/api.grpc.pb.h"

namespace simkubelet::testing_plugin {

// A device plugin as small as can be: devices with health set by the test,
// GetPreferredAllocation that prefers the highest IDs, Allocate answering a
// DeviceSpec per device with the host path the test chose.
class TestPlugin final : public v1beta1::DevicePlugin::Service {
 public:
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, std::string> devices;  // id -> health
  int version = 0;
  bool stop_streams = false;
  std::vector<std::vector<std::string>> allocate_calls;
  int preferred_calls = 0;
  std::string host_path = "/dev/null";  // a char device every machine has
  std::string permissions = "rw";
  // Non-empty: Allocate answers CDI names "<cdi_kind>=<id>" too.
  std::string cdi_kind;

  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                      v1beta1::DevicePluginOptions* o) override {
    o->set_get_preferred_allocation_available(true);
    return grpc::Status::OK;
  }
  grpc::Status ListAndWatch(grpc::ServerContext* ctx, const v1beta1::Empty*,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* w) override {
    std::unique_lock lock(mu);
    int sent = -1;
    while (!stop_streams && !ctx->IsCancelled()) {
      if (sent != version) {
        v1beta1::ListAndWatchResponse resp;
        for (const auto& [id, h] : devices) {
          auto* d = resp.add_devices();
          d->set_id(id);
          d->set_health(h);
          d->mutable_topology()->add_nodes()->set_id(0);
        }
        sent = version;
        lock.unlock();
        w->Write(resp);
        lock.lock();
        continue;
      }
      cv.wait_for(lock, std::chrono::milliseconds(50));  // also notices a cancelled call
    }
    return grpc::Status::OK;
  }
  grpc::Status GetPreferredAllocation(grpc::ServerContext*, const v1beta1::PreferredAllocationRequest* req,
                                      v1beta1::PreferredAllocationResponse* resp) override {
    std::lock_guard lock(mu);
    ++preferred_calls;
    for (const auto& c : req->container_requests()) {
      std::vector<std::string> ids(c.available_deviceids().begin(), c.available_deviceids().end());
      std::sort(ids.rbegin(), ids.rend());
      auto* r = resp->add_container_responses();
      for (int i = 0; i < c.allocation_size() && i < static_cast<int>(ids.size()); ++i) r->add_deviceids(ids[i]);
    }
    return grpc::Status::OK;
  }
  grpc::Status Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* req,
                        v1beta1::AllocateResponse* resp) override {
    std::lock_guard lock(mu);
    for (const auto& c : req->container_requests()) {
      allocate_calls.emplace_back(c.devices_ids().begin(), c.devices_ids().end());
      auto* r = resp->add_container_responses();
      std::string joined;
      for (const auto& id : c.devices_ids()) {
        if (std::find(c.devices_ids().begin(), c.devices_ids().end(), id) != c.devices_ids().begin()) joined += ",";
        joined += id;
        auto* d = r->add_devices();
        d->set_container_path("/dev/infiniband/uverbs-" + id);
        d->set_host_path(host_path);
        d->set_permissions(permissions);
        if (!cdi_kind.empty()) r->add_cdi_devices()->set_name(cdi_kind + "=" + id);
      }
      (*r->mutable_envs())["PCIDEVICE_EXAMPLE_COM_DEV"] = joined;
    }
    return grpc::Status::OK;
  }
  void Set(std::map<std::string, std::string> d) {
    {
      std::lock_guard lock(mu);
      devices = std::move(d);
      ++version;
    }
    cv.notify_all();
  }
  void EndStreams() {
    {
      std::lock_guard lock(mu);
      stop_streams = true;
    }
    cv.notify_all();
  }
};

}  // namespace simkubelet::testing_plugin
