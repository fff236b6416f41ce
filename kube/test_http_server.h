// A tiny HTTP/1.1 server for unit tests of the HTTP transport: each
// connection is handled by the test's handler on its own thread and closed
// after the response, unless the handler answered with RespondKeepAlive; so
// tests can answer with anything (Status bodies, Retry-After, chunked watch
// streams written one event at a time, kept connections).
// Header-only and used only by *_test.cc.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>

namespace kube::testing {

struct TestRequest {
  std::string method, target, body;
  std::map<std::string, std::string> headers;  // lower-case names
};

class TestConnection {
 public:
  explicit TestConnection(boost::asio::ip::tcp::socket s) : sock_(std::move(s)) {}
  bool Write(const std::string& data) {
    boost::system::error_code ec;
    boost::asio::write(sock_, boost::asio::buffer(data), ec);
    return !ec;
  }
  // Answers and closes the connection after the handler returns.
  void Respond(int status, const std::string& body, const std::string& extra_headers = "") {
    Write(Head(status, body, extra_headers) + "Connection: close\r\n\r\n" + body);
  }
  // Answers and keeps the connection for the next request.
  void RespondKeepAlive(int status, const std::string& body) {
    Write(Head(status, body, "") + "\r\n" + body);
    keep_open_ = true;
  }
  // Closes the connection after the handler returns, even after
  // RespondKeepAlive (a server dropping an idle connection).
  void Close() { keep_open_ = false; }
  // Whether the handler asked to keep the connection; resets the request.
  bool TakeKeepOpen() { return std::exchange(keep_open_, false); }
  void StartChunked() {
    Write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
          "Connection: close\r\n\r\n");
  }
  bool Chunk(const std::string& data) {
    char len[32];
    std::snprintf(len, sizeof(len), "%zx\r\n", data.size());
    return Write(len + data + "\r\n");
  }
  void EndChunked() { Write("0\r\n\r\n"); }
  boost::asio::ip::tcp::socket& socket() { return sock_; }

 private:
  static std::string Head(int status, const std::string& body, const std::string& extra_headers) {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + extra_headers;
  }

  boost::asio::ip::tcp::socket sock_;
  bool keep_open_ = false;
};

class TestHttpServer {
 public:
  using Handler = std::function<void(const TestRequest&, TestConnection&)>;
  explicit TestHttpServer(Handler h)
      : handler_(std::move(h)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~TestHttpServer() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes accept()
    accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& t : conn_threads_) t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // TCP connections accepted so far.
  int connections() const { return connections_.load(); }

 private:
  void AcceptLoop() {
    for (;;) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec) return;
      connections_++;
      std::lock_guard<std::mutex> lock(mu_);
      conn_threads_.emplace_back([this, sock = std::make_shared<boost::asio::ip::tcp::socket>(std::move(s))]() mutable {
        TestConnection conn(std::move(*sock));
        TestRequest req;
        while (ReadRequest(conn.socket(), &req)) {
          handler_(req, conn);
          if (!conn.TakeKeepOpen()) break;
          req = TestRequest{};
        }
        boost::system::error_code ignored;
        conn.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
      });
    }
  }
  static bool ReadRequest(boost::asio::ip::tcp::socket& s, TestRequest* req) {
    boost::asio::streambuf buf;
    boost::system::error_code ec;
    size_t n = boost::asio::read_until(s, buf, "\r\n\r\n", ec);
    if (ec) return false;
    std::string head(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_begin(buf.data()) + n);
    buf.consume(n);
    size_t eol = head.find("\r\n");
    std::string first = head.substr(0, eol);
    auto sp1 = first.find(' ');
    auto sp2 = first.find(' ', sp1 + 1);
    req->method = first.substr(0, sp1);
    req->target = first.substr(sp1 + 1, sp2 - sp1 - 1);
    size_t pos = eol + 2;
    while (pos < head.size()) {
      size_t e = head.find("\r\n", pos);
      if (e == std::string::npos || e == pos) break;
      std::string line = head.substr(pos, e - pos);
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string k = line.substr(0, colon);
        for (auto& c : k) c = static_cast<char>(std::tolower(c));
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v[0] == ' ') v.erase(0, 1);
        req->headers[k] = v;
      }
      pos = e + 2;
    }
    size_t len = req->headers.count("content-length") ? std::stoul(req->headers["content-length"]) : 0;
    std::string body(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
    if (body.size() < len) {
      std::string rest(len - body.size(), '\0');
      boost::asio::read(s, boost::asio::buffer(rest), ec);
      body += rest;
    }
    req->body = body;
    return true;
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::mutex mu_;  // guards conn_threads_
  std::vector<std::thread> conn_threads_;
};

}  // namespace kube::testing
