// The certificates kube-testapi serves HTTPS with: a CA it generates (or
// loads from the data directory, so a restart keeps them), a server
// certificate for the listen address, and client certificates whose
// subject names the user (CN) and groups (O), as kube-apiserver reads them.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace testapi {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

struct Pki {
  KeyPair ca;
  KeyPair server;
};

// Loads ca.crt/ca.key/server.crt/server.key from `dir` if present, otherwise
// creates them (and stores them there when `dir` is set). The server
// certificate is valid for `hosts` (IP addresses or DNS names).
std::optional<Pki> LoadOrCreatePki(const std::optional<std::filesystem::path>& dir,
                                   const std::vector<std::string>& hosts, std::string* error);

// A client certificate signed by `ca` with CN=user and one O per group.
std::optional<KeyPair> IssueClientCert(const KeyPair& ca, const std::string& user,
                                       const std::vector<std::string>& groups, std::string* error);

}  // namespace testapi
