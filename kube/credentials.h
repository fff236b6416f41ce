// kube::Credentials supplies the Authorization header for each request and
// keeps it fresh: a tokenFile (e.g. a projected service-account token) is
// re-read at least every minute and after a 401, and an exec credential
// plugin is re-run when its token expires or the server rejects it.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "kube/api_error.h"
#include "kube/config.h"
#include "kube/timestamps.h"

namespace kube {

// What an exec plugin returned (ExecCredential.status).
struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<Clock::time_point> expiry;
};

// Runs the plugin (environment plus KUBERNETES_EXEC_INFO), parses its stdout.
// The error names the command and includes its stderr.
Result<ExecCredential> RunExecPlugin(const ExecConfig& exec);

class Credentials {
 public:
  using NowFn = std::function<Clock::time_point()>;
  using ExecFn = std::function<Result<ExecCredential>(const ExecConfig&)>;
  explicit Credentials(const Config& config, NowFn now = Clock::now, ExecFn exec = RunExecPlugin);

  // "Bearer <token>", "Basic <b64>", or "" when the config has no token
  // (client certificates only). Errors when a token file or plugin fails.
  Result<std::string> AuthorizationHeader();
  // The client certificate and key to present (from config or exec plugin);
  // empty when none.
  void ClientCertificate(std::string* cert_pem, std::string* key_pem);
  // The server said 401: re-read the token file / re-run the plugin next time.
  void Invalidate();

 private:
  Status RefreshLocked();

  const Config config_;
  const NowFn now_;
  const ExecFn exec_;
  std::mutex mu_;  // guards everything below
  std::string token_;
  std::string cert_pem_, key_pem_;
  bool have_ = false;
  Clock::time_point fetched_at_{};
  std::optional<Clock::time_point> expiry_;
};

}  // namespace kube
