#include "e2e/testapi/http_server.h"

#include <openssl/x509.h>
#include <strings.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <deque>
#include <fstream>
#include <sstream>
#include <string_view>

#include "e2e/testapi/status.h"

namespace testapi {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// ---- tokens ------------------------------------------------------------------

void TokenFile::ReloadIfChanged() {
  std::error_code ec;
  auto mtime = std::filesystem::last_write_time(path_, ec);
  if (ec || mtime == loaded_at_) return;
  loaded_at_ = mtime;
  tokens_.clear();
  std::ifstream in(path_);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    // token,user,uid[,"group1,group2"]
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) fields.push_back(std::exchange(cur, ""));
      else cur += c;
    }
    fields.push_back(cur);
    if (fields.size() < 2) continue;
    Identity id{fields[1], {}};
    if (fields.size() > 3) {
      std::stringstream ss(fields[3]);
      for (std::string g; std::getline(ss, g, ',');) id.groups.push_back(g);
    }
    tokens_[fields[0]] = id;
  }
}

std::optional<Identity> TokenFile::Lookup(const std::string& token) {
  ReloadIfChanged();
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

// ---- watches -----------------------------------------------------------------

// The transport-independent half of a watch: which changes it sees and how
// they are worded.
class WatchBase {
 public:
  WatchBase(Api& api, WatchSpec spec) : api_(api), spec_(std::move(spec)) {}
  virtual ~WatchBase() = default;
  virtual void Enqueue(std::string line) = 0;
  // Ends the watch at once, without the closing chunk (a broken connection).
  virtual void Drop() = 0;
  const std::string& storage() const { return spec_.type->storage; }
  // "field=value" when the field selector pins a trigger field, else "".
  std::string Trigger() const {
    for (const char* f : kTriggerFields)
      if (auto v = spec_.fields.Required(f)) return std::string(f) + "=" + *v;
    return "";
  }
  static constexpr const char* kTriggerFields[] = {"spec.nodeName", "metadata.name"};
  bool closed() const { return closed_; }

  void Offer(const Change& c) {
    if (closed_) return;
    bool now = Matches(*c.object);
    const char* type = nullptr;
    switch (c.type) {
      case EventType::kAdded:
        if (now) type = "ADDED";
        break;
      case EventType::kModified: {
        bool before = c.old && Matches(*c.old);
        if (before && now) type = "MODIFIED";
        else if (!before && now) type = "ADDED";
        else if (before && !now) type = "DELETED";
        break;
      }
      case EventType::kDeleted:
        if (now) type = "DELETED";
        break;
    }
    if (type) Enqueue(api_.EventLine(*spec_.type, type, *c.object));
  }

  // Lines the watch starts with: 410, the current state, or history.
  void SendBacklog() {
    const auto& t = *spec_.type;
    if (spec_.expired) {
      json err = FailureStatus(410, "Expired",
                               "too old resource version: " + std::to_string(spec_.since_rv) + " (" +
                                   std::to_string(api_.store().OldestWatchableRv(t.storage)) + ")");
      Enqueue(json{{"type", "ERROR"}, {"object", err}}.dump() + "\n");
      return;
    }
    if (spec_.initial_state) {
      for (const auto& o : api_.store().List(t.storage, spec_.ns))
        if (Matches(*o)) Enqueue(json{{"type", "ADDED"}, {"object", api_.Present(t, *o)}}.dump() + "\n");
      if (spec_.initial_events_end) Enqueue(api_.BookmarkLine(t, true));
      return;
    }
    for (const auto& c : api_.store().ChangesSince(t.storage, spec_.since_rv)) Offer(c);
  }

 protected:
  bool Matches(const json& o) const {
    const json& meta = o["metadata"];
    if (!spec_.ns.empty() && meta.value("namespace", "") != spec_.ns) return false;
    if (!spec_.labels.Matches(meta.contains("labels") ? meta["labels"] : json())) return false;
    return spec_.fields.Matches(o);
  }

  Api& api_;
  WatchSpec spec_;
  bool closed_ = false;
};

// ---- sessions ----------------------------------------------------------------

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// The client certificate of a finished handshake, if one was presented. The
// handshake accepts any certificate (see main.cc), as kube-apiserver's does,
// so that one our CA did not sign is refused with a 401 Status, not a TLS
// alert: OpenSSL's verdict on it is kept in the verify result.
std::optional<PeerCertificate> PeerCertificateOf(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return std::nullopt;
  PeerCertificate peer;
  peer.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  Identity id;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    if (n < 0) continue;
    std::string v(reinterpret_cast<char*>(utf8), n);
    OPENSSL_free(utf8);
    if (nid == NID_commonName) id.user = v;
    if (nid == NID_organizationName) id.groups.push_back(v);
  }
  X509_free(cert);
  if (!id.user.empty()) peer.identity = std::move(id);
  return peer;
}

