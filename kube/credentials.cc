#include "kube/credentials.h"

#include "kube/base64.h"

#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>

extern char** environ;

namespace kube {

namespace {

constexpr auto kTokenFileMaxAge = std::chrono::minutes(1);
constexpr auto kExecTimeout = std::chrono::seconds(60);

ApiError AuthError(const std::string& msg) {
  ApiError e;
  e.reason = "CredentialsError";
  e.message = msg;
  return e;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ' || s.back() == '\t'))
    s.pop_back();
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

Result<ExecCredential> RunExecPlugin(const ExecConfig& exec) {
  std::string what = "exec credential plugin " + exec.command;
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0) return AuthError(what + ": pipe: " + std::strerror(errno));
  if (pipe(err_pipe) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return AuthError(what + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&fa, out_pipe[0]);
  posix_spawn_file_actions_addclose(&fa, err_pipe[0]);

  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env_strings.emplace_back(*e);
  for (const auto& [k, v] : exec.env) env_strings.push_back(k + "=" + v);
  nlohmann::json info = {{"apiVersion", exec.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  env_strings.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{exec.command};
  arg_strings.insert(arg_strings.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& s : arg_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return AuthError(what + ": cannot start: " + std::strerror(rc));
  }

  std::string out, err;
  auto deadline = std::chrono::steady_clock::now() + kExecTimeout;
  struct pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        (i == 0 ? out : err).append(buf, static_cast<size_t>(r));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  if (timed_out) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return AuthError(what + ": did not finish within 60s");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return AuthError(what + ": exited with status " + std::to_string(WEXITSTATUS(status)) + ": " + Trim(err));

  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || j.value("kind", "") != "ExecCredential" || !j.contains("status") ||
      !j["status"].is_object())
    return AuthError(what + ": output is not an ExecCredential with a status");
  const auto& st = j["status"];
  ExecCredential cred;
  cred.token = st.value("token", "");
  cred.client_cert_pem = st.value("clientCertificateData", "");
  cred.client_key_pem = st.value("clientKeyData", "");
  if (cred.token.empty() && cred.client_cert_pem.empty())
    return AuthError(what + ": ExecCredential has neither token nor clientCertificateData");
  if (cred.client_cert_pem.empty() != cred.client_key_pem.empty())
    return AuthError(what + ": ExecCredential has only one of clientCertificateData and clientKeyData");
  std::string exp = st.value("expirationTimestamp", "");
  if (!exp.empty()) {
    cred.expiry = ParseTime(exp);
    if (!cred.expiry) return AuthError(what + ": expirationTimestamp \"" + exp + "\" is not RFC 3339");
  }
  return cred;
}

Credentials::Credentials(const Config& config, NowFn now, ExecFn exec)
    : config_(config), now_(std::move(now)), exec_(std::move(exec)) {
  cert_pem_ = config_.client_cert_pem;
  key_pem_ = config_.client_key_pem;
  token_ = config_.token;
}

Status Credentials::RefreshLocked() {
  auto now = now_();
  if (config_.exec) {
    // Refresh shortly before expiry so in-flight requests don't race it.
    bool stale = !have_ || (expiry_ && now + std::chrono::seconds(10) >= *expiry_);
    if (!stale) return {};
    auto cred = exec_(*config_.exec);
    if (!cred) return cred.error();
    token_ = cred->token;
    if (!cred->client_cert_pem.empty()) {
      cert_pem_ = cred->client_cert_pem;
      key_pem_ = cred->client_key_pem;
    }
    expiry_ = cred->expiry;
    have_ = true;
    fetched_at_ = now;
    return {};
  }
  if (!config_.token_file.empty() && config_.token.empty()) {
    if (have_ && now - fetched_at_ < kTokenFileMaxAge) return {};
    auto t = ReadFileToString(config_.token_file, "tokenFile");
    if (!t) {
      // Keep using the last good token if the file is briefly missing during rotation.
      if (have_) return {};
      return t.error();
    }
    token_ = Trim(*t);
    have_ = true;
    fetched_at_ = now;
  }
  return {};
}

Result<std::string> Credentials::AuthorizationHeader() {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto s = RefreshLocked(); !s) return s.error();
  if (!token_.empty()) return "Bearer " + token_;
  if (!config_.username.empty()) {
    return "Basic " + EncodeBase64(config_.username + ":" + config_.password);
  }
  return std::string();
}

void Credentials::ClientCertificate(std::string* cert_pem, std::string* key_pem) {
  std::lock_guard<std::mutex> lock(mu_);
  (void)RefreshLocked();  // an exec failure surfaces through AuthorizationHeader
  *cert_pem = cert_pem_;
  *key_pem = key_pem_;
}

void Credentials::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  have_ = false;
}

}  // namespace kube
