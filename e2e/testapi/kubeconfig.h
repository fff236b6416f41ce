// Writes the kubeconfig files kube-testapi hands to its clients.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "e2e/testapi/certs.h"

namespace testapi {

struct KubeconfigUser {
  std::string name;
  std::optional<KeyPair> client_cert;  // client-certificate-data / client-key-data
  std::optional<std::string> token;
};

// Writes atomically (temporary file, then rename), so a reader that sees
// the file sees all of it. Returns an error message on failure.
std::optional<std::string> WriteKubeconfig(const std::filesystem::path& path, const std::string& server_url,
                                           const std::optional<std::string>& ca_pem, const KubeconfigUser& user);

}  // namespace testapi