template <class Stream>
class Session : public WatchBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer& server, Stream stream)
      : WatchBase(server.api(), WatchSpec{}),
        server_(server),
        stream_(std::move(stream)),
        timeout_timer_(server.io()),
        bookmark_timer_(server.io()),
        fault_timer_(server.io()) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // a client that gave up or spoke plain HTTP
                                self->peer_cert_ = PeerCertificateOf(self->stream_.native_handle());
                                self->ReadRequest();
                              });
    } else {
      ReadRequest();
    }
  }

  void Enqueue(std::string line) override {
    if (closed_) return;
    backlog_bytes_ += line.size();
    backlog_.push_back(std::move(line));
    if (backlog_bytes_ > server_.options().max_watch_backlog_bytes) {
      spdlog::warn("msg=\"dropping a watch that fell behind\" resource={} backlogBytes={}", spec_.type->plural,
                   backlog_bytes_);
      Drop();
      return;
    }
    if (!write_in_flight_ && header_sent_) Flush();
  }

  void Drop() override {
    if (closed_) return;
    closed_ = true;
    timeout_timer_.cancel();
    bookmark_timer_.cancel();
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
    server_.RemoveWatch(this);
  }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes + 1);
    parser_->header_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::minutes(5));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Response r;
      r.code = 413;
      r.body = FailureStatus(413, "RequestEntityTooLarge",
                             "Request entity too large: limit is " + std::to_string(server_.options().max_body_bytes))
                   .dump();
      Write(std::move(r), false);
      return;
    }
    if (ec) return;  // closed, timed out or garbage: nothing to answer
    auto& req = parser_->get();
    started_ = std::chrono::steady_clock::now();
    request_ = {};
    request_.method = std::string(req.method_string());
    std::string target(req.target());
    auto q = target.find('?');
    request_.path = UrlDecode(target.substr(0, q));
    if (q != std::string::npos) ParseQuery(target.substr(q + 1));
    request_.content_type = std::string(req[http::field::content_type]);
    request_.accept = std::string(req[http::field::accept]);
    request_.body = std::move(req.body());
    keep_alive_ = req.keep_alive();

    // What kube-apiserver's default system:public-info-viewer binding lets
    // anyone, system:anonymous included, read.
    bool open_path = request_.path == "/healthz" || request_.path == "/livez" || request_.path == "/readyz" ||
                     request_.path == "/version";
    auto id = server_.Authenticate(std::string(req[http::field::authorization]), peer_cert_ ? &*peer_cert_ : nullptr);
    if (server_.options().rbac) {
      if (!id) return Refuse(401, FailureStatus(401, "Unauthorized", "Unauthorized"), "");
      auto refusal = AuthorizeRequest(req, *id);
      if (refusal) return Refuse(refusal->code, std::move(refusal->body), request_.user);
      return AfterAuthorization(open_path);
    }
    // Without RBAC there is no rule that could refuse system:anonymous with
    // a 403 (as a real server with RBAC does), and every authenticated user
    // may do everything; so anonymous requests keep a 401 outside the open
    // paths rather than being admitted (docs/kube-testapi.md).
    if (!id || (id->user == kAnonymousUser && !open_path))
      return Refuse(401, FailureStatus(401, "Unauthorized", "Unauthorized"), id ? id->user : "");
    request_.user = id->user;
    request_.groups = id->groups;
    AfterAuthorization(open_path);
  }

  void Refuse(int code, json body, std::string user) {
    request_.user = std::move(user);
    Response r;
    r.code = code;
    r.body = body.dump();
    Write(std::move(r), keep_alive_);
  }

  // --rbac: who the request acts as (Impersonate-User/-Group, if the
  // authenticated user may impersonate them) and whether the RBAC rules
  // let them. Sets request_.user/groups; returns the refusal, if any.
  std::optional<StatusError> AuthorizeRequest(const http::request<http::string_body>& req, const Identity& id) {
    UserInfo user{id.user, id.groups};
    // kube-apiserver adds system:authenticated to every authenticated user.
    if (id.user != kAnonymousUser && std::find(user.groups.begin(), user.groups.end(), kAuthenticatedGroup) == user.groups.end())
      user.groups.push_back(kAuthenticatedGroup);
    request_.user = user.name;
    Impersonation as;
    size_t user_headers = 0;
    bool other_headers = false;
    for (const auto& f : req) {
      beast::string_view name = f.name_string();
      if (beast::iequals(name, "Impersonate-User")) {
        as.user = std::string(f.value());
        ++user_headers;
      } else if (beast::iequals(name, "Impersonate-Group")) {
        as.groups.emplace_back(f.value());
        other_headers = true;
      } else if (beast::iequals(name, "Impersonate-Uid")) {
        as.uid = std::string(f.value());
        other_headers = true;
      } else if (name.size() > 18 && beast::iequals(name.substr(0, 18), "Impersonate-Extra-")) {
        std::string key;  // lower-case, percent-decoded, as kube-apiserver reads it
        for (char c : UrlDecode(std::string(name.substr(18))))
          key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        as.extras.emplace_back(key, std::string(f.value()));
        other_headers = true;
      }
    }
    if (user_headers > 1 || (user_headers == 0 && other_headers)) {
      // kube-apiserver refuses groups, extras or a uid without a user (and
      // two users) before authorizing anything, as an internal error.
      return StatusError{500, FailureStatus(500, "InternalError",
                                            "Internal error occurred: requested impersonation of groups, extras or "
                                            "a uid without impersonating exactly one user")};
    }
    if (user_headers == 1) {
      for (const auto& check : ImpersonationChecks(as)) {
        auto d = server_.Authorize(user, check);
        if (!d.allowed) return StatusError{403, ForbiddenStatus(user, check, d.reason)};
      }
      // (Extras and the uid are checked but carried no further: no RBAC
      // rule can look at them.)
      user = ImpersonatedUser(as.user, as.groups);
      request_.user = user.name;
    }
    request_.groups = user.groups;
    auto attrs = ParseRequestAttributes(request_.method, request_.path, request_.query);
    auto d = server_.Authorize(user, attrs);
    if (!d.allowed) return StatusError{403, ForbiddenStatus(user, attrs, d.reason)};
    return std::nullopt;
  }

  void AfterAuthorization(bool open_path) {
    bool admin_path = request_.path == "/admin" || request_.path.starts_with("/admin/");
    if (admin_path && !server_.options().admin_endpoints) {
      Response r;
      r.code = 404;
      r.body = FailureStatus(404, "NotFound", "the server could not find the requested resource").dump();
      Write(std::move(r), keep_alive_);
      return;
    }
    bool api_path = !open_path && !admin_path;
    Faults f = server_.faults();
    if (api_path && f.latency_ms > 0) {
      fault_timer_.expires_after(std::chrono::milliseconds(f.latency_ms));
      fault_timer_.async_wait([self = this->shared_from_this()](beast::error_code) { self->Process(true); });
      return;
    }
    Process(api_path);
  }

  void Process(bool api_path) {
    if (api_path) {
      if (int code = server_.RollFault()) {
        Response r;
        r.code = code;
        r.body = (code == 429 ? FailureStatus(429, "TooManyRequests", "Too many requests, please try again later. "
                                                                      "(fault injected by kube-testapi)")
                              : FailureStatus(code, code == 503 ? "ServiceUnavailable" : "InternalError",
                                              "Internal error occurred: fault injected by kube-testapi"))
                     .dump();
        if (code == 429) r.headers.emplace_back("Retry-After", "1");
        Write(std::move(r), keep_alive_);
        return;
      }
    }
    Outcome out = server_.api().Handle(request_);
    server_.ScheduleUpkeep();
    if (out.watch) {
      StartWatch(std::move(*out.watch));
      return;
    }
    Write(std::move(out.response), keep_alive_);
  }

  void Log(int code) const {
    if (auto* audit = server_.audit_log()) audit->Record(request_.user, request_.method, request_.path, request_.query, code);
    if (!spdlog::should_log(spdlog::level::debug)) return;
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started_).count();
    spdlog::debug("method={} path={} code={} user={} ms={:.2f}", request_.method, request_.path, code, request_.user,
                  ms);
  }

  void Write(Response r, bool keep_alive) {
    Log(r.code);
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.code), 11);
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-cache, private");
    for (const auto& [k, v] : r.headers) res->insert(k, v);
    res->keep_alive(keep_alive);
    if (request_.method != "HEAD") res->body() = std::move(r.body);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
      if (ec) return;
      if (keep_alive) self->ReadRequest();
      else self->Close();
    });
  }

  void Close() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void StartWatch(WatchSpec spec) {
    Log(200);
    spec_ = std::move(spec);
    beast::get_lowest_layer(stream_).expires_never();
    header_ = std::make_unique<http::response<http::empty_body>>(http::status::ok, 11);
    header_->set(http::field::content_type, "application/json");
    header_->set(http::field::cache_control, "no-cache, private");
    header_->chunked(true);
    // Kept alive for the client's sake (Python and Go treat "close" differently),
    // but the connection ends with the watch: see ProbeForClose.
    header_->keep_alive(true);
    serializer_ = std::make_unique<http::response_serializer<http::empty_body>>(*header_);
    write_in_flight_ = true;
    http::async_write_header(stream_, *serializer_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      self->write_in_flight_ = false;
      if (ec) return self->Drop();
      self->header_sent_ = true;
      if (!self->backlog_.empty()) self->Flush();
      else if (self->ending_) self->WriteLast();
    });
    // Queue the backlog now, in this turn of the loop, so no change can slip
    // between the backlog and the live stream.
    SendBacklog();
    if (spec_.expired) {
      ending_ = true;
      return;
    }
    server_.AddWatch(std::static_pointer_cast<WatchBase>(this->shared_from_this()));
    timeout_timer_.expires_after(std::chrono::seconds(std::max(1, spec_.timeout_seconds)));
    timeout_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->EndWatch();
    });
    if (spec_.bookmarks) ScheduleBookmark();
    ProbeForClose();
  }

  // The client sends nothing during a watch, so any read completing means
  // it went away: stop the watch instead of writing into a dead socket.
  void ProbeForClose() {
    beast::get_lowest_layer(stream_).socket().async_read_some(
        net::buffer(probe_), [self = this->shared_from_this()](beast::error_code, size_t) {
          if (!self->closed_ && !self->ending_) self->Drop();
        });
  }

  void ScheduleBookmark() {
    bookmark_timer_.expires_after(std::chrono::seconds(server_.options().bookmark_interval_seconds));
    bookmark_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_ || self->ending_) return;
      self->Enqueue(self->api_.BookmarkLine(*self->spec_.type, false));
      self->ScheduleBookmark();
    });
  }

  void EndWatch() {
    if (closed_ || ending_) return;
    ending_ = true;
    bookmark_timer_.cancel();
    server_.RemoveWatch(this);
    if (!write_in_flight_ && header_sent_) {
      if (!backlog_.empty()) Flush();
      else WriteLast();
    }
  }

  void Flush() {
    writing_.clear();
    for (auto& l : backlog_) writing_ += l;
    backlog_.clear();
    backlog_bytes_ = 0;
    write_in_flight_ = true;
    net::async_write(stream_, http::make_chunk(net::buffer(writing_)),
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->write_in_flight_ = false;
                       if (ec) return self->Drop();
                       if (!self->backlog_.empty()) self->Flush();
                       else if (self->ending_) self->WriteLast();
                     });
  }

  void WriteLast() {
    if (closed_) return;
    closed_ = true;
    timeout_timer_.cancel();
    write_in_flight_ = true;
    net::async_write(stream_, http::make_chunk_last(), [self = this->shared_from_this()](beast::error_code, size_t) {
      self->write_in_flight_ = false;
      self->Close();
      beast::get_lowest_layer(self->stream_).close();
    });
  }

  static std::string UrlDecode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(s[i + 1]) && std::isxdigit(s[i + 2])) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else if (s[i] == '+') {
        out += ' ';
      } else {
        out += s[i];
      }
    }
    return out;
  }

  void ParseQuery(const std::string& q) {
    size_t start = 0;
    while (start <= q.size()) {
      size_t amp = q.find('&', start);
      std::string kv = q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      if (!kv.empty()) {
        size_t eq = kv.find('=');
        std::string k = UrlDecode(kv.substr(0, eq)), v = eq == std::string::npos ? "" : UrlDecode(kv.substr(eq + 1));
        request_.query[k] = v;
      }
      if (amp == std::string::npos) break;
      start = amp + 1;
    }
  }

  HttpServer& server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<PeerCertificate> peer_cert_;
  Request request_;
  bool keep_alive_ = true;
  std::chrono::steady_clock::time_point started_;

  // Watch state.
  std::unique_ptr<http::response<http::empty_body>> header_;
  std::unique_ptr<http::response_serializer<http::empty_body>> serializer_;
  std::deque<std::string> backlog_;
  size_t backlog_bytes_ = 0;
  std::string writing_;
  bool write_in_flight_ = false;
  bool header_sent_ = false;
  bool ending_ = false;
  std::array<char, 64> probe_{};
  net::steady_timer timeout_timer_;
  net::steady_timer bookmark_timer_;
  net::steady_timer fault_timer_;
};

