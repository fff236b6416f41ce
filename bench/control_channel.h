// The client and server agree on each measurement and exchange the server's
// figures over one TCP connection, one JSON object per line:
//   client: {"type":"hello","schema":"rdma-bench-control/1","transport":..,"rdma_op":..}
//   server: {"type":"hello","host":..}                or {"type":"error",..}
//   client: {"type":"run","test":..,"params":{..}}   server: {"type":"listening"}
//   client: {"type":"finish"}                       server: {"type":"result",..}
//   client: {"type":"bye"}
// Either side may send {"type":"error","message":..} instead of an answer.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/status.h"
#include "bench/transport.h"

namespace bench {

// Carried in both hellos; a different value means incompatible peers.
inline constexpr const char* kControlProtocol = "rdma-bench-control/1";

class ControlChannel {
 public:
  explicit ControlChannel(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}

  Status Send(const nlohmann::json& message);
  // Next message, whatever its type; an error when the peer closed, went
  // silent or sent something that is not a JSON object.
  Result<nlohmann::json> Receive();
  // Next message, which must have the given type. A peer "error" message
  // becomes an error Status carrying the peer's text.
  Result<nlohmann::json> Expect(const std::string& type);
  Status Close() { return connection_->Close(); }

 private:
  std::unique_ptr<Connection> connection_;
  std::string buffer_;  // received bytes not yet consumed as a line
};

}  // namespace bench
