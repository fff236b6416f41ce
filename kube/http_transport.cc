#include "kube/http_transport.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>

#include "kube/watch_stream.h"

namespace kube {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using beast::error_code;

namespace {

// Go's transport drops connections idle this long (IdleConnTimeout).
constexpr auto kIdleLifetime = std::chrono::seconds(90);
// Response headers from an API server are small; bodies (lists) are not.
constexpr uint32_t kHeaderLimit = 64 * 1024;
// Lists can be large; Beast's default is 8 MB. (Not boost::none: Beast 1.74
// compares a Content-Length against none as if it were over the limit.)
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();
// Bytes handed to a watch's line splitter per read.
constexpr size_t kStreamChunk = 16 * 1024;

using Request = bhttp::request<bhttp::string_body>;

// Lifts Beast's parser limits to what an API server's answers need.
template <typename Body>
void SetLimits(bhttp::response_parser<Body>& parser) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(kNoBodyLimit);
}

ApiError ConfigError(const std::string& msg) {
  ApiError e;
  e.reason = "InvalidConfig";
  e.message = msg;
  return e;
}

bool IsIpAddress(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::string Seconds(std::chrono::milliseconds d) {
  auto tenths = d.count() / 100;
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "") + "s";
}

// Loads CA and client certificate into ctx; the error names the part at fault.
Status LoadTls(ssl::context& ctx, const Config& config, const std::string& cert, const std::string& key) {
  auto fail = [&](const std::string& what, const std::exception& ex) {
    return ConfigError("TLS setup for " + config.server + ": " + what + ": " + ex.what());
  };
  // Watches keep their connections open and idle most of the time; let
  // OpenSSL free each idle connection's read and write buffers.
  SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  if (!config.ca_pem.empty()) {
    // Trust only the cluster's CA, as client-go does when the kubeconfig
    // names one.
    try {
      ctx.add_certificate_authority(net::buffer(config.ca_pem.data(), config.ca_pem.size()));
    } catch (const std::exception& ex) {
      return fail("certificate authority is not valid PEM", ex);
    }
  } else if (!config.insecure_skip_tls_verify) {
    ctx.set_default_verify_paths();  // the system's CAs, as Go does without a CA
  }
  if (!cert.empty()) {
    try {
      ctx.use_certificate_chain(net::buffer(cert.data(), cert.size()));
    } catch (const std::exception& ex) {
      return fail("client certificate is not valid PEM", ex);
    }
    try {
      ctx.use_private_key(net::buffer(key.data(), key.size()), ssl::context::pem);
    } catch (const std::exception& ex) {
      return fail("client key is not valid PEM", ex);
    }
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
      return ConfigError("TLS setup for " + config.server + ": client key does not match the client certificate");
  }
  return {};
}

std::optional<std::chrono::seconds> ParseRetryAfter(const bhttp::fields& h) {
  auto it = h.find("Retry-After");
  if (it == h.end()) return std::nullopt;
  try {
    return std::chrono::seconds(std::stol(std::string(it->value())));
  } catch (...) {
    return std::nullopt;  // HTTP-date form: the caller's own backoff applies
  }
}

// What went wrong on a connection, in words.
std::string Describe(const error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout) return "timed out after " + Seconds(timeout);
  if (ec == bhttp::error::end_of_stream || ec == net::error::eof) return "the server closed the connection";
  return ec.message();
}

// Go retries a request on a fresh connection only if it can be sent twice.
bool Replayable(const std::string& method) { return method == "GET" || method == "HEAD" || method == "OPTIONS"; }

}  // namespace

Result<ServerUrl> ParseServerUrl(const std::string& server) {
  auto bad = [&](const std::string& why) { return ConfigError("kube client: server \"" + server + "\" " + why); };
  if (server.empty()) return ConfigError("kube client: config has no server");
  ServerUrl u;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    rest = server.substr(7);
  } else {
    return bad("is not a URL: it must start with https:// or http://");
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.base_path = rest.substr(slash);
  while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  if (authority.find('@') != std::string::npos) return bad("has user information; put credentials in the user entry");
  std::string port;
  if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
    size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unclosed '[' in its host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return bad("has text after the IPv6 address");
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return bad("has no host");
  if (port.empty()) port = u.tls ? "443" : "80";
  if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535 ||
      std::stoi(port) == 0)
    return bad("has an invalid port \"" + port + "\"");
  u.port = port;
  return u;
}