// ---- server ------------------------------------------------------------------

HttpServer::HttpServer(net::io_context& io, Api& api, ServerOptions options, net::ssl::context* ssl)
    : io_(io), api_(api), options_(std::move(options)), ssl_(ssl), acceptor_(io) {
  if (options_.token_file) tokens_.emplace(*options_.token_file);
  if (options_.audit_log) audit_ = std::make_unique<AuditLog>(*options_.audit_log);
  api_.store().AddListener(this);
  if (options_.rbac) CreateBootstrapPolicy();
}

// kube-apiserver creates its default roles and bindings at start when they
// are missing (and leaves them alone when present, e.g. from --data-dir).
void HttpServer::CreateBootstrapPolicy() {
  for (const auto& b : BootstrapPolicy()) {
    Request r;
    r.method = "POST";
    r.path = "/apis/rbac.authorization.k8s.io/v1/" + b.plural;
    r.content_type = "application/json";
    r.body = b.object.dump();
    r.user = "system:apiserver";
    r.groups = {kMastersGroup};
    int code = api_.Handle(r).response.code;
    if (code != 201 && code != 409)
      spdlog::error("msg=\"cannot create a bootstrap RBAC object\" name={} code={}",
                    b.object["metadata"]["name"].get<std::string>(), code);
  }
}

