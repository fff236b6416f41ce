// The CNI protocol as rdma-cni sees it (CNI spec 1.1, accepting configs of
// 0.3.1 to 1.1.0): one invocation is the CNI_* environment plus the network
// config on stdin. ParseInvocation turns them into an Invocation, validated
// the way the spec says, or into a CniError carrying the spec's error code and
// a message that tells the user what to fix. Pure: no I/O, so the agent can
// run the same checks on what the shim forwards (wire.h).
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace cni {

// Error codes of the CNI spec ("Error codes"), and ours (100 and up).
inline constexpr int kIncompatibleVersion = 1;
inline constexpr int kInvalidEnvironment = 4;
inline constexpr int kIoFailure = 5;
inline constexpr int kDecodeFailure = 6;
inline constexpr int kInvalidConfig = 7;
inline constexpr int kTryAgainLater = 11;
// rdma-agent answered something rdma-cni cannot read (a version mismatch
// between the two, or a bug): not transient, so not 11.
inline constexpr int kBadAgentReply = 100;

// The error object of the spec: {"cniVersion","code","msg","details"}.
struct CniError {
  int code = 0;
  std::string msg;
  std::string details;
};

// A value or a CniError; value() on an error throws std::bad_variant_access.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(CniError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const CniError& error() const { return std::get<CniError>(v_); }

 private:
  std::variant<T, CniError> v_;
};

enum class Command { kAdd, kDel, kCheck, kStatus, kGc, kVersion };
// "ADD", "DEL", ... as in CNI_COMMAND.
std::string_view CommandName(Command command);

// Oldest first. "cniVersion" of a config must be one of these.
inline constexpr std::array<std::string_view, 4> kSupportedVersions = {"0.3.1", "0.4.0", "1.0.0", "1.1.0"};
inline constexpr std::string_view kLatestVersion = "1.1.0";
// Whether `version` is a supported version no older than `min` (also supported).
bool VersionAtLeast(std::string_view version, std::string_view min);

inline constexpr std::string_view kDefaultAgentSocket = "/run/rdma-agent/cni.sock";
inline constexpr std::chrono::milliseconds kDefaultAgentTimeout = std::chrono::seconds(30);
// sun_path holds 108 bytes including the terminating NUL.
inline constexpr size_t kMaxSocketPathLength = 107;

// The process environment, name -> value. Only the CNI_* names are read; a
// variable set to "" counts as unset (as for libcni's skel).
using Environment = std::map<std::string, std::string>;

// One validated CNI call.
struct Invocation {
  Command command = Command::kVersion;

  // From the environment, as given ("" when unset).
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS ("" allowed for DEL: runtimes send it after a reboot)
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS, raw
  std::string path;          // CNI_PATH, raw
  // CNI_ARGS split at ';' and the first '=', in order; repeated keys are
  // kept (Multus repeats K8S_POD_* keys).
  std::vector<std::pair<std::string, std::string>> cni_args;

  // From stdin. For VERSION only cni_version is set.
  nlohmann::json config;    // the whole stdin object, forwarded unchanged
  std::string cni_version;  // one of kSupportedVersions
  std::string network_name;
  std::string type;
  // The VF, from top-level "deviceID" or "pciBusID" (Multus injects both) or
  // "runtimeConfig.deviceID" (when the plugin declares the capability); ""
  // when none was given (allowed for DEL, STATUS and GC).
  std::string device_id;
  nlohmann::json prev_result;  // "prevResult"; null when absent
  nlohmann::json config_args;  // "args"; null when absent

  // Where the shim finds rdma-agent: "agentSocket" and
  // "agentTimeoutSeconds" of the config, else the defaults.
  std::string agent_socket{kDefaultAgentSocket};
  std::chrono::milliseconds agent_timeout = kDefaultAgentTimeout;
};

// Parses and validates a call. For VERSION, stdin may be anything (the reply
// names the requested version when it is one we support). Otherwise stdin
// must be a JSON object (else code 6) whose cniVersion we support (else 1)
// and which allows the command (CHECK needs >= 0.4.0, STATUS and GC 1.1.0;
// else 1); missing or malformed CNI_* variables give 4, bad config fields 7.
Result<Invocation> ParseInvocation(const Environment& env, std::string_view stdin_text);

// The same, for a config already parsed (the agent's side of wire.h).
Result<Invocation> ParseInvocationJson(const Environment& env, const nlohmann::json& config);

// The VERSION answer: {"cniVersion": <requested if supported, else latest>,
// "supportedVersions": [...]}.
std::string VersionJson(std::string_view requested_version);

// The error object the spec wants on stdout, labelled with cni_version.
std::string ErrorJson(const CniError& error, std::string_view cni_version);

// The cniVersion to label an answer with when stdin may not have parsed: the
// config's cniVersion if it is one we support, else kLatestVersion.
std::string AnswerVersion(std::string_view stdin_text);

}  // namespace cni