std::string RequestTarget(const ServerUrl& url, const HttpRequest& req) {
  auto encode = [](std::string& out, const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
  };
  std::string target = url.base_path + req.path;
  char sep = '?';
  for (const auto& [k, v] : req.query) {
    target += sep;
    encode(target, k);
    target += '=';
    encode(target, v);
    sep = '&';
  }
  return target;
}

// One connection to the server, plain or TLS. Every operation on it runs its
// own io_context on the calling thread until the operation completes, so a
// blocking-looking call gets Beast's timeouts and can be cancelled from
// another thread (by posting the cancel into that io_context).
class HttpTransport::Connection {
 public:
  explicit Connection(std::shared_ptr<ssl::context> tls) : tls_ctx_(std::move(tls)) {
    if (tls_ctx_)
      secure_.emplace(ioc_, *tls_ctx_);
    else
      plain_.emplace(ioc_);
  }

  beast::tcp_stream& tcp() { return secure_ ? beast::get_lowest_layer(*secure_) : *plain_; }
  SSL* ssl() { return secure_ ? secure_->native_handle() : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }

  // Calls fn with the stream the HTTP messages go over.
  template <typename Fn>
  void WithStream(Fn&& fn) {
    if (secure_)
      fn(*secure_);
    else
      fn(*plain_);
  }

