// The HTTP(S) front of kube-testapi (Boost.Beast over Boost.Asio, one
// thread): authenticates each request as kube-apiserver does (client
// certificate, bearer token, else system:anonymous; a credential that does
// not authenticate is 401), with --rbac authorizes it (rbac.h: impersonation,
// then the RBAC rules; a denial is the real server's 403), answers /admin
// (fault injection) unless turned off, injects configured faults, hands the request to Api, and streams
// watches as chunked JSON lines — batching lines that queue up while a
// write is in flight, and dropping a watcher that falls too far behind.
#pragma once

#include <utility>  // before Boost 1.74 asio, whose awaitable.hpp forgets it

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "e2e/testapi/api.h"
#include "e2e/testapi/audit_log.h"
#include "e2e/testapi/rbac.h"
#include "e2e/testapi/store.h"

namespace testapi {

struct Identity {
  std::string user;
  std::vector<std::string> groups;
};

// Who a request without credentials is, on kube-apiserver with anonymous
// authentication on.
inline constexpr const char* kAnonymousUser = "system:anonymous";
inline constexpr const char* kUnauthenticatedGroup = "system:unauthenticated";

// The client certificate a TLS connection presented.
struct PeerCertificate {
  bool verified = false;  // signed by our CA (and in date)
  std::optional<Identity> identity;  // CN = user, O = groups; unset without a CN
};

// A kube-apiserver static token file (CSV: token,user,uid,"group1,group2"),
// re-read when it changes on disk so tests can rotate tokens.
class TokenFile {
 public:
  explicit TokenFile(std::filesystem::path path) : path_(std::move(path)) {}
  std::optional<Identity> Lookup(const std::string& token);

 private:
  void ReloadIfChanged();
  std::filesystem::path path_;
  std::filesystem::file_time_type loaded_at_{};
  std::map<std::string, Identity> tokens_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::optional<std::filesystem::path> token_file;
  // Requests without credentials are system:anonymous (as kube-apiserver's
  // --anonymous-auth); false: they are 401, even on /healthz and /version.
  bool anonymous_auth = true;
  // Serve /admin/... (fault injection); false: 404 there, as on a real server.
  bool admin_endpoints = true;
  int bookmark_interval_seconds = 10;
  size_t max_body_bytes = 3 * 1024 * 1024;
  size_t max_watch_backlog_bytes = 64 * 1024 * 1024;  // then the watch is dropped
  std::optional<std::filesystem::path> audit_log;  // one JSON line per request (audit_log.h)
  // Authorize every request by the stored RBAC objects (rbac.h) and honour
  // Impersonate-User/-Group; false: every authenticated user may do
  // everything and impersonation headers are ignored.
  bool rbac = false;
};

class WatchBase;

class HttpServer : public ChangeListener {
 public:
  // `ssl` null: plain HTTP.
  HttpServer(boost::asio::io_context& io, Api& api, ServerOptions options, boost::asio::ssl::context* ssl);
  ~HttpServer() override;

  // Binds and starts accepting. Returns an error message on failure.
  std::optional<std::string> Listen();
  uint16_t port() const { return port_; }
  // Stops accepting and ends every watch.
  void Stop();
  void DropWatches();
  void SetFaults(Faults f) { faults_ = f; }
  Faults faults() const { return faults_; }

  void OnChange(const Change& change) override;

  // Used by sessions.
  boost::asio::io_context& io() { return io_; }
  Api& api() { return api_; }
  const ServerOptions& options() const { return options_; }
  // Who sent a request with this Authorization header and client
  // certificate (null: none presented). nullopt: 401 Unauthorized, because a
  // credential was presented and none authenticates, or there is none and
  // anonymous requests are off. kube-apiserver's order: any valid credential
  // wins; otherwise any presented one fails the request; otherwise anonymous.
  std::optional<Identity> Authenticate(const std::string& authorization, const PeerCertificate* cert);
  // A fault to inject for this request, if the dice say so (code 0: none).
  int RollFault();
  void AddWatch(const std::shared_ptr<WatchBase>& w);
  void RemoveWatch(WatchBase* w);
  void ScheduleUpkeep();
  bool tls() const { return ssl_ != nullptr; }
  // With --rbac: what the stored RBAC objects say about `user` doing `request`.
  Decision Authorize(const UserInfo& user, const RequestAttributes& request);
  AuditLog* audit_log() { return audit_.get(); }

 private:
  void Accept();
  void CreateBootstrapPolicy();

  boost::asio::io_context& io_;
  Api& api_;
  ServerOptions options_;
  boost::asio::ssl::context* ssl_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  Faults faults_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::optional<TokenFile> tokens_;
  std::unique_ptr<AuditLog> audit_;
  bool upkeep_scheduled_ = false;
  // The RBAC objects as the authorizer reads them, rebuilt after any of
  // them changes (OnChange), so a new binding counts from the next request.
  std::optional<RbacPolicy> policy_;
  // Open watches by storage key; a change is offered only to its key's
  // watches. Watches whose field selector pins a trigger field (a pod's
  // spec.nodeName, any object's metadata.name) are indexed by that value, as
  // kube-apiserver's watch cache does, so a kubelet-style watch costs
  // nothing for other nodes' pods.
  struct WatchBucket {
    std::vector<std::shared_ptr<WatchBase>> unindexed;
    std::map<std::string, std::vector<std::shared_ptr<WatchBase>>> by_trigger;  // "field=value"
  };
  std::map<std::string, WatchBucket> watches_;
};

}  // namespace testapi
