// simkubelet::DeviceManager is the kubelet device manager of sim-kubelet
// (ATTACH-FACTS.md §1, §8): it serves /v1beta1.Registration/Register on
// <plugin_dir>/kubelet.sock, dials each plugin, keeps its ListAndWatch open,
// counts capacity/allocatable per resource, marks a resource's devices
// Unhealthy when its stream ends and drops the resource after a grace period,
// picks device IDs (honouring GetPreferredAllocation), calls Allocate once per
// (container, resource), and keeps kubelet's checkpoint file
// (<plugin_dir>/kubelet_internal_checkpoint) so a restarted sim-kubelet keeps
// its allocations.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace grpc {
class Server;
}

namespace simkubelet {

inline constexpr char kCheckpointName[] = "kubelet_internal_checkpoint";
inline constexpr char kHealthy[] = "Healthy";
inline constexpr char kUnhealthy[] = "Unhealthy";

struct Device {
  std::string health;         // kHealthy / kUnhealthy
  std::vector<int64_t> numa;  // empty: no NUMA preference
};

// What one container got for one resource. `response` is the serialised
// v1beta1.ContainerAllocateResponse (as kubelet's checkpoint keeps it).
struct ContainerAllocation {
  std::string pod_uid, pod_name, pod_namespace, container, resource;
  std::vector<std::string> device_ids;
  std::string response;
};

// One container's extended-resource requests (resource -> count).
struct ContainerRequest {
  std::string name;
  std::map<std::string, int64_t> resources;
};

struct AdmitResult {
  bool admitted = false;
  std::string reason;   // pod status reason when rejected
  std::string message;  // pod status message when rejected
};

struct ResourceCount {
  int64_t capacity = 0;
  int64_t allocatable = 0;
};

class DeviceManager {
 public:
  struct Options {
    std::string plugin_dir;                         // e.g. <root>/device-plugins
    std::chrono::milliseconds grace{std::chrono::minutes(5)};  // endpointStopGracePeriod
    std::chrono::milliseconds dial_timeout{10000};  // kubelet's blocking dial
  };
  explicit DeviceManager(Options options);
  ~DeviceManager();
  DeviceManager(const DeviceManager&) = delete;
  DeviceManager& operator=(const DeviceManager&) = delete;

  // As a starting kubelet: deletes every non-directory entry of plugin_dir
  // except the checkpoint (plugins notice and re-register), restores the
  // allocations from the checkpoint (a corrupt one is logged and ignored, as
  // kubelet does), and serves kubelet.sock. "" or an error naming the cause.
  std::string Start();
  // Stops serving and closes every plugin stream (plugins see ListAndWatch
  // cancelled, as when kubelet gets SIGTERM). kubelet.sock stays behind as a
  // dead socket, like a real kubelet's.
  void Stop();

  // Called (from a gRPC or timer thread) whenever capacity may have changed.
  void SetOnChange(std::function<void()> f);

  // Per resource; a resource dropped after its grace period reads 0/0 (kubelet
  // sets the capacity of a removed resource to 0).
  std::map<std::string, ResourceCount> Capacity() const;
  // Known to the device manager (registered now, or within its grace period).
  bool Manages(const std::string& resource) const;
  std::map<std::string, std::map<std::string, Device>> Devices() const;

  // Admission of one pod: for every container and managed resource, picks
  // devices and calls Allocate. On a failure nothing stays allocated and the
  // result carries kubelet's reason/message. Resources the device manager does
  // not manage are left to the caller's node-allocatable check.
  AdmitResult Admit(const std::string& pod_uid, const std::string& pod_name, const std::string& pod_namespace,
                    const std::vector<ContainerRequest>& containers);
  // Allocations restored from the checkpoint carry only the pod UID: a pod
  // seen again after a restart fills in its name. True if it had any.
  bool Adopt(const std::string& pod_uid, const std::string& pod_name, const std::string& pod_namespace);
  bool HasAllocations(const std::string& pod_uid) const;
  // The pod is no longer active: its devices are free again.
  void Release(const std::string& pod_uid);
  std::vector<ContainerAllocation> Allocations() const;
  std::vector<ContainerAllocation> AllocationsOf(const std::string& pod_uid) const;

  // Registration handler body (public for the gRPC service): "" or the text
  // kubelet answers with (gRPC UNKNOWN).
  std::string Register(const std::string& version, const std::string& endpoint, const std::string& resource,
                       bool preferred_allocation, bool pre_start);

  const Options& options() const { return options_; }

 private:
  struct Endpoint;
  struct Resource {
    std::map<std::string, Device> devices;
    std::shared_ptr<Endpoint> endpoint;  // null once the stream ended
    bool registered = false;
    std::chrono::steady_clock::time_point stopped_at{};
    bool removed = false;  // dropped after the grace period; reads as 0/0
  };

  void ReadStream(std::shared_ptr<Endpoint> ep);
  void Housekeeping();
  void Notify();
  std::string WriteCheckpointLocked() const;
  void ReadCheckpoint();
  std::string AllocateOne(const std::shared_ptr<Endpoint>& ep, const std::string& resource,
                          const std::vector<std::string>& available, int64_t n, ContainerAllocation* out);

  const Options options_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, Resource> resources_;
  std::vector<ContainerAllocation> allocations_;
  std::function<void()> on_change_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<class RegistrationService> service_;
  std::thread housekeeping_;
  std::vector<std::thread> readers_;
};

}  // namespace simkubelet
