#include "e2e/testapi/kubeconfig.h"

#include <fstream>

#include "kube/base64.h"

namespace testapi {

std::optional<std::string> WriteKubeconfig(const std::filesystem::path& path, const std::string& server_url,
                                           const std::optional<std::string>& ca_pem, const KubeconfigUser& user) {
  std::string out = "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-testapi\n  cluster:\n    server: " +
                    server_url + "\n";
  if (ca_pem) out += "    certificate-authority-data: " + kube::EncodeBase64(*ca_pem) + "\n";
  out += "users:\n- name: " + user.name + "\n  user:";
  if (user.client_cert) {
    out += "\n    client-certificate-data: " + kube::EncodeBase64(user.client_cert->cert_pem) +
           "\n    client-key-data: " + kube::EncodeBase64(user.client_cert->key_pem) + "\n";
  } else if (user.token) {
    out += "\n    token: " + *user.token + "\n";
  } else {
    out += " {}\n";
  }
  out += "contexts:\n- name: kube-testapi\n  context:\n    cluster: kube-testapi\n    user: " + user.name +
         "\n    namespace: default\ncurrent-context: kube-testapi\n";
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    if (!f) return "write kubeconfig " + tmp.string() + ": cannot open";
    f << out;
    if (!f) return "write kubeconfig " + tmp.string() + ": write failed";
  }
  std::error_code ec;
  std::filesystem::permissions(tmp, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(tmp, path, ec);
  if (ec) return "write kubeconfig " + path.string() + ": " + ec.message();
  return std::nullopt;
}

}  // namespace testapi
