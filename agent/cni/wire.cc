#include "agent/cni/wire.h"

#include <array>

namespace cni {

namespace {

using nlohmann::json;

// JSON field -> CNI_* variable.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kEnvFields = {{
    {"command", "CNI_COMMAND"},
    {"containerID", "CNI_CONTAINERID"},
    {"netns", "CNI_NETNS"},
    {"ifName", "CNI_IFNAME"},
    {"args", "CNI_ARGS"},
    {"path", "CNI_PATH"},
}};

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

CniError BadReply(const std::string& why, std::string_view text) {
  std::string excerpt(text.substr(0, 200));
  return CniError{kBadAgentReply, "rdma-agent's reply cannot be read: " + why,
                  "reply began: " + excerpt + " (are rdma-cni and rdma-agent the same release?)"};
}

}  // namespace

std::string EncodeRequest(const Invocation& inv) {
  json out;
  out["command"] = std::string(CommandName(inv.command));
  out["containerID"] = inv.container_id;
  out["netns"] = inv.netns;
  out["ifName"] = inv.ifname;
  out["args"] = inv.args;
  out["path"] = inv.path;
  out["config"] = inv.config;
  return Dump(out);
}

Result<Invocation> DecodeRequest(std::string_view text) {
  json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object()) {
    return CniError{kDecodeFailure, "the request to rdma-agent is not a JSON object", ""};
  }
  Environment env;
  for (const auto& [field, variable] : kEnvFields) {
    auto it = in.find(field);
    if (it == in.end() || it->is_null()) continue;
    if (!it->is_string()) {
      return CniError{kDecodeFailure, "request field " + std::string(field) + " must be a string", ""};
    }
    env[std::string(variable)] = it->get<std::string>();
  }
  auto config = in.find("config");
  return ParseInvocationJson(env, config == in.end() ? json() : *config);
}

std::string EncodeResult(const json& result) { return Dump(json{{"result", result}}); }

std::string EncodeError(const CniError& error) {
  return Dump(json{{"error", {{"code", error.code}, {"msg", error.msg}, {"details", error.details}}}});
}

Result<AgentReply> DecodeReply(std::string_view text) {
  json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) return BadReply("not JSON", text);
  if (!in.is_object()) return BadReply("not a JSON object", text);
  bool has_error = in.contains("error"), has_result = in.contains("result");
  if (has_error == has_result) return BadReply("it must hold exactly one of \"result\" and \"error\"", text);
  AgentReply reply;
  if (has_result) {
    reply.result = in["result"];
    if (!reply.result.is_null() && !reply.result.is_object()) return BadReply("\"result\" is not an object", text);
    return reply;
  }
  const json& e = in["error"];
  if (!e.is_object()) return BadReply("\"error\" is not an object", text);
  auto code = e.find("code");
  if (code == e.end() || !code->is_number_integer() || code->get<int64_t>() <= 0 ||
      code->get<int64_t>() > 1000000) {
    return BadReply("\"error.code\" is not a positive integer", text);
  }
  CniError error{static_cast<int>(code->get<int64_t>()), "", ""};
  for (auto [key, out] : {std::pair{"msg", &error.msg}, std::pair{"details", &error.details}}) {
    auto it = e.find(key);
    if (it == e.end() || it->is_null()) continue;
    if (!it->is_string()) return BadReply(std::string("\"error.") + key + "\" is not a string", text);
    *out = it->get<std::string>();
  }
  reply.error = std::move(error);
  return reply;
}

}  // namespace cni
