#include "bench/transport_factory.h"

#include "bench/rdma_device.h"
#include "bench/rdma_transport.h"
#include "bench/socket_transport.h"

namespace bench {

TransportFactory::TransportFactory() : TransportFactory(MakeLibVerbsApi(), "/sys/class/infiniband") {}

TransportFactory::TransportFactory(std::unique_ptr<VerbsApi> verbs, std::string sysfs_class_dir)
    : kernel_(MakeKernelSocketApi()),
      rsocket_(MakeRsocketApi()),
      verbs_(std::move(verbs)),
      sysfs_class_dir_(std::move(sysfs_class_dir)) {}

Status TransportFactory::Check(TransportKind kind) {
  if (kind == TransportKind::kTcp) return Status::Ok();
  return CheckRdmaDevice(*verbs_, sysfs_class_dir_).Wrap(std::string("transport ") + TransportName(kind));
}

Result<std::unique_ptr<Transport>> TransportFactory::Make(TransportKind kind, const TransportConfig& config) {
  Status st = Check(kind);
  if (!st.ok()) return st;
  switch (kind) {
    case TransportKind::kTcp: return MakeSocketTransport(*kernel_, config);
    case TransportKind::kRsocket: return MakeSocketTransport(*rsocket_, config);
    case TransportKind::kRdma: return MakeRdmaTransport(*verbs_, config);
  }
  return Status::Error("unknown transport");
}

}  // namespace bench
