// simkubelet::PodResourcesServer serves kubelet's PodResources v1
// (/v1.PodResourcesLister/{List,Get,GetAllocatableResources}) on
// <root>/pod-resources/kubelet.sock from the DeviceManager's allocation
// table, as Multus and monitoring agents read it (ATTACH-FACTS.md §2).
#pragma once

#include <memory>
#include <string>

namespace grpc {
class Server;
}

namespace simkubelet {

class DeviceManager;

class PodResourcesServer {
 public:
  explicit PodResourcesServer(DeviceManager* dm);
  ~PodResourcesServer();
  // Replaces a stale socket file (kubelet re-creates the inode on restart).
  // "" or an error.
  std::string Start(const std::string& socket_path);
  void Stop();

 private:
  DeviceManager* dm_;
  std::unique_ptr<class PodResourcesService> service_;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace simkubelet
