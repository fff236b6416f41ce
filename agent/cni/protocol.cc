#include "agent/cni/protocol.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

namespace cni {

namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Command>, 6> kCommands = {{
    {"ADD", Command::kAdd},
    {"DEL", Command::kDel},
    {"CHECK", Command::kCheck},
    {"STATUS", Command::kStatus},
    {"GC", Command::kGc},
    {"VERSION", Command::kVersion},
}};

CniError Error(int code, std::string msg, std::string details = "") {
  return CniError{code, std::move(msg), std::move(details)};
}

std::string Get(const Environment& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

// Index in kSupportedVersions, or -1.
int VersionIndex(std::string_view version) {
  auto it = std::find(kSupportedVersions.begin(), kSupportedVersions.end(), version);
  return it == kSupportedVersions.end() ? -1 : static_cast<int>(it - kSupportedVersions.begin());
}

std::string SupportedList() {
  std::string out;
  for (auto v : kSupportedVersions) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The spec's rule for container IDs and network names: an alphanumeric
// first character, then alphanumerics, '_', '.' or '-'.
bool IsSpecIdentifier(std::string_view s) {
  if (s.empty() || !IsAlnum(s[0])) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '_' || c == '.' || c == '-'; });
}

// Why an interface name cannot be a Linux netdev name, or "" if it can.
std::string InterfaceNameProblem(std::string_view name) {
  if (name.size() > 15) return "longer than 15 characters";
  if (name == "." || name == "..") return "'.' and '..' are not allowed";
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) return "contains '/', ':' or whitespace";
  }
  return "";
}

// The wire format to the agent is JSON, which carries only UTF-8; a value
// that is not would reach the agent changed.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += len;
  }
  return true;
}

struct Required {
  bool container_id = false, netns = false, ifname = false, path = false;
};

// Which variables the spec requires per command ("Parameters").
Required RequiredFor(Command command) {
  switch (command) {
    case Command::kAdd:
    case Command::kCheck:
      return {true, true, true, false};
    case Command::kDel:
      return {true, false, true, false};
    case Command::kGc:
      return {false, false, false, true};
    case Command::kStatus:
    case Command::kVersion:
      break;
  }
  return {};
}

std::optional<CniError> MissingVariable(std::string_view name, Command command) {
  return Error(kInvalidEnvironment, std::string(name) + " is not set",
               std::string(name) + " is required for CNI_COMMAND=" + std::string(CommandName(command)) +
                   "; the container runtime must set it");
}

// Splits CNI_ARGS ("K=V;K2=V2"); empty entries are skipped, an entry without
// '=' is an error.
Result<std::vector<std::pair<std::string, std::string>>> SplitCniArgs(const std::string& raw) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t end = raw.find(';', start);
    if (end == std::string::npos) end = raw.size();
    std::string entry = raw.substr(start, end - start);
    start = end + 1;
    if (entry.empty()) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Error(kInvalidEnvironment, "CNI_ARGS entry \"" + entry + "\" is not KEY=VALUE",
                   "CNI_ARGS must be KEY=VALUE pairs separated by ';'");
    }
    out.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

