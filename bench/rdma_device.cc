#include "bench/rdma_device.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

namespace bench {

Status CheckRdmaDevice(VerbsApi& verbs, const std::string& sysfs_class_dir) {
  int error = 0;
  std::vector<std::string> devices = verbs.DeviceNames(&error);
  if (!devices.empty()) return Status::Ok();

  std::vector<std::string> in_sysfs;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(sysfs_class_dir, ec)) {
    in_sysfs.push_back(entry.path().filename().string());
  }
  std::sort(in_sysfs.begin(), in_sysfs.end());

  std::string verbs_said = error != 0 ? std::string("ibv_get_device_list() failed: ") + std::strerror(error)
                                      : "ibv_get_device_list() returned no devices";
  if (in_sysfs.empty()) {
    return Status::Error("no RDMA device: " + verbs_said + " and " + sysfs_class_dir +
                         (ec ? " does not exist" : " is empty") +
                         " (no RDMA NIC or driver on this host, or the pod has no VF from an RdmaNetwork)");
  }
  std::string listed;
  for (const auto& name : in_sysfs) listed += (listed.empty() ? "" : ", ") + name;
  return Status::Error("no usable RDMA device: " + verbs_said + " although " + sysfs_class_dir + " lists " +
                       listed + " (is /dev/infiniband/uverbs* present and readable, and the rdma-core provider "
                       "for the NIC installed?)");
}

}  // namespace bench
