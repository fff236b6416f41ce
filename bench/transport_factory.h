// Makes the transport a run asked for, after checking the host can provide
// it: rdma and rsocket need an RDMA device, and without one the error says
// what was looked for (see rdma_device.h).
#pragma once

#include <memory>
#include <string>

#include "bench/options.h"
#include "bench/socket_api.h"
#include "bench/transport.h"
#include "bench/verbs_api.h"

namespace bench {

class TransportFactory {
 public:
  // The real libraries and /sys/class/infiniband.
  TransportFactory();
  // For tests: any verbs implementation and sysfs directory.
  TransportFactory(std::unique_ptr<VerbsApi> verbs, std::string sysfs_class_dir);

  // The transport lives no longer than this factory.
  Result<std::unique_ptr<Transport>> Make(TransportKind kind, const TransportConfig& config);
  // Only the availability check.
  Status Check(TransportKind kind);

 private:
  std::unique_ptr<SocketApi> kernel_;
  std::unique_ptr<SocketApi> rsocket_;
  std::unique_ptr<VerbsApi> verbs_;
  std::string sysfs_class_dir_;
};

}  // namespace bench
