// DevicePluginManager: rdma-agent's device plugins, one ResourcePlugin per
// resource the node's RdmaNodeState vfGroups name. The agent calls Update
// with each new view of the node (before a pass, from fresh discovery, and
// after it, from the status it reported); the manager starts plugins for new
// resources, stops those that left the spec, hands each its device list,
// and in exclusive mode with a CDI dir writes each resource's CDI spec.
//
// It watches kubelet's device-plugins dir with inotify: kubelet deletes
// every socket there when it starts, so a deleted plugin socket means
// "serve anew and register again"; a new kubelet.sock means "registration
// may work now". Nothing here polls, except that a missing dir is looked for
// again every few seconds until kubelet has created it.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/deviceplugin/devices.h"
#include "agent/deviceplugin/resource_plugin.h"
#include "agent/host/sysfs.h"
#include "kube/metrics.h"

namespace deviceplugin {

struct ManagerOptions {
  PluginOptions plugin;  // plugin.plugin_dir: kubelet's device-plugins dir
  std::string cdi_dir;   // "" = no CDI: DeviceSpecs in every mode
};

class DevicePluginManager {
 public:
  explicit DevicePluginManager(ManagerOptions options);
  ~DevicePluginManager();  // Stop()
  DevicePluginManager(const DevicePluginManager&) = delete;
  DevicePluginManager& operator=(const DevicePluginManager&) = delete;

  // Starts watching the dir. Plugins start with the first Update.
  void Start();
  void Stop();

  // The node as the agent now sees it. Thread-safe; cheap when nothing changed.
  void Update(const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status,
              const std::map<std::string, VfExtras>& extras);
  Inventory Current() const;
  // The agent is about to unbind this VF to re-probe it (new GUIDs): it is
  // Unhealthy until the next Update shows it again. Kubelet must not hand
  // out a VF whose netdev and RDMA device are being re-created.
  void MarkReprobing(const std::string& pci);
  // The plugin for a resource, or null (for tests and the bench).
  ResourcePlugin* Plugin(const std::string& resource);

 private:
  void Watch(std::stop_token stop);
  void OnDirEvent(const std::string& name, bool removed);
  void WriteCdiSpec(const ResourceDevices& r);
  void RemoveCdiSpec(const std::string& resource);

  const ManagerOptions options_;
  mutable std::mutex mu_;  // guards plugins_ and current_
  std::map<std::string, std::unique_ptr<ResourcePlugin>> plugins_;
  Inventory current_;
  // Each PF's spec as of its last finished apply (BuildInventory).
  std::map<std::string, api::InterfaceSpec> applied_specs_;
  int stop_fd_ = -1;  // eventfd that wakes the watcher on Stop
  std::jthread watcher_;
};

// The sysfs facts BuildInventory needs for every VF in the status.
std::map<std::string, VfExtras> ReadVfExtras(host::Sysfs& sysfs, const api::RdmaNodeStateStatus& status);

// ReadVfExtras for every pass: a VF is read again only when its RDMA or
// uverbs device changed (a rebind or a move renames them, and the char
// device numbers follow the names; the NUMA node never changes), so an idle
// node costs no sysfs reads. Thread-safe.
class VfExtrasReader {
 public:
  explicit VfExtrasReader(host::Sysfs& sysfs) : sysfs_(sysfs) {}
  std::map<std::string, VfExtras> Read(const api::RdmaNodeStateStatus& status);

 private:
  struct Entry {
    std::string rdma_device, uverbs_device;
    VfExtras extras;
  };
  host::Sysfs& sysfs_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by VF PCI address
};

}  // namespace deviceplugin
