// A request log for tests that check RBAC: one JSON line per API request
// with the user and the request's attributes as kube-apiserver's authorizer
// sees them (verb, API group, resource, subresource, namespace, name), e.g.
//   {"user":"system:serviceaccount:rdma-system:rdma-agent","verb":"patch",
//    "apiGroup":"rdma.dev","resource":"rdmanodestates","subresource":"status",
//    "namespace":"","name":"node-a","code":200}
// Non-resource requests (/healthz, /version, discovery) have
// "nonResourceURL" instead. Turned on by kube-testapi --audit-log FILE.
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>

namespace testapi {

// What an authorizer decides on (k8s.io/apiserver RequestInfo).
struct RequestAttributes {
  bool resource_request = false;
  std::string verb;  // get, list, watch, create, update, patch, delete, deletecollection
  std::string api_group;
  std::string api_version;
  std::string resource;
  std::string subresource;
  std::string namespace_;
  std::string name;
  std::string path;  // for non-resource requests
};

// From the HTTP method, the path (without query) and the query parameters,
// following kube-apiserver's RequestInfoFactory.
RequestAttributes ParseRequestAttributes(const std::string& method, const std::string& path,
                                         const std::map<std::string, std::string>& query);

class AuditLog {
 public:
  // Appends to `path` (created if missing). ok() false if it cannot be opened.
  explicit AuditLog(const std::filesystem::path& path);
  bool ok() const { return out_.good(); }
  // One line, flushed, so a test reading the file sees every finished request.
  void Record(const std::string& user, const std::string& method, const std::string& path,
              const std::map<std::string, std::string>& query, int code);

 private:
  std::mutex mu_;
  std::ofstream out_;
};

}  // namespace testapi
