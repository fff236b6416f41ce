#include "e2e/testapi/audit_log.h"

#include <nlohmann/json.hpp>
#include <vector>

namespace testapi {

namespace {

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

bool IsTrue(const std::map<std::string, std::string>& query, const std::string& key) {
  auto it = query.find(key);
  return it != query.end() && (it->second == "true" || it->second == "1");
}

// metadata.name when the fieldSelector requires one exact name
// ("metadata.name=x" or "==", possibly among other terms), else "".
std::string NameFromFieldSelector(const std::map<std::string, std::string>& query) {
  auto it = query.find("fieldSelector");
  if (it == query.end()) return "";
  std::string name;
  size_t start = 0;
  const std::string& sel = it->second;
  while (start <= sel.size()) {
    size_t comma = sel.find(',', start);
    std::string term = sel.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!term.empty() && term.front() == ' ') term.erase(0, 1);
    while (!term.empty() && term.back() == ' ') term.pop_back();
    for (const char* op : {"metadata.name==", "metadata.name="}) {
      if (term.starts_with(op)) {
        name = term.substr(std::string(op).size());
        break;
      }
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  // Not a name a path could carry: no name (kube's IsValidPathSegmentName).
  if (name == "." || name == ".." || name.find('/') != std::string::npos || name.find('%') != std::string::npos)
    return "";
  return name;
}

}  // namespace

RequestAttributes ParseRequestAttributes(const std::string& method, const std::string& path,
                                         const std::map<std::string, std::string>& query) {
  RequestAttributes a;
  a.path = path;
  std::string lower;
  for (char c : method) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  a.verb = lower;
  auto parts = Split(path);
  size_t at = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    a.api_version = parts[1];
    at = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    a.api_group = parts[1];
    a.api_version = parts[2];
    at = 3;
  } else {
    return a;  // non-resource: /healthz, /version, /apis, /openapi/...
  }
  std::vector<std::string> rest(parts.begin() + static_cast<long>(at), parts.end());
  if (rest.empty()) return a;  // discovery of one group-version
  a.resource_request = true;
  // namespaces/{ns}/{resource}/... is namespaced, except the namespace's
  // own subresources (namespaces/{name}/status|finalize).
  if (rest[0] == "namespaces" && rest.size() > 1) {
    a.namespace_ = rest[1];
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    } else {
      a.namespace_.clear();
    }
  }
  a.resource = rest[0];
  if (rest.size() > 1) a.name = rest[1];
  if (rest.size() > 2) a.subresource = rest[2];
  if (a.resource == "namespaces" && !a.name.empty()) a.namespace_ = a.name;

  if (method == "GET" || method == "HEAD") {
    a.verb = "get";
    if (a.name.empty()) {
      a.verb = IsTrue(query, "watch") ? "watch" : "list";
      // A list or watch pinned to one object by its name is authorized as
      // a request for that name (so resourceNames rules can allow it).
      a.name = NameFromFieldSelector(query);
    }
  } else if (method == "POST") {
    a.verb = "create";
  } else if (method == "PUT") {
    a.verb = "update";
  } else if (method == "PATCH") {
    a.verb = "patch";
  } else if (method == "DELETE") {
    a.verb = a.name.empty() ? "deletecollection" : "delete";
  }
  return a;
}

AuditLog::AuditLog(const std::filesystem::path& path) : out_(path, std::ios::app) {}

void AuditLog::Record(const std::string& user, const std::string& method, const std::string& path,
                      const std::map<std::string, std::string>& query, int code) {
  auto a = ParseRequestAttributes(method, path, query);
  nlohmann::json line = {{"user", user}, {"verb", a.verb}, {"code", code}};
  if (a.resource_request) {
    line["apiGroup"] = a.api_group;
    line["resource"] = a.resource;
    line["subresource"] = a.subresource;
    line["namespace"] = a.namespace_;
    line["name"] = a.name;
  } else {
    line["nonResourceURL"] = path;
  }
  std::lock_guard<std::mutex> lock(mu_);
  out_ << line.dump() << '\n';
  out_.flush();
}

}  // namespace testapi