Decision HttpServer::Authorize(const UserInfo& user, const RequestAttributes& request) {
  if (!policy_) {
    policy_.emplace();
    auto& store = api_.store();
    const std::string g = "rbac.authorization.k8s.io/";
    for (const auto& o : store.List(g + "clusterroles")) policy_->AddClusterRole(*o);
    for (const auto& o : store.List(g + "clusterrolebindings")) policy_->AddClusterRoleBinding(*o);
    for (const auto& o : store.List(g + "roles")) policy_->AddRole(*o);
    for (const auto& o : store.List(g + "rolebindings")) policy_->AddRoleBinding(*o);
  }
  return testapi::Authorize(*policy_, user, request);
}

HttpServer::~HttpServer() { api_.store().RemoveListener(this); }

std::optional<std::string> HttpServer::Listen() {
  beast::error_code ec;
  auto addr = net::ip::make_address(options_.host, ec);
  if (ec) return "listen address " + options_.host + ": " + ec.message();
  tcp::endpoint ep(addr, options_.port);
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return "listen on " + options_.host + ":" + std::to_string(options_.port) + ": " + ec.message();
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return std::nullopt;
}

void HttpServer::Accept() {
  acceptor_.async_accept(net::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != net::error::operation_aborted) spdlog::warn("msg=\"accept failed\" error=\"{}\"", ec.message());
      if (!acceptor_.is_open()) return;
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      if (ssl_) {
        std::make_shared<Session<TlsStream>>(*this, TlsStream(beast::tcp_stream(std::move(socket)), *ssl_))->Start();
      } else {
        std::make_shared<Session<PlainStream>>(*this, PlainStream(std::move(socket)))->Start();
      }
    }
    Accept();
  });
}

