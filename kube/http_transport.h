// kube::HttpTransport sends requests to a real API server over cpprestsdk:
// TLS with the config's CA and client certificate (or insecure-skip-verify
// and tls-server-name), bearer tokens from kube::Credentials (refreshed and
// retried once after a 401), and the user agent.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "kube/config.h"
#include "kube/credentials.h"
#include "kube/transport.h"

namespace web::http::client {
class http_client;
}

namespace kube {

class HttpTransport : public Transport {
 public:
  // Checks the TLS material (CA, client certificate and key parse and match)
  // and returns an error naming what is wrong.
  static Result<std::unique_ptr<HttpTransport>> Create(const Config& config);
  ~HttpTransport() override;

  Result<HttpResponse> Send(const HttpRequest& req, std::stop_token stop) override;
  Result<HttpResponse> Stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_line,
                              std::stop_token stop) override;

 private:
  explicit HttpTransport(const Config& config);
  // One cpprest client per distinct timeout (cpprest timeouts are per client).
  std::shared_ptr<web::http::client::http_client> ClientFor(std::chrono::milliseconds timeout);
  template <typename Fn>
  Result<HttpResponse> WithAuthRetry(const HttpRequest& req, Fn&& fn);

  const Config config_;
  Credentials creds_;
  std::mutex mu_;  // guards clients_
  std::map<int64_t, std::shared_ptr<web::http::client::http_client>> clients_;
};

}  // namespace kube
