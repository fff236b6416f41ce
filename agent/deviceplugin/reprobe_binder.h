// ReprobeAwareBinder: the agent's DriverBinder with the device plugin told
// first. Unbinding a VF (to re-probe it with new GUIDs) destroys its netdev,
// RDMA and uverbs devices for a moment; the plugin marks it Unhealthy before
// that, so kubelet never hands out a VF mid-rebind and ListAndWatch shows
// the repair. The next pass's discovery makes it Healthy again.
#pragma once

#include "agent/deviceplugin/plugin_manager.h"
#include "agent/host/driver_binder.h"

namespace deviceplugin {

class ReprobeAwareBinder : public host::DriverBinder {
 public:
  ReprobeAwareBinder(host::DriverBinder& inner, DevicePluginManager& plugins) : inner_(inner), plugins_(plugins) {}
  host::Result<std::string> CurrentDriver(const std::string& pci) override { return inner_.CurrentDriver(pci); }
  host::Status Unbind(const std::string& pci) override {
    plugins_.MarkReprobing(pci);
    return inner_.Unbind(pci);
  }
  host::Status Bind(const std::string& pci, const std::string& driver) override { return inner_.Bind(pci, driver); }

 private:
  host::DriverBinder& inner_;
  DevicePluginManager& plugins_;
};

}  // namespace deviceplugin