void HttpServer::Stop() {
  beast::error_code ec;
  acceptor_.close(ec);
  DropWatches();
}

void HttpServer::DropWatches() {
  auto all = std::move(watches_);
  watches_.clear();
  for (auto& [_, bucket] : all) {
    for (auto& w : bucket.unindexed) w->Drop();
    for (auto& [_, list] : bucket.by_trigger)
      for (auto& w : list) w->Drop();
  }
}

void HttpServer::AddWatch(const std::shared_ptr<WatchBase>& w) {
  auto& bucket = watches_[w->storage()];
  std::string trigger = w->Trigger();
  if (trigger.empty()) bucket.unindexed.push_back(w);
  else bucket.by_trigger[trigger].push_back(w);
}

void HttpServer::RemoveWatch(WatchBase* w) {
  auto it = watches_.find(w->storage());
  if (it == watches_.end()) return;
  auto match = [w](const auto& p) { return p.get() == w; };
  std::string trigger = w->Trigger();
  if (trigger.empty()) {
    std::erase_if(it->second.unindexed, match);
  } else if (auto t = it->second.by_trigger.find(trigger); t != it->second.by_trigger.end()) {
    std::erase_if(t->second, match);
    if (t->second.empty()) it->second.by_trigger.erase(t);
  }
}

