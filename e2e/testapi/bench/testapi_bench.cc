// testapi-bench: load on kube-testapi the way a cluster loads an API server.
//
// N "kubelets" each watch the pods of their own node (fieldSelector
// spec.nodeName), G "controllers" watch every pod, and W writers patch pod
// status as fast as the server answers. Prints write throughput, write
// latency (p50/p90/p99/max) and whether every watcher saw every event.
//
//   testapi-bench --server http://127.0.0.1:PORT [--watches 1000] [--global-watches 10]
//                 [--writers 16] [--seconds 10]
#include <utility>  // before Boost 1.74 asio

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  std::string port;
  int watches = 1000;
  int global_watches = 10;
  int writers = 16;
  int seconds = 10;
};

const char kNs[] = "testapi-bench";

// A blocking request on its own connection, for setup.
json Call(const Options& o, http::verb verb, const std::string& target, const json& body, int* code = nullptr) {
  net::io_context io;
  beast::tcp_stream s(io);
  s.connect(tcp::resolver(io).resolve(o.host, o.port));
  http::request<http::string_body> req(verb, target, 11);
  req.set(http::field::host, o.host);
  req.set(http::field::content_type, verb == http::verb::patch ? "application/merge-patch+json" : "application/json");
  if (!body.is_null()) req.body() = body.dump();
  req.prepare_payload();
  http::write(s, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(s, buf, res);
  if (code) *code = res.result_int();
  return json::parse(res.body(), nullptr, false);
}

// Counts the MODIFIED events arriving on one watch connection.
class Watcher : public std::enable_shared_from_this<Watcher> {
 public:
  Watcher(net::io_context& io, std::string request) : socket_(io), request_(std::move(request)) {}
  void Start(const tcp::endpoint& ep) {
    socket_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->Fail(ec);
      net::async_write(self->socket_, net::buffer(self->request_),
                       [self](beast::error_code ec, size_t) { ec ? self->Fail(ec) : self->Read(); });
    });
  }
  long events() const { return events_; }
  bool failed() const { return failed_; }
  void Close() {
    beast::error_code ec;
    socket_.close(ec);
  }

 private:
  void Read() {
    socket_.async_read_some(net::buffer(buf_), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return;
      // Events may be split across reads: keep a tail to find markers across the seam.
      std::string data = self->tail_ + std::string(self->buf_.data(), n);
      static const std::string kMarker = "\"type\":\"MODIFIED\"";
      for (size_t p = data.find(kMarker); p != std::string::npos; p = data.find(kMarker, p + 1)) ++self->events_;
      size_t keep = std::min(data.size(), kMarker.size() - 1);
      self->tail_ = data.substr(data.size() - keep);
      self->Read();
    });
  }
  void Fail(beast::error_code ec) {
    failed_ = true;
    std::fprintf(stderr, "watch failed: %s\n", ec.message().c_str());
  }
  tcp::socket socket_;
  std::string request_;
  std::array<char, 16384> buf_{};
  std::string tail_;
  long events_ = 0;
  bool failed_ = false;
};

