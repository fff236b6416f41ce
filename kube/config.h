// kube::Config says how to reach and authenticate to an API server. It is
// loaded from kubeconfig files (KUBECONFIG lists merged like kubectl does) or
// from the in-cluster service account, in controller-runtime's order, and is
// what kube::Client is built from.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kube/api_error.h"

namespace kube {

// A client-go credential plugin (users[].user.exec in a kubeconfig).
struct ExecConfig {
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string api_version = "client.authentication.k8s.io/v1";
};

struct Config {
  std::string server;  // "https://host:port", no trailing slash
  // PEM contents. Files named in a kubeconfig are read at load time; only
  // token_file is re-read later (service account tokens rotate).
  std::string ca_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // overrides the host name checked in the server certificate

  std::string token;       // static bearer token
  std::string token_file;  // re-read at least every minute and after a 401
  std::optional<ExecConfig> exec;
  std::string username, password;  // basic auth, rarely used

  std::string ns = "default";  // namespace of the selected context
  std::string user_agent = "rdma-operator/kube";
  double qps = 20;  // client-side rate limit (controller-runtime's defaults)
  int burst = 30;
  std::chrono::milliseconds timeout{30000};  // per request, except watches
  std::string source;  // "kubeconfig /path context foo" or "in-cluster", for logs
};

// Where LoadConfig looks. Defaults read the real environment; tests inject.
struct LoadOptions {
  std::string kubeconfig;  // --kubeconfig flag; wins over everything
  std::string context;     // --context flag; default: current-context
  // Environment lookup (KUBECONFIG, HOME, KUBERNETES_SERVICE_HOST/PORT).
  std::function<std::optional<std::string>(const std::string&)> getenv;
  std::string service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// controller-runtime's order: --kubeconfig, then $KUBECONFIG (a ':' list,
// merged), then the in-cluster service account, then $HOME/.kube/config.
// Errors (reason "InvalidConfig") name the file and field at fault.
Result<Config> LoadConfig(const LoadOptions& opts = {});

// Merges kubeconfig files like kubectl: the first file to define a cluster,
// user or context name wins, and current-context comes from the first file
// that sets it. Missing files in the list are skipped, but at least one must
// exist. Relative paths inside a file are relative to that file.
Result<Config> LoadKubeconfig(const std::vector<std::string>& paths, const std::string& context = "");
// Same for kubeconfig text already in memory (base_dir resolves relative paths).
Result<Config> ParseKubeconfig(const std::string& yaml, const std::string& base_dir,
                               const std::string& context = "");

// The pod's service account: KUBERNETES_SERVICE_HOST/PORT, token, ca.crt and
// namespace from service_account_dir.
Result<Config> LoadInCluster(const LoadOptions& opts = {});

// Reads a whole file; reason "InvalidConfig" naming the path on failure.
Result<std::string> ReadFileToString(const std::string& path, const std::string& what);

}  // namespace kube