// Reads the CNI_* variables into inv; checks what the command requires.
std::optional<CniError> ReadEnvironment(const Environment& env, Invocation& inv) {
  inv.container_id = Get(env, "CNI_CONTAINERID");
  inv.netns = Get(env, "CNI_NETNS");
  inv.ifname = Get(env, "CNI_IFNAME");
  inv.args = Get(env, "CNI_ARGS");
  inv.path = Get(env, "CNI_PATH");
  for (auto [name, value] : {std::pair{"CNI_CONTAINERID", &inv.container_id}, std::pair{"CNI_NETNS", &inv.netns},
                             std::pair{"CNI_IFNAME", &inv.ifname}, std::pair{"CNI_ARGS", &inv.args},
                             std::pair{"CNI_PATH", &inv.path}}) {
    if (!IsValidUtf8(*value)) {
      return Error(kInvalidEnvironment, std::string(name) + " is not valid UTF-8",
                   "rdma-cni forwards the CNI variables to rdma-agent as JSON, which carries only UTF-8");
    }
  }

  Required req = RequiredFor(inv.command);
  if (req.container_id) {
    if (inv.container_id.empty()) return MissingVariable("CNI_CONTAINERID", inv.command);
    if (!IsSpecIdentifier(inv.container_id)) {
      return Error(kInvalidEnvironment, "CNI_CONTAINERID \"" + inv.container_id + "\" is not a valid container ID",
                   "it must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
    }
  }
  if (req.netns) {
    if (inv.netns.empty()) return MissingVariable("CNI_NETNS", inv.command);
    if (inv.netns[0] != '/') {
      return Error(kInvalidEnvironment, "CNI_NETNS \"" + inv.netns + "\" is not an absolute path",
                   "CNI_NETNS must name the pod's network namespace, e.g. /run/netns/<name>");
    }
  }
  if (req.ifname) {
    if (inv.ifname.empty()) return MissingVariable("CNI_IFNAME", inv.command);
    std::string problem = InterfaceNameProblem(inv.ifname);
    if (!problem.empty()) {
      return Error(kInvalidEnvironment, "CNI_IFNAME \"" + inv.ifname + "\" is not a valid interface name: " + problem,
                   "set the interface name in the pod's network selection (\"interface\") to a Linux netdev name");
    }
  }
  if (req.path && inv.path.empty()) return MissingVariable("CNI_PATH", inv.command);

  auto args = SplitCniArgs(inv.args);
  if (!args.ok()) return args.error();
  inv.cni_args = std::move(args).value();
  return std::nullopt;
}

// The config's cniVersion, checked against what we support and what the
// command needs.
std::optional<CniError> ReadVersion(const json& config, Invocation& inv) {
  auto it = config.find("cniVersion");
  if (it != config.end() && !it->is_string()) {
    return Error(kInvalidConfig, "cniVersion must be a string, got " + it->dump());
  }
  inv.cni_version = it == config.end() ? "" : it->get<std::string>();
  int index = VersionIndex(inv.cni_version);
  if (index < 0) {
    return Error(kIncompatibleVersion, "cniVersion \"" + inv.cni_version + "\" is not supported by rdma-cni",
                 "set cniVersion in the network's config to one of " + SupportedList());
  }
  int needed = -1;  // index of the oldest version that has the command
  if (inv.command == Command::kCheck) needed = VersionIndex("0.4.0");
  if (inv.command == Command::kStatus || inv.command == Command::kGc) needed = VersionIndex("1.1.0");
  if (index < needed) {
    return Error(kIncompatibleVersion,
                 std::string(CommandName(inv.command)) + " is not part of CNI " + inv.cni_version,
                 std::string(CommandName(inv.command)) + " needs cniVersion " +
                     std::string(kSupportedVersions[static_cast<size_t>(needed)]) + " or later");
  }
  return std::nullopt;
}

// A string member, or "" when absent; an error names the field otherwise.
std::optional<CniError> ReadString(const json& object, const std::string& key, const std::string& field,
                                   std::string& out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) return Error(kInvalidConfig, field + " must be a string, got " + it->dump());
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<CniError> ReadObject(const json& config, const std::string& key, json& out) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_object()) return Error(kInvalidConfig, key + " must be a JSON object, got " + it->dump());
  out = *it;
  return std::nullopt;
}

// The device ID from any of the three places Multus and libcni put it. They
// must agree: attaching another VF than the one kubelet allocated would hand
// the pod a device another pod may hold.
std::optional<CniError> ReadDeviceId(const json& config, Invocation& inv) {
  json runtime_config;
  if (auto e = ReadObject(config, "runtimeConfig", runtime_config)) return e;
  std::vector<std::pair<std::string, std::string>> found;  // field -> value
  std::string value;
  if (auto e = ReadString(config, "deviceID", "deviceID", value)) return e;
  if (!value.empty()) found.emplace_back("deviceID", value);
  value.clear();
  if (auto e = ReadString(config, "pciBusID", "pciBusID", value)) return e;
  if (!value.empty()) found.emplace_back("pciBusID", value);
  value.clear();
  if (runtime_config.is_object()) {
    if (auto e = ReadString(runtime_config, "deviceID", "runtimeConfig.deviceID", value)) return e;
    if (!value.empty()) found.emplace_back("runtimeConfig.deviceID", value);
  }
  for (const auto& [field, id] : found) {
    if (id != found[0].second) {
      return Error(kInvalidConfig,
                   "device IDs disagree: " + found[0].first + "=\"" + found[0].second + "\" but " + field + "=\"" +
                       id + "\"",
                   "give the VF in one place (Multus injects deviceID and pciBusID with the same value)");
    }
  }
  if (!found.empty()) inv.device_id = found[0].second;
  bool needs_device = inv.command == Command::kAdd || inv.command == Command::kCheck;
  if (needs_device && inv.device_id.empty()) {
    return Error(kInvalidConfig, "no device ID in the network config (deviceID, pciBusID or runtimeConfig.deviceID)",
                 "the pod must request the network's resource (annotation k8s.v1.cni.cncf.io/resourceName of the "
                 "NetworkAttachmentDefinition) so that Multus passes the allocated VF");
  }
  return std::nullopt;
}

std::optional<CniError> ReadAgentSettings(const json& config, Invocation& inv) {
  if (auto e = ReadString(config, "agentSocket", "agentSocket", inv.agent_socket)) return e;
  if (inv.agent_socket.empty() || inv.agent_socket[0] != '/') {
    return Error(kInvalidConfig, "agentSocket \"" + inv.agent_socket + "\" is not an absolute path",
                 "leave agentSocket out for the default " + std::string(kDefaultAgentSocket));
  }
  if (inv.agent_socket.size() > kMaxSocketPathLength) {
    return Error(kInvalidConfig, "agentSocket is longer than " + std::to_string(kMaxSocketPathLength) + " bytes",
                 "a unix socket path cannot be longer; use a shorter path");
  }
  auto it = config.find("agentTimeoutSeconds");
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (!it->is_number() || it->get<double>() <= 0 || it->get<double>() > 3600) {
    return Error(kInvalidConfig, "agentTimeoutSeconds must be a number of seconds in (0, 3600], got " + it->dump());
  }
  inv.agent_timeout = std::chrono::milliseconds(static_cast<int64_t>(it->get<double>() * 1000));
  if (inv.agent_timeout.count() == 0) inv.agent_timeout = std::chrono::milliseconds(1);
  return std::nullopt;
}

