#include "bench/control_channel.h"

namespace bench {

namespace {
constexpr size_t kMaxLine = 1 << 20;
}

Status ControlChannel::Send(const nlohmann::json& message) {
  std::string line = message.dump() + "\n";
  return connection_->Send(line.data(), line.size()).Wrap("control channel");
}

Result<nlohmann::json> ControlChannel::Receive() {
  size_t newline;
  while ((newline = buffer_.find('\n')) == std::string::npos) {
    if (buffer_.size() > kMaxLine) return Status::Error("control channel: message longer than 1 MiB");
    char chunk[4096];
    Result<size_t> n = connection_->ReceiveSome(chunk, sizeof chunk);
    if (!n.ok()) return n.status().Wrap("control channel");
    if (n.value() == 0) return Status::Error("control channel: peer closed the connection");
    buffer_.append(chunk, n.value());
  }
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  nlohmann::json message = nlohmann::json::parse(line, nullptr, false);
  if (message.is_discarded() || !message.is_object() || !message.contains("type") || !message["type"].is_string()) {
    return Status::Error("control channel: peer sent something that is not an rdma-bench message: " +
                         line.substr(0, 80));
  }
  return message;
}

Result<nlohmann::json> ControlChannel::Expect(const std::string& type) {
  Result<nlohmann::json> message = Receive();
  if (!message.ok()) return message;
  const std::string got = message.value()["type"].get<std::string>();
  if (got == "error") return Status::Error("peer reported: " + message.value().value("message", std::string("?")));
  if (got != type) return Status::Error("control channel: expected \"" + type + "\" message, got \"" + got + "\"");
  return message;
}

}  // namespace bench
