// Finding an RDMA device before the rdma and rsocket transports try to use
// one, so that a host or pod without one gets a message that says what was
// looked at and what is usually missing, instead of a bare ENODEV later.
#pragma once

#include <string>

#include "bench/status.h"
#include "bench/verbs_api.h"

namespace bench {

// OK when ibv_get_device_list() returns at least one device. Otherwise the
// error names the call, what `sysfs_class_dir` (normally
// /sys/class/infiniband) holds, and the likely cause.
Status CheckRdmaDevice(VerbsApi& verbs, const std::string& sysfs_class_dir = "/sys/class/infiniband");

}  // namespace bench