void HttpServer::OnChange(const Change& change) {
  if (change.storage.starts_with("rbac.authorization.k8s.io/")) policy_.reset();
  auto it = watches_.find(change.storage);
  if (it == watches_.end()) return;
  // Offer may drop a slow watch, which edits the lists: collect first.
  std::vector<std::shared_ptr<WatchBase>> targets = it->second.unindexed;
  if (!it->second.by_trigger.empty()) {
    std::set<std::string> keys;
    for (const char* f : WatchBase::kTriggerFields) {
      keys.insert(std::string(f) + "=" + FieldValue(*change.object, f));
      if (change.old) keys.insert(std::string(f) + "=" + FieldValue(*change.old, f));
    }
    for (const auto& k : keys)
      if (auto t = it->second.by_trigger.find(k); t != it->second.by_trigger.end())
        targets.insert(targets.end(), t->second.begin(), t->second.end());
  }
  for (auto& w : targets) w->Offer(change);
}

std::optional<Identity> HttpServer::Authenticate(const std::string& authorization, const PeerCertificate* cert) {
  bool presented = false;
  if (cert) {
    if (!cert->verified) presented = true;
    else if (cert->identity) return cert->identity;
    // (Verified but without a CN, it names no user: kube-apiserver ignores it.)
  }
  // "Bearer <token>", the scheme in any case, read as kube-apiserver reads
  // it; another scheme, or no token after it, is no credential at all.
  std::string_view auth = authorization;
  while (!auth.empty() && auth.front() == ' ') auth.remove_prefix(1);
  if (auth.size() > 7 && strncasecmp(auth.data(), "bearer ", 7) == 0) {
    std::string token(auth.substr(7, auth.find(' ', 7) - 7));
    if (!token.empty()) {
      if (tokens_) {
        if (auto id = tokens_->Lookup(token)) return id;
      }
      presented = true;
    }
  }
  if (presented) return std::nullopt;
  if (!ssl_) return Identity{"system:admin", {"system:masters"}};  // plain HTTP: the insecure port
  if (!options_.anonymous_auth) return std::nullopt;
  return Identity{kAnonymousUser, {kUnauthenticatedGroup}};
}

int HttpServer::RollFault() {
  if (faults_.error_rate <= 0) return 0;
  std::uniform_real_distribution<double> d(0, 1);
  return d(rng_) < faults_.error_rate ? faults_.error_code : 0;
}

void HttpServer::ScheduleUpkeep() {
  if (upkeep_scheduled_ || !api_.HasUpkeep()) return;
  upkeep_scheduled_ = true;
  net::post(io_, [this] {
    upkeep_scheduled_ = false;
    // Bounded: work that re-queues itself waits for the next request.
    for (int i = 0; i < 16 && api_.RunUpkeep(); ++i) {
    }
    if (api_.HasUpkeep()) ScheduleUpkeep();
  });
}

}  // namespace testapi
