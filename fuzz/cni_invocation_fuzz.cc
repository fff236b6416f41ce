// A CNI call as rdma-cni reads it (agent/cni/protocol.h): the input is
// NAME=VALUE lines for the environment, a blank line, then stdin. Any input
// gives an Invocation or a CniError, never an exception or a crash; and what
// the shim would send the agent decodes on the agent's side to the same call
// (wire.h), so the two never disagree about a request. The input read as an
// agent's reply must decode or give code 100, and every error prints as JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "agent/cni/protocol.h"
#include "agent/cni/wire.h"

namespace {

void CheckErrorPrints(const cni::CniError& error) {
  auto out = nlohmann::json::parse(cni::ErrorJson(error, "1.1.0"), nullptr, false);
  if (!out.is_object() || out["code"] != error.code) std::abort();
}

void CheckRoundTrip(const cni::Invocation& sent) {
  auto got = cni::DecodeRequest(cni::EncodeRequest(sent));
  if (!got.ok()) std::abort();  // the agent would refuse what the shim accepted
  const cni::Invocation& g = got.value();
  if (g.command != sent.command || g.container_id != sent.container_id || g.netns != sent.netns ||
      g.ifname != sent.ifname || g.args != sent.args || g.cni_args != sent.cni_args || g.path != sent.path ||
      g.config != sent.config || g.cni_version != sent.cni_version || g.device_id != sent.device_id ||
      g.prev_result != sent.prev_result || g.agent_socket != sent.agent_socket ||
      g.agent_timeout != sent.agent_timeout) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  cni::Environment env;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;  // stdin follows
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
  }
  std::string_view stdin_text = pos < input.size() ? input.substr(pos) : std::string_view();

  auto inv = cni::ParseInvocation(env, stdin_text);
  if (!inv.ok()) {
    CheckErrorPrints(inv.error());
  } else if (inv->command == cni::Command::kVersion) {
    if (!nlohmann::json::parse(cni::VersionJson(inv->cni_version), nullptr, false).is_object()) std::abort();
  } else {
    CheckRoundTrip(inv.value());
  }
  (void)cni::AnswerVersion(stdin_text);

  auto reply = cni::DecodeReply(stdin_text);
  if (!reply.ok()) {
    if (reply.error().code != cni::kBadAgentReply) std::abort();
    CheckErrorPrints(reply.error());
  } else if (reply->error) {
    CheckErrorPrints(*reply->error);
  }
  auto request = cni::DecodeRequest(stdin_text);
  if (!request.ok()) CheckErrorPrints(request.error());
  return 0;
}