  // Starts an operation with `start(handler)` and runs until it completes,
  // stop is requested (error operation_aborted) or the stream's deadline
  // passes (error beast::error::timeout).
  // A cancel posted just as the operation completed stays queued and would
  // cancel this connection's next operation: after a stop request, callers
  // close the connection instead of keeping it.
  template <typename Start>
  error_code Run(Start&& start, std::stop_token stop) {
    error_code result = net::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    std::stop_callback cancel(stop, [this] { net::post(ioc_, [this] { tcp().cancel(); }); });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  // Sends the request; the deadline for it and for reading the whole answer
  // with ReadAll is `timeout` from now.
  error_code Write(const Request& m, std::chrono::milliseconds timeout, std::stop_token stop) {
    tcp().expires_after(timeout);
    return Run([&](auto handler) { WithStream([&](auto& s) { bhttp::async_write(s, m, std::move(handler)); }); }, stop);
  }
  template <typename Parser>
  error_code ReadAll(Parser& parser, std::stop_token stop) {
    return Run([&](auto h) { WithStream([&](auto& s) { bhttp::async_read(s, buffer_, parser, std::move(h)); }); },
               stop);
  }
  // Reads the answer's header, or what has arrived of its body; either
  // within `timeout` from now (a stream's longest silence).
  template <typename Parser>
  error_code ReadHeader(Parser& parser, std::chrono::milliseconds timeout, std::stop_token stop) {
    tcp().expires_after(timeout);
    return Run(
        [&](auto h) { WithStream([&](auto& s) { bhttp::async_read_header(s, buffer_, parser, std::move(h)); }); },
        stop);
  }
  template <typename Parser>
  error_code ReadSome(Parser& parser, std::chrono::milliseconds timeout, std::stop_token stop) {
    tcp().expires_after(timeout);
    return Run([&](auto h) { WithStream([&](auto& s) { bhttp::async_read_some(s, buffer_, parser, std::move(h)); }); },
               stop);
  }

  error_code Handshake(std::stop_token stop) {
    return Run([this](auto handler) { secure_->async_handshake(ssl::stream_base::client, std::move(handler)); }, stop);
  }

  // True when an idle connection has nothing to read: a server that closed
  // it (EOF) or sent something unasked makes it unusable.
  bool LooksOpen() {
    if (!tcp().socket().is_open() || buffer_.size() > 0) return false;
    pollfd p{tcp().socket().native_handle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  bool reused = false;
  std::chrono::steady_clock::time_point idle_since{};

 private:
  net::io_context ioc_{1};  // destroyed last: the streams use it
  std::shared_ptr<ssl::context> tls_ctx_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure_;
  beast::flat_buffer buffer_;
};

HttpTransport::HttpTransport(const Config& config, ServerUrl url)
    : config_(config), url_(std::move(url)), creds_(config) {}
HttpTransport::~HttpTransport() = default;

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(const Config& config) {
  auto url = ParseServerUrl(config.server);
  if (!url) return url.error();
  auto t = std::unique_ptr<HttpTransport>(new HttpTransport(config, *url));
  if (url->tls) {
    if (auto ctx = t->TlsContext(); !ctx) return ctx.error();
  }
  // Fail early on a token file or exec plugin that cannot work at all.
  if (auto a = t->creds_.AuthorizationHeader(); !a) return a.error();
  return t;
}

Result<std::shared_ptr<ssl::context>> HttpTransport::TlsContext() {
  std::string cert, key;
  creds_.ClientCertificate(&cert, &key);
  std::lock_guard<std::mutex> lock(mu_);
  if (tls_ && cert == tls_cert_) return tls_;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (auto s = LoadTls(*ctx, config_, cert, key); !s) return s.error();
  tls_ = ctx;
  tls_cert_ = cert;
  return ctx;
}

Result<std::unique_ptr<HttpTransport::Connection>> HttpTransport::Acquire(const HttpRequest& req,
                                                                          std::stop_token stop) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    while (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      if (std::chrono::steady_clock::now() - conn->idle_since < kIdleLifetime && conn->LooksOpen()) return conn;
    }
  }
  const std::string where = url_.host + ":" + url_.port;
  auto fail = [&](const std::string& what, const error_code& ec) {
    return ApiError::Transport(req.operation, what + " " + where + ": " + Describe(ec, req.timeout));
  };

  std::shared_ptr<ssl::context> tls;
  if (url_.tls) {
    auto ctx = TlsContext();
    if (!ctx) return ApiError::Transport(req.operation, ctx.error().message);
    tls = *ctx;
  }
  auto conn = std::make_unique<Connection>(tls);
  connections_opened_++;

  error_code ec;
  tcp::resolver resolver(conn->tcp().get_executor());
  auto endpoints = resolver.resolve(url_.host, url_.port, ec);  // on this thread: no resolver thread
  if (ec) return fail("resolve", ec);
  conn->tcp().expires_after(req.timeout);
  ec = conn->Run([&](auto handler) { conn->tcp().async_connect(endpoints, std::move(handler)); }, stop);
  if (ec) return fail("connect to", ec);
  conn->tcp().socket().set_option(tcp::no_delay(true), ec);

  if (SSL* s = conn->ssl()) {
    // The name to check in the server's certificate: tls-server-name if
    // set, else the URL's host; SNI carries it unless it is an IP address.
    const std::string& name = config_.tls_server_name.empty() ? url_.host : config_.tls_server_name;
    const bool ip = IsIpAddress(name);
    if (!ip) SSL_set_tlsext_host_name(s, name.c_str());
    if (config_.insecure_skip_tls_verify) {
      SSL_set_verify(s, SSL_VERIFY_NONE, nullptr);
    } else {
      X509_VERIFY_PARAM* param = SSL_get0_param(s);
      if (ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
      } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
      }
      SSL_set_verify(s, SSL_VERIFY_PEER, nullptr);
    }
    ec = conn->Handshake(stop);
    if (ec) {
      long verify = SSL_get_verify_result(s);
      if (verify != X509_V_OK)
        return ApiError::Transport(req.operation,
                                   "TLS handshake with " + where + ": server certificate not trusted: " + X509_verify_cert_error_string(verify));
      return fail("TLS handshake with", ec);
    }
  }
  return conn;
}

void HttpTransport::Release(std::unique_ptr<Connection> conn) {
  conn->tcp().expires_never();
  if (conn->buffer().size() == 0) conn->buffer().shrink_to_fit();
  conn->reused = true;
  conn->idle_since = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(conn));
}

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

namespace {

bhttp::request<bhttp::string_body> BuildRequest(const HttpRequest& req, const std::string& auth, const ServerUrl& url,
                                                const Config& config) {
  bhttp::request<bhttp::string_body> r;
  r.method_string(req.method);
  r.target(RequestTarget(url, req));
  r.version(11);
  bool default_port = url.port == (url.tls ? "443" : "80");
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  r.set(bhttp::field::host, default_port ? host : host + ":" + url.port);
  r.set(bhttp::field::user_agent, config.user_agent);
  r.set(bhttp::field::accept, "application/json");
  if (!auth.empty()) r.set(bhttp::field::authorization, auth);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    r.set(bhttp::field::content_type, req.content_type.empty() ? "application/json" : req.content_type);
    r.body() = req.body;
  }
  r.keep_alive(true);
  r.prepare_payload();
  return r;
}


}  // namespace

