// ResourcePlugin: the kubelet device plugin (API v1beta1, ATTACH-FACTS.md §1)
// for one resource, rdma.dev/<resource>. It serves DevicePlugin on
// <plugin_dir>/rdma.dev_<resource>.sock and registers that endpoint with
// kubelet at <plugin_dir>/kubelet.sock, serving before registering, as
// kubelet requires.
//
// A thread of its own does the serving and registering and retries both
// with exponential backoff on failure (a missing dir, a kubelet that is not
// up or does not answer), so one resource's trouble never holds up another.
// The manager (plugin_manager.h) watches the dir and calls Restart() when
// kubelet deleted the socket (a kubelet restart) and KubeletAppeared() when
// kubelet.sock is created.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "agent/deviceplugin/devices.h"
#include "agent/deviceplugin/proto/api.grpc.pb.h"
#include "kube/metrics.h"

namespace deviceplugin {

inline constexpr char kKubeletSocket[] = "kubelet.sock";
inline constexpr char kApiVersion[] = "v1beta1";

struct PluginOptions {
  std::string plugin_dir;  // kubelet's device-plugins dir
  bool use_cdi = false;    // exclusive-mode VFs go out as CDI names (the manager writes the specs)
  kube::MetricsRegistry* metrics = nullptr;
  std::chrono::milliseconds register_timeout{std::chrono::seconds(15)};  // kubelet dials us for up to 10 s inside Register
  std::chrono::milliseconds backoff_min{std::chrono::milliseconds(500)};
  std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
};

// The socket file name of a resource's plugin.
std::string EndpointName(const std::string& resource);

class ResourcePlugin {
 public:
  ResourcePlugin(std::string resource, PluginOptions options);
  ~ResourcePlugin();  // Stop()
  ResourcePlugin(const ResourcePlugin&) = delete;
  ResourcePlugin& operator=(const ResourcePlugin&) = delete;

  // Starts the thread that serves and registers. Returns at once.
  void Start();
  // Stops serving (open ListAndWatch streams end, so kubelet marks the
  // devices Unhealthy) and removes the socket.
  void Stop();

  // Replaces the device list; every open ListAndWatch stream gets it.
  void SetDevices(ResourceDevices devices);
  ResourceDevices Devices() const;

  // Kubelet deleted our socket: serve anew on the same path, then register.
  void Restart();
  // kubelet.sock appeared: a pending registration is tried now.
  void KubeletAppeared();
  // The plugin dir appeared (it was missing): serving is tried now.
  void DirAppeared();

  bool Registered() const;
  // The socket file as we bound it (device, inode), to tell our own socket
  // from a deleted one; {0, 0} while not serving.
  std::pair<dev_t, ino_t> SocketIdentity() const;
  const std::string& resource() const { return resource_; }
  std::string socket_path() const;

  // v1beta1.DevicePlugin (each server gets a thin gRPC service that calls these)
  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                      v1beta1::DevicePluginOptions* out);
  grpc::Status ListAndWatch(grpc::ServerContext* ctx, const v1beta1::Empty*,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer);
  grpc::Status GetPreferredAllocation(grpc::ServerContext*, const v1beta1::PreferredAllocationRequest* req,
                                      v1beta1::PreferredAllocationResponse* out);
  grpc::Status Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* req,
                        v1beta1::AllocateResponse* out);
  grpc::Status PreStartContainer(grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
                                 v1beta1::PreStartContainerResponse*);

 private:
  void Loop(std::stop_token stop);
  std::string Serve();  // "" or why not
  void Shutdown();
  std::string RegisterWithKubelet();  // "" or why not
  void Count(const std::string& name, const std::string& help, kube::MetricLabels labels = {});
  void PublishDeviceCounts(const ResourceDevices& d);

  const std::string resource_;
  const PluginOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable_any cv_;
  ResourceDevices devices_;
  uint64_t version_ = 0;       // bumped by SetDevices
  uint64_t serve_epoch_ = 0;   // bumped when a server goes down: its streams end
  bool want_serve_ = true, want_register_ = true, retry_now_ = false, stopping_ = false;
  bool registered_ = false;
  std::pair<dev_t, ino_t> socket_id_{0, 0};
  std::unique_ptr<grpc::Service> service_;  // one per server: gRPC registers a service once
  std::unique_ptr<grpc::Server> server_;
  std::jthread thread_;
};

}  // namespace deviceplugin
