// cpprest defines a macro U() that breaks fmt; we never use it.
#define _TURN_OFF_PLATFORM_STRING
#include "kube/http_transport.h"

#include "kube/rate_limiter.h"

#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <spdlog/spdlog.h>

namespace kube {

namespace http = web::http;
namespace client = web::http::client;

namespace {

ApiError TlsError(const std::string& msg) {
  ApiError e;
  e.reason = "InvalidConfig";
  e.message = msg;
  return e;
}

// Loads CA and client certificate into ctx; the error names the part at fault.
Status LoadTls(boost::asio::ssl::context& ctx, const std::string& ca, const std::string& cert,
               const std::string& key, const std::string& server) {
  auto fail = [&](const std::string& what, const std::exception& ex) {
    return TlsError("TLS setup for " + server + ": " + what + ": " + ex.what());
  };
  // Watches keep their connections open and idle most of the time; let
  // OpenSSL free each idle connection's read and write buffers.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (!ca.empty()) {
    // Trust only the cluster's CA, as client-go does when the kubeconfig
    // names one. cpprestsdk has already loaded the system CA bundle into
    // this context (set_default_verify_paths, per connection); a fresh store
    // drops it, and with it about 1 MB per TLS connection.
    SSL_CTX_set_cert_store(ctx.native_handle(), X509_STORE_new());
    try {
      ctx.add_certificate_authority(boost::asio::buffer(ca.data(), ca.size()));
    } catch (const std::exception& ex) {
      return fail("certificate authority is not valid PEM", ex);
    }
  }
  if (!cert.empty()) {
    try {
      ctx.use_certificate_chain(boost::asio::buffer(cert.data(), cert.size()));
    } catch (const std::exception& ex) {
      return fail("client certificate is not valid PEM", ex);
    }
    try {
      ctx.use_private_key(boost::asio::buffer(key.data(), key.size()), boost::asio::ssl::context::pem);
    } catch (const std::exception& ex) {
      return fail("client key is not valid PEM", ex);
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
      return TlsError("TLS setup for " + server + ": client key does not match the client certificate");
  }
  return {};
}

std::optional<std::chrono::seconds> ParseRetryAfter(const http::http_headers& h) {
  auto it = h.find("Retry-After");
  if (it == h.end()) return std::nullopt;
  try {
    return std::chrono::seconds(std::stol(it->second));
  } catch (...) {
    return std::nullopt;  // HTTP-date form: the caller's own backoff applies
  }
}

}  // namespace

HttpTransport::HttpTransport(const Config& config) : config_(config), creds_(config) {}
HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(const Config& config) {
  if (config.server.empty()) return TlsError("kube client: config has no server");
  try {
    web::uri u(config.server);
    if (u.host().empty()) return TlsError("kube client: server \"" + config.server + "\" has no host");
  } catch (const std::exception& ex) {
    return TlsError("kube client: server \"" + config.server + "\" is not a URL: " + ex.what());
  }
  if (config.server.rfind("https://", 0) == 0) {
    boost::asio::ssl::context probe(boost::asio::ssl::context::sslv23);
    if (auto s = LoadTls(probe, config.ca_pem, config.client_cert_pem, config.client_key_pem, config.server); !s)
      return s.error();
  }
  auto t = std::unique_ptr<HttpTransport>(new HttpTransport(config));
  // Fail early on a token file or exec plugin that cannot work at all.
  if (auto a = t->creds_.AuthorizationHeader(); !a) return a.error();
  return t;
}

std::shared_ptr<client::http_client> HttpTransport::ClientFor(std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = clients_[timeout.count()];
  if (c) return c;
  client::http_client_config cfg;
  cfg.set_timeout(timeout);
  cfg.set_validate_certificates(!config_.insecure_skip_tls_verify);
  cfg.set_ssl_context_callback([this](boost::asio::ssl::context& ctx) {
    std::string cert, key;
    creds_.ClientCertificate(&cert, &key);
    // Validated in Create(); an exec plugin's certificate could still be bad.
    if (auto s = LoadTls(ctx, config_.ca_pem, cert, key, config_.server); !s)
      spdlog::error("kube: {}", s.error().message);
  });
  c = std::make_shared<client::http_client>(web::uri(config_.server), cfg);
  return c;
}

namespace {

http::http_request BuildRequest(const HttpRequest& req, const std::string& auth, const Config& config) {
  http::http_request r(req.method);
  web::uri_builder b(req.path);
  // Encode everything but unreserved characters: Go decodes "+" in a query as a space.
  for (const auto& [k, v] : req.query)
    b.append_query(web::uri::encode_data_string(k), web::uri::encode_data_string(v), /*do_encoding=*/false);
  r.set_request_uri(b.to_uri());
  r.headers().add("User-Agent", config.user_agent);
  r.headers().add("Accept", "application/json");
  if (!auth.empty()) r.headers().add("Authorization", auth);
  // cpprest takes the TLS host name (SNI and certificate check) from Host.
  if (!config.tls_server_name.empty()) r.headers().add("Host", config.tls_server_name);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
    r.set_body(req.body, req.content_type.empty() ? "application/json" : req.content_type);
  return r;
}

}  // namespace

template <typename Fn>
Result<HttpResponse> HttpTransport::WithAuthRetry(const HttpRequest& req, Fn&& fn) {
  auto auth = creds_.AuthorizationHeader();
  if (!auth) return ApiError::Transport(req.operation, "credentials: " + auth.error().message);
  auto r = fn(*auth);
  if (r.ok() && r->status == 401 && (!config_.token_file.empty() || config_.exec)) {
    // The token may have rotated under us: re-read it and try once more.
    creds_.Invalidate();
    auto again = creds_.AuthorizationHeader();
    if (!again) return ApiError::Transport(req.operation, "credentials: " + again.error().message);
    if (*again != *auth) return fn(*again);
  }
  return r;
}

Result<HttpResponse> HttpTransport::Send(const HttpRequest& req, std::stop_token stop) {
  return WithAuthRetry(req, [&](const std::string& auth) -> Result<HttpResponse> {
    auto c = ClientFor(req.timeout);
    pplx::cancellation_token_source cts;
    std::stop_callback on_stop(stop, [&cts] { cts.cancel(); });
    try {
      auto resp = c->request(BuildRequest(req, auth, config_), cts.get_token()).get();
      HttpResponse out;
      out.status = resp.status_code();
      out.retry_after = ParseRetryAfter(resp.headers());
      out.body = resp.extract_utf8string(true).get();
      return out;
    } catch (const pplx::task_canceled&) {
      return ApiError::Transport(req.operation, "cancelled");
    } catch (const std::exception& ex) {
      return ApiError::Transport(req.operation, ex.what());
    }
  });
}

Result<HttpResponse> HttpTransport::Stream(const HttpRequest& req,
                                           const std::function<bool(std::string_view)>& on_line,
                                           std::stop_token stop) {
  return WithAuthRetry(req, [&](const std::string& auth) -> Result<HttpResponse> {
    auto c = ClientFor(req.timeout);
    pplx::cancellation_token_source cts;
    std::stop_callback on_stop(stop, [&cts] { cts.cancel(); });
    HttpResponse out;
    auto started = SteadyClock::now();
    auto last_data = started;
    try {
      auto resp = c->request(BuildRequest(req, auth, config_), cts.get_token()).get();
      out.status = resp.status_code();
      if (out.status != 200) {
        out.retry_after = ParseRetryAfter(resp.headers());
        out.body = resp.extract_utf8string(true).get();
        return out;
      }
      auto body = resp.body();
      while (!stop.stop_requested()) {
        concurrency::streams::container_buffer<std::string> buf;
        body.read_line(buf).get();
        const std::string& line = buf.collection();
        if (line.empty()) {
          if (body.is_eof()) break;
          continue;
        }
        last_data = SteadyClock::now();
        if (!on_line(line)) break;
      }
    } catch (const pplx::task_canceled&) {
      // stop requested
    } catch (const std::exception& ex) {
      if (!stop.stop_requested()) {
        auto silent = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - last_data);
        std::string cause = ex.what();
        if (silent >= req.timeout)
          cause = "no data for " + std::to_string(silent.count() / 1000) + "s: " + cause;
        else if (out.status == 200)
          cause = "stream broken by the server or network: " + cause;
        cts.cancel();
        return ApiError::Transport(req.operation, cause);
      }
    }
    // Close the connection if we stopped reading before the server ended it.
    cts.cancel();
    out.body.clear();
    return out;
  });
}

}  // namespace kube