// Patches pod status in a loop on one keep-alive connection.
class Writer : public std::enable_shared_from_this<Writer> {
 public:
  Writer(net::io_context& io, const Options& o, int id, Clock::time_point deadline, std::vector<double>* latencies_ms)
      : stream_(io), o_(o), id_(id), deadline_(deadline), latencies_(latencies_ms) {}
  void Start(const tcp::endpoint& ep) {
    stream_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Next();
    });
  }
  long writes() const { return writes_; }
  long errors() const { return errors_; }

 private:
  void Next() {
    if (Clock::now() >= deadline_) return;
    int node = static_cast<int>((id_ + writes_ * o_.writers) % o_.watches);
    req_ = {};
    req_.method(http::verb::patch);
    req_.target("/api/v1/namespaces/" + std::string(kNs) + "/pods/pod-" + std::to_string(node) + "/status");
    req_.version(11);
    req_.set(http::field::host, o_.host);
    req_.set(http::field::content_type, "application/merge-patch+json");
    req_.body() = json{{"status", {{"message", "w" + std::to_string(id_) + "-" + std::to_string(writes_)}}}}.dump();
    req_.prepare_payload();
    sent_ = Clock::now();
    http::async_write(stream_, req_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return;
      self->res_ = {};
      http::async_read(self->stream_, self->buf_, self->res_, [self](beast::error_code ec, size_t) {
        if (ec) return;
        self->latencies_->push_back(std::chrono::duration<double, std::milli>(Clock::now() - self->sent_).count());
        if (self->res_.result_int() == 200) ++self->writes_;
        else ++self->errors_;
        self->Next();
      });
    });
  }
  beast::tcp_stream stream_;
  const Options& o_;
  int id_;
  Clock::time_point deadline_;
  std::vector<double>* latencies_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
  beast::flat_buffer buf_;
  Clock::time_point sent_;
  long writes_ = 0;
  long errors_ = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--server") {
      std::string url = next();
      auto p = url.find("://");
      if (url.substr(0, p) != "http") {
        std::fprintf(stderr, "--server must be an http:// URL (run kube-testapi without --tls)\n");
        return 2;
      }
      std::string hp = url.substr(p + 3);
      o.host = hp.substr(0, hp.rfind(':'));
      o.port = hp.substr(hp.rfind(':') + 1);
    } else if (a == "--watches") o.watches = std::stoi(next());
    else if (a == "--global-watches") o.global_watches = std::stoi(next());
    else if (a == "--writers") o.writers = std::stoi(next());
    else if (a == "--seconds") o.seconds = std::stoi(next());
    else {
      std::fprintf(stderr,
                   "usage: testapi-bench --server http://HOST:PORT [--watches N] [--global-watches G] "
                   "[--writers W] [--seconds S]\n");
      return 2;
    }
  }
  if (o.port.empty()) {
    std::fprintf(stderr, "--server is required\n");
    return 2;
  }

  // Setup: a namespace and one pod per node.
  int code = 0;
  Call(o, http::verb::post, "/api/v1/namespaces", {{"metadata", {{"name", kNs}}}}, &code);
  for (int i = 0; i < o.watches; ++i)
    Call(o, http::verb::post, std::string("/api/v1/namespaces/") + kNs + "/pods",
         {{"metadata", {{"name", "pod-" + std::to_string(i)}}},
          {"spec", {{"nodeName", "node-" + std::to_string(i)}, {"containers", {{{"name", "c"}, {"image", "x"}}}}}}});
  json list = Call(o, http::verb::get, std::string("/api/v1/namespaces/") + kNs + "/pods?limit=1", nullptr);
  std::string rv = list["metadata"]["resourceVersion"];

  net::io_context io(1);
  tcp::endpoint ep = *tcp::resolver(io).resolve(o.host, o.port).begin();
  std::vector<std::shared_ptr<Watcher>> node_watchers, global_watchers;
  for (int i = 0; i < o.watches; ++i) {
    std::string req = "GET /api/v1/namespaces/" + std::string(kNs) +
                      "/pods?watch=true&resourceVersion=" + rv + "&fieldSelector=spec.nodeName%3Dnode-" +
                      std::to_string(i) + " HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
    node_watchers.push_back(std::make_shared<Watcher>(io, req));
    node_watchers.back()->Start(ep);
  }
  for (int i = 0; i < o.global_watches; ++i) {
    std::string req = "GET /api/v1/pods?watch=true&resourceVersion=" + rv + " HTTP/1.1\r\nHost: " + o.host + "\r\n\r\n";
    global_watchers.push_back(std::make_shared<Watcher>(io, req));
    global_watchers.back()->Start(ep);
  }
  // Let every watch be established before writing (bounded by the watch count).
  io.run_for(std::chrono::milliseconds(500 + o.watches));

  std::vector<double> latencies;
  auto start = Clock::now();
  auto deadline = start + std::chrono::seconds(o.seconds);
  std::vector<std::shared_ptr<Writer>> writers;
  for (int i = 0; i < o.writers; ++i) {
    writers.push_back(std::make_shared<Writer>(io, o, i, deadline, &latencies));
    writers.back()->Start(ep);
  }
  while (Clock::now() < deadline + std::chrono::seconds(1)) io.run_for(std::chrono::milliseconds(100));
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), deadline) - start).count();
  long writes = 0, errors = 0;
  for (auto& w : writers) {
    writes += w->writes();
    errors += w->errors();
  }
  // Drain: wait until every watcher has seen its events, at most 10 s.
  auto expected_node = writes, expected_global = writes * o.global_watches;
  auto drain_deadline = Clock::now() + std::chrono::seconds(10);
  long got_node = 0, got_global = 0;
  while (Clock::now() < drain_deadline) {
    io.run_for(std::chrono::milliseconds(100));
    got_node = got_global = 0;
    for (auto& w : node_watchers) got_node += w->events();
    for (auto& w : global_watchers) got_global += w->events();
    if (got_node >= expected_node && got_global >= expected_global) break;
  }
  int failed = 0;
  for (auto& w : node_watchers) failed += w->failed();
  for (auto& w : global_watchers) failed += w->failed();
  for (auto& w : node_watchers) w->Close();
  for (auto& w : global_watchers) w->Close();
  Call(o, http::verb::delete_, std::string("/api/v1/namespaces/") + kNs, nullptr);

  std::printf("kube-testapi under load: %d node watches + %d all-pod watches, %d writers, %d s\n", o.watches,
              o.global_watches, o.writers, o.seconds);
  std::printf("  open watches           %d (failed to open: %d)\n", o.watches + o.global_watches, failed);
  std::printf("  writes                 %ld ok, %ld errors\n", writes, errors);
  std::printf("  write throughput       %.0f writes/s\n", writes / elapsed);
  std::printf("  write latency (ms)     p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", Percentile(latencies, 50),
              Percentile(latencies, 90), Percentile(latencies, 99), Percentile(latencies, 100));
  std::printf("  events delivered       node watches %ld/%ld, all-pod watches %ld/%ld\n", got_node, expected_node,
              got_global, expected_global);
  bool complete = got_node == expected_node && got_global == expected_global && failed == 0;
  std::printf("  every event delivered  %s\n", complete ? "yes" : "NO");
  return complete ? 0 : 1;
}
