// The shim's side of the agent socket (wire.h): connect, send one request,
// read the reply to EOF, all within one deadline. The only I/O in agent/cni.
#pragma once

#include <chrono>
#include <string>

#include "agent/cni/protocol.h"

namespace cni {

// Sends request to the unix socket at socket_path and returns the agent's raw
// reply. When the agent is not there (no socket, connection refused, backlog
// full), closes without answering, or does not answer within timeout, the
// error has code kTryAgainLater and a msg naming socket_path; other socket
// failures (e.g. permission denied) have code kIoFailure.
Result<std::string> CallAgent(const std::string& socket_path, const std::string& request,
                              std::chrono::milliseconds timeout);

}  // namespace cni
