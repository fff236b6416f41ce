#include "operator/resources.h"

#include "api/group_version.h"

namespace rdma_operator {

kube::Resource RdmaNodePolicies() {
  return {std::string(api::kGroup), std::string(api::kVersion), std::string(api::kRdmaNodePolicyResource),
          std::string(api::kRdmaNodePolicyKind), false};
}
kube::Resource RdmaNetworks() {
  return {std::string(api::kGroup), std::string(api::kVersion), std::string(api::kRdmaNetworkResource),
          std::string(api::kRdmaNetworkKind), true};
}
kube::Resource RdmaNodeStates() {
  return {std::string(api::kGroup), std::string(api::kVersion), std::string(api::kRdmaNodeStateResource),
          std::string(api::kRdmaNodeStateKind), false};
}
kube::Resource NetworkAttachmentDefinitions() {
  return {std::string(api::kNadGroup), "v1", std::string(api::kNadResource), std::string(api::kNadKind), true};
}

kube::RequestOptions WriteOptions() {
  kube::RequestOptions o;
  o.field_manager = kFieldManager;
  return o;
}

kube::ApiError WithContext(const kube::ApiError& error, const std::string& operation) {
  kube::ApiError e = error;
  e.message = operation + ": " + error.message;
  return e;
}

}  // namespace rdma_operator
