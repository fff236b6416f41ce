#include "kube/health_server.h"

#include <sys/socket.h>

#include <boost/asio.hpp>
#include <spdlog/spdlog.h>

namespace kube {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HealthServer::Impl {
  asio::io_context io;
  std::unique_ptr<tcp::acceptor> acceptor;
};

HealthServer::HealthServer(MetricsRegistry* metrics) : metrics_(metrics), impl_(std::make_unique<Impl>()) {}

HealthServer::~HealthServer() { Stop(); }

void HealthServer::AddHealthCheck(const std::string& name, Check c) {
  std::lock_guard<std::mutex> lock(mu_);
  health_.emplace_back(name, std::move(c));
}

void HealthServer::AddReadyCheck(const std::string& name, Check c) {
  std::lock_guard<std::mutex> lock(mu_);
  ready_.emplace_back(name, std::move(c));
}

std::pair<int, std::string> HealthServer::Handle(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  bool verbose = target.find("verbose") != std::string::npos;
  if (path == "/metrics") return {200, metrics_ ? metrics_->Render() : ""};
  if (path != "/healthz" && path != "/readyz" && path != "/livez") return {404, "404 page not found\n"};
  std::vector<std::pair<std::string, Check>> checks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checks = path == "/readyz" ? ready_ : health_;
  }
  bool ok = true;
  std::string detail;
  for (const auto& [name, check] : checks) {
    std::string err = check();
    if (!err.empty()) ok = false;
    detail += err.empty() ? "[+]" + name + " ok\n" : "[-]" + name + " failed: " + err + "\n";
  }
  if (ok) return {200, verbose ? detail + path.substr(1) + " check passed\n" : "ok"};
  return {500, detail + path.substr(1) + " check failed\n"};
}

Status HealthServer::Start(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) return ApiError::Transport("listen on " + address, "expected host:port");
  std::string host = address.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  try {
    tcp::endpoint ep(asio::ip::make_address(host), static_cast<uint16_t>(std::stoi(address.substr(colon + 1))));
    impl_->acceptor = std::make_unique<tcp::acceptor>(impl_->io, ep);
    port_ = impl_->acceptor->local_endpoint().port();
  } catch (const std::exception& ex) {
    return ApiError::Transport("listen on " + address, ex.what());
  }
  thread_ = std::thread([this] {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(impl_->io);
      impl_->acceptor->accept(s, ec);
      if (ec) {
        if (!impl_->acceptor->is_open() || ec == asio::error::invalid_argument || ec == asio::error::bad_descriptor)
          return;
        continue;
      }
      // Bound each request so a stuck client cannot block probes for long.
      struct timeval tv{5, 0};
      setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      asio::streambuf buf;
      asio::read_until(s, buf, "\r\n\r\n", ec);
      if (ec) continue;
      std::istream in(&buf);
      std::string method, target;
      in >> method >> target;
      auto [code, body] = method == "GET" ? Handle(target) : std::pair<int, std::string>{405, "method not allowed\n"};
      std::string ctype = target.rfind("/metrics", 0) == 0 ? "text/plain; version=0.0.4" : "text/plain";
      std::string resp = "HTTP/1.1 " + std::to_string(code) + (code == 200 ? " OK" : " Error") +
                         "\r\nContent-Type: " + ctype + "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
      asio::write(s, asio::buffer(resp), ec);
      s.shutdown(tcp::socket::shutdown_both, ec);
    }
  });
  spdlog::info("kube: serving /metrics /healthz /readyz address={}:{}", host, port_);
  return {};
}

void HealthServer::Stop() {
  if (!thread_.joinable()) return;
  ::shutdown(impl_->acceptor->native_handle(), SHUT_RDWR);  // wakes accept()
  thread_.join();
  boost::system::error_code ec;
  impl_->acceptor->close(ec);
}

}  // namespace kube