Result<HttpResponse> HttpTransport::Send(const HttpRequest& req, std::stop_token stop) {
  return WithAuthRetry(req, [&](const std::string& auth) -> Result<HttpResponse> {
    auto message = BuildRequest(req, auth, url_, config_);
    for (int attempt = 0;; ++attempt) {
      auto conn = Acquire(req, stop);
      if (!conn) return conn.error();
      Connection& c = **conn;
      bhttp::response_parser<bhttp::string_body> parser;
      SetLimits(parser);
      error_code ec = c.Write(message, req.timeout, stop);
      bool written = !ec;
      if (written) ec = c.ReadAll(parser, stop);
      if (ec) {
        if (stop.stop_requested()) return ApiError::Transport(req.operation, "cancelled");
        // A kept connection the server closed meanwhile: once more on a new
        // one, if the request may be sent twice (Go's rule).
        if (attempt == 0 && c.reused && !parser.got_some() && (!written || Replayable(req.method))) continue;
        return ApiError::Transport(
            req.operation, std::string(written ? "reading the response: " : "sending: ") + Describe(ec, req.timeout));
      }
      HttpResponse out;
      auto& res = parser.get();
      out.status = res.result_int();
      out.retry_after = ParseRetryAfter(res);
      out.body = std::move(res.body());
      if (res.keep_alive() && !stop.stop_requested()) Release(std::move(*conn));
      return out;
    }
  });
}

Result<HttpResponse> HttpTransport::Stream(const HttpRequest& req, const std::function<bool(std::string_view)>& on_line,
                                           std::stop_token stop) {
  return WithAuthRetry(req, [&](const std::string& auth) -> Result<HttpResponse> {
    auto message = BuildRequest(req, auth, url_, config_);
    for (int attempt = 0;; ++attempt) {
      auto conn = Acquire(req, stop);
      if (!conn) return conn.error();
      Connection& c = **conn;
      bhttp::response_parser<bhttp::empty_body> head;
      SetLimits(head);
      error_code ec = c.Write(message, req.timeout, stop);
      if (!ec) ec = c.ReadHeader(head, req.timeout, stop);
      if (ec) {
        if (stop.stop_requested()) return HttpResponse{200, "", std::nullopt};
        if (attempt == 0 && c.reused && !head.got_some()) continue;  // watches are GETs: replayable
        return ApiError::Transport(req.operation, Describe(ec, req.timeout));
      }

      HttpResponse out;
      out.status = head.get().result_int();
      if (out.status != 200) {
        // An error answer (a Status object): read it whole.
        out.retry_after = ParseRetryAfter(head.get());
        bhttp::response_parser<bhttp::string_body> rest(std::move(head));
        SetLimits(rest);
        while (!rest.is_done() && !ec) ec = c.ReadSome(rest, req.timeout, stop);
        if (ec && !stop.stop_requested())
          return ApiError::Transport(req.operation, "reading the response: " + Describe(ec, req.timeout));
        out.body = std::move(rest.get().body());
        if (rest.is_done() && rest.get().keep_alive() && !stop.stop_requested()) Release(std::move(*conn));
        return out;
      }

      bhttp::response_parser<bhttp::buffer_body> body(std::move(head));
      SetLimits(body);
      LineSplitter lines;
      char chunk[kStreamChunk];
      bool more = true;
      while (more && !body.is_done()) {
        body.get().body().data = chunk;
        body.get().body().size = sizeof(chunk);
        ec = c.ReadSome(body, req.timeout, stop);
        if (ec == bhttp::error::need_buffer) ec = {};  // chunk is full: hand it out
        more = lines.Feed(std::string_view(chunk, sizeof(chunk) - body.get().body().size), on_line);
        if (ec) {
          if (stop.stop_requested()) return out;
          if (ec == beast::error::timeout)
            return ApiError::Transport(req.operation, "no data for " + Seconds(req.timeout));
          return ApiError::Transport(req.operation,
                                     "stream broken by the server or network: " + Describe(ec, req.timeout));
        }
      }
      if (more) lines.Finish(on_line);  // a last line without its newline
      // A connection whose response we stopped reading is closed, not kept.
      if (body.is_done() && body.get().keep_alive() && !stop.stop_requested()) Release(std::move(*conn));
      return out;
    }
  });
}

}  // namespace kube
