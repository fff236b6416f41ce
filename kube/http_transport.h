// kube::HttpTransport sends requests to a real API server over HTTP/1.1
// (Boost.Beast) with TLS from OpenSSL: the config's CA and client
// certificate (or insecure-skip-verify and tls-server-name), bearer tokens
// from kube::Credentials (refreshed and retried once after a 401), and the
// user agent.
//
// Each request runs on its caller's thread; there is no I/O thread pool.
// Finished connections are kept for reuse (keep-alive), a few at most, as
// Go's transport does; a watch holds its connection while it streams.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/config.h"
#include "kube/credentials.h"
#include "kube/transport.h"

namespace boost::asio::ssl {
class context;
}

namespace kube {

// Config::server taken apart.
struct ServerUrl {
  bool tls = false;
  std::string host;       // IPv6 addresses without the brackets
  std::string port;       // "443" or "80" when the URL has none
  std::string base_path;  // "" or "/prefix", put before every request path
};
// Error (reason "InvalidConfig") naming the server when it is not an
// http(s) URL with a host.
Result<ServerUrl> ParseServerUrl(const std::string& server);

// The request line's target: base path, path and the query with every byte
// but unreserved characters percent-encoded (Go decodes "+" as a space).
std::string RequestTarget(const ServerUrl& url, const HttpRequest& req);

class HttpTransport : public Transport {
 public:
  // Checks the server URL and the TLS material (CA, client certificate and
  // key parse and match) and returns an error naming what is wrong.
  static Result<std::unique_ptr<HttpTransport>> Create(const Config& config);
  ~HttpTransport() override;

  Result<HttpResponse> Send(const HttpRequest& req, std::stop_token stop) override;
  Result<HttpResponse> Stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_line,
                              std::stop_token stop) override;

  // Connections opened since Create (each a TCP connect and, over https, a
  // TLS handshake); tests use it to see that connections are reused.
  uint64_t connections_opened() const { return connections_opened_.load(); }

  // Finished connections kept for the next request; more are closed.
  static constexpr size_t kMaxIdleConnections = 4;

 private:
  class Connection;
  HttpTransport(const Config& config, ServerUrl url);

  // An idle connection that still looks open, or a new one.
  Result<std::unique_ptr<Connection>> Acquire(const HttpRequest& req, std::stop_token stop);
  void Release(std::unique_ptr<Connection> conn);
  // The TLS context for new connections; rebuilt when an exec plugin hands
  // out a different client certificate.
  Result<std::shared_ptr<boost::asio::ssl::context>> TlsContext();
  template <typename Fn>
  Result<HttpResponse> WithAuthRetry(const HttpRequest& req, Fn&& fn);

  const Config config_;
  const ServerUrl url_;
  Credentials creds_;
  std::atomic<uint64_t> connections_opened_{0};
  std::mutex mu_;  // guards idle_, tls_ and tls_cert_
  std::vector<std::unique_ptr<Connection>> idle_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::string tls_cert_;  // the client certificate tls_ was built with
};

}  // namespace kube
