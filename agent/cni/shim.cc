#include "agent/cni/shim.h"

#include "agent/cni/agent_client.h"
#include "agent/cni/wire.h"

namespace cni {

namespace {

ShimOutput Failure(const CniError& error, std::string_view cni_version) {
  return ShimOutput{ErrorJson(error, cni_version) + "\n", 1};
}

}  // namespace

ShimOutput RunShim(const Environment& env, std::string_view stdin_text) {
  auto inv = ParseInvocation(env, stdin_text);
  if (!inv.ok()) return Failure(inv.error(), AnswerVersion(stdin_text));
  if (inv->command == Command::kVersion) return ShimOutput{VersionJson(inv->cni_version) + "\n", 0};

  auto raw = CallAgent(inv->agent_socket, EncodeRequest(inv.value()), inv->agent_timeout);
  if (!raw.ok()) return Failure(raw.error(), inv->cni_version);
  auto reply = DecodeReply(raw.value());
  if (!reply.ok()) return Failure(reply.error(), inv->cni_version);
  if (reply->error) return Failure(*reply->error, inv->cni_version);
  if (inv->command != Command::kAdd) return ShimOutput{"", 0};
  if (!reply->result.is_object()) {
    return Failure(CniError{kBadAgentReply, "rdma-agent answered ADD without a result", ""}, inv->cni_version);
  }
  return ShimOutput{reply->result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0};
}

}  // namespace cni