// Everything of the config after its version.
std::optional<CniError> ReadConfig(const json& config, Invocation& inv) {
  if (auto e = ReadString(config, "name", "name", inv.network_name)) return e;
  if (!IsSpecIdentifier(inv.network_name)) {
    return Error(kInvalidConfig, "network name \"" + inv.network_name + "\" is not valid",
                 "name must start with a letter or digit, followed by letters, digits, '_', '.' or '-'");
  }
  if (auto e = ReadString(config, "type", "type", inv.type)) return e;
  if (inv.type.empty()) return Error(kInvalidConfig, "type is missing from the network config");
  if (auto e = ReadDeviceId(config, inv)) return e;
  if (auto e = ReadObject(config, "prevResult", inv.prev_result)) return e;
  if (auto e = ReadObject(config, "args", inv.config_args)) return e;
  return ReadAgentSettings(config, inv);
}

std::optional<Command> ParseCommand(const std::string& name) {
  for (const auto& [text, command] : kCommands) {
    if (text == name) return command;
  }
  return std::nullopt;
}

Result<Command> ReadCommand(const Environment& env) {
  std::string name = Get(env, "CNI_COMMAND");
  if (name.empty()) {
    return Error(kInvalidEnvironment, "CNI_COMMAND is not set",
                 "rdma-cni is a CNI plugin: a container runtime runs it with CNI_COMMAND=ADD, DEL, CHECK, STATUS, GC "
                 "or VERSION");
  }
  auto command = ParseCommand(name);
  if (!command) {
    return Error(kInvalidEnvironment, "unknown CNI_COMMAND \"" + name + "\"",
                 "CNI_COMMAND must be ADD, DEL, CHECK, STATUS, GC or VERSION");
  }
  return *command;
}

}  // namespace

std::string_view CommandName(Command command) {
  for (const auto& [text, c] : kCommands) {
    if (c == command) return text;
  }
  return "?";
}

Result<Invocation> ParseInvocationJson(const Environment& env, const json& config) {
  auto command = ReadCommand(env);
  if (!command.ok()) return command.error();
  Invocation inv;
  inv.command = command.value();
  if (inv.command == Command::kVersion) {
    inv.cni_version = AnswerVersion(config.dump(-1, ' ', false, json::error_handler_t::replace));
    return inv;
  }
  if (auto e = ReadEnvironment(env, inv)) return *e;
  if (!config.is_object()) {
    return Error(kDecodeFailure, "the network config on stdin is not a JSON object",
                 "got " + std::string(config.type_name()));
  }
  inv.config = config;
  if (auto e = ReadVersion(config, inv)) return *e;
  if (auto e = ReadConfig(config, inv)) return *e;
  return inv;
}

Result<Invocation> ParseInvocation(const Environment& env, std::string_view stdin_text) {
  auto command = ReadCommand(env);
  if (!command.ok()) return command.error();
  if (command.value() == Command::kVersion) {
    Invocation inv;
    inv.command = Command::kVersion;
    inv.cni_version = AnswerVersion(stdin_text);
    return inv;
  }
  json config = json::parse(stdin_text, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) {
    return Error(kDecodeFailure, "the network config on stdin is not valid JSON",
                 stdin_text.empty() ? "stdin was empty" : "check the NetworkAttachmentDefinition's spec.config");
  }
  return ParseInvocationJson(env, config);
}

bool VersionAtLeast(std::string_view version, std::string_view min) {
  const int index = VersionIndex(version);
  return index >= 0 && index >= VersionIndex(min);
}

std::string VersionJson(std::string_view requested_version) {
  json out;
  out["cniVersion"] = VersionIndex(requested_version) >= 0 ? std::string(requested_version)
                                                            : std::string(kLatestVersion);
  out["supportedVersions"] = json::array();
  for (auto v : kSupportedVersions) out["supportedVersions"].push_back(std::string(v));
  return out.dump();
}

std::string ErrorJson(const CniError& error, std::string_view cni_version) {
  json out;
  out["cniVersion"] = std::string(cni_version);
  out["code"] = error.code;
  out["msg"] = error.msg;
  out["details"] = error.details;
  // Messages quote user input, which may not be UTF-8; replace rather than throw.
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string AnswerVersion(std::string_view stdin_text) {
  json config = json::parse(stdin_text, nullptr, /*allow_exceptions=*/false);
  if (config.is_object()) {
    auto it = config.find("cniVersion");
    if (it != config.end() && it->is_string() && VersionIndex(it->get<std::string>()) >= 0) {
      return it->get<std::string>();
    }
  }
  return std::string(kLatestVersion);
}

}  // namespace cni
