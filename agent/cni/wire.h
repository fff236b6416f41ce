// The shim's wire format to rdma-agent: one JSON request per connection over
// a unix stream socket, then one JSON reply, then the agent closes.
//
//   request: {"command","containerID","netns","ifName","args","path",
//             "config": <the stdin config, unchanged>}
//   reply:   {"result": <CNI result, or null>} or
//            {"error": {"code": N, "msg": "...", "details": "..."}}
//
// The shim half-closes its side after the request, so the agent reads to
// EOF; the reply ends at EOF too. Pure encode/decode, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/cni/protocol.h"

namespace cni {

// Replies longer than this are refused (a runaway agent must not make the
// shim eat the node's memory).
inline constexpr size_t kMaxReplyBytes = 4 << 20;

std::string EncodeRequest(const Invocation& invocation);

// The agent's side: the request back into an Invocation, validated exactly as
// the shim validated it (so an agent never trusts a caller that skipped the
// shim). Not JSON or wrong field types: code 6.
Result<Invocation> DecodeRequest(std::string_view text);

// What the agent answered: an error, or a result (null for DEL, CHECK,
// STATUS and GC, whose success has no output).
struct AgentReply {
  std::optional<CniError> error;
  nlohmann::json result;
};

std::string EncodeResult(const nlohmann::json& result);
std::string EncodeError(const CniError& error);

// The shim's side. Anything but one of the two reply shapes, or an error
// whose code is not a positive integer: code kBadAgentReply.
Result<AgentReply> DecodeReply(std::string_view text);

}  // namespace cni
