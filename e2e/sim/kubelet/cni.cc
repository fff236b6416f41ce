#include "e2e/sim/kubelet/cni.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

extern char** environ;

namespace fs = std::filesystem;

namespace simkubelet {

namespace {

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\n");
  return s.substr(b, e - b + 1);
}

struct ProcResult {
  int exit_code = -1;
  std::string out, err, spawn_error;
};

// fork/exec with the given env, stdin text; collects stdout and stderr.
// With bind_dir set the child first enters a mount namespace of its own
// (propagation from the host kept, none back) with bind_dir mounted over
// kAgentSocketMount.
ProcResult Run(const std::string& path, const std::vector<std::string>& env, const std::string& input,
               const std::string& bind_dir) {
  ProcResult r;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    r.spawn_error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  std::vector<char*> envp;
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = fork();
  if (pid < 0) {
    r.spawn_error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (!bind_dir.empty()) {
      const char* step = nullptr;
      if (::unshare(CLONE_NEWNS) != 0) {
        step = "unshare(CLONE_NEWNS)";
      } else if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
        step = "make / rslave";
      } else if (::mount(bind_dir.c_str(), kAgentSocketMount, nullptr, MS_BIND, nullptr) != 0) {
        step = "bind-mount the node's agent socket dir";
      }
      if (step) {
        dprintf(2, "sim-kubelet: %s: %s\n", step, std::strerror(errno));
        _exit(126);
      }
    }
    execve(path.c_str(), argv, envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  size_t off = 0;
  while (off < input.size()) {
    ssize_t n = write(in[1], input.data() + off, input.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(in[1]);
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// libcni's per-plugin config: the plugin object with the list's name and
// cniVersion, runtimeConfig for declared capabilities, prevResult if any.
json PluginConfig(const json& list, const json& plugin, const json& prev, const Attachment& a) {
  json conf = plugin;
  conf["name"] = list.value("name", a.network);
  if (list.contains("cniVersion")) conf["cniVersion"] = list["cniVersion"];
  if (!prev.is_null()) conf["prevResult"] = prev;
  if (plugin.contains("capabilities") && plugin["capabilities"].is_object() &&
      plugin["capabilities"].value("deviceID", false) && !a.device_id.empty()) {
    conf["runtimeConfig"]["deviceID"] = a.device_id;
  }
  return conf;
}

std::vector<json> Plugins(const json& config) {
  if (config.contains("plugins") && config["plugins"].is_array()) {
    return std::vector<json>(config["plugins"].begin(), config["plugins"].end());
  }
  json single = config;
  return {single};
}

}  // namespace

std::string ParseNetworkSelections(const std::string& annotation, const std::string& pod_ns,
                                   std::vector<NetworkSelection>* out) {
  out->clear();
  std::string text = Trim(annotation);
  if (text.empty()) return "";
  if (text[0] == '[') {
    json list = json::parse(text, nullptr, false);
    if (list.is_discarded() || !list.is_array()) {
      return "k8s.v1.cni.cncf.io/networks: not a JSON list of network selection elements";
    }
    for (const auto& e : list) {
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) {
        return "k8s.v1.cni.cncf.io/networks: every element needs a string \"name\"";
      }
      NetworkSelection s;
      s.name = e["name"];
      s.ns = e.value("namespace", pod_ns);
      s.ifname = e.value("interface", "");
      s.cni_args = e.contains("cni-args") ? e["cni-args"] : json();
      s.mac = e.value("mac", "");
      if (e.contains("ips") && e["ips"].is_array()) {
        for (const auto& ip : e["ips"]) {
          if (ip.is_string()) s.ips.push_back(ip);
        }
      }
      out->push_back(std::move(s));
    }
    return "";
  }
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item = Trim(item);
    if (item.empty()) continue;
    NetworkSelection s;
    if (auto at = item.find('@'); at != std::string::npos) {
      s.ifname = item.substr(at + 1);
      item = item.substr(0, at);
    }
    if (auto slash = item.find('/'); slash != std::string::npos) {
      s.ns = item.substr(0, slash);
      s.name = item.substr(slash + 1);
    } else {
      s.ns = pod_ns;
      s.name = item;
    }
    if (s.name.empty() || s.ns.empty()) {
      return "k8s.v1.cni.cncf.io/networks: bad element \"" + item + "\" (want [namespace/]name[@interface])";
    }
    out->push_back(std::move(s));
  }
  return "";
}

json DelegateConfig(const json& nad_config, const std::string& device_id, const json& cni_args) {
  json conf = nad_config;
  auto inject = [&](json& c) {
    if (!device_id.empty()) {
      c["deviceID"] = device_id;
      c["pciBusID"] = device_id;
    }
  };
  if (conf.contains("plugins") && conf["plugins"].is_array()) {
    for (auto& p : conf["plugins"]) inject(p);
  } else {
    inject(conf);
  }
  if (!cni_args.is_null()) {
    if (conf.contains("plugins") && conf["plugins"].is_array()) {
      for (auto& p : conf["plugins"]) p["args"]["cni"] = cni_args;
    } else {
      conf["args"]["cni"] = cni_args;
    }
  }
  return conf;
}

std::string FirstIp(const json& result) {
  if (!result.is_object() || !result.contains("ips") || !result["ips"].is_array()) return "";
  for (const auto& ip : result["ips"]) {
    std::string a = ip.value("address", "");
    if (a.empty()) continue;
    return a.substr(0, a.find('/'));
  }
  return "";
}

PodNetworker::PodNetworker(std::string bin_dir, std::string cache_dir, std::string agent_socket_dir)
    : bin_dir_(std::move(bin_dir)), cache_dir_(std::move(cache_dir)), agent_socket_dir_(std::move(agent_socket_dir)) {
  if (!agent_socket_dir_.empty()) {
    // The mount point (an empty dir on the shared /run; never written to).
    std::error_code ec;
    fs::create_directories(kAgentSocketMount, ec);
    fs::create_directories(agent_socket_dir_, ec);
  }
}

std::string PodNetworker::CachePath(const std::string& container_id) const {
  return (fs::path(cache_dir_) / container_id).string();
}

std::string PodNetworker::Exec(const std::string& command, const PodSandbox& sb, const std::string& ifname,
                               const json& conf, json* result) const {
  std::string type = conf.value("type", "");
  if (type.empty() || type.find('/') != std::string::npos) return "plugin config has no valid \"type\"";
  std::string path = (fs::path(bin_dir_) / type).string();
  if (access(path.c_str(), X_OK) != 0) {
    return "failed to find plugin \"" + type + "\" in path [" + bin_dir_ + "]";
  }
  std::vector<std::string> env = {
      "CNI_COMMAND=" + command,
      "CNI_CONTAINERID=" + sb.container_id,
      "CNI_NETNS=" + sb.netns,
      "CNI_IFNAME=" + ifname,
      "CNI_PATH=" + bin_dir_,
      "CNI_ARGS=IgnoreUnknown=true;K8S_POD_NAMESPACE=" + sb.pod_namespace + ";K8S_POD_NAME=" + sb.pod_name +
          ";K8S_POD_INFRA_CONTAINER_ID=" + sb.container_id + ";K8S_POD_UID=" + sb.pod_uid,
  };
  if (const char* p = getenv("PATH")) env.push_back(std::string("PATH=") + p);
  auto r = Run(path, env, conf.dump(), agent_socket_dir_);
  if (!r.spawn_error.empty()) return type + ": " + r.spawn_error;
  if (r.exit_code != 0) {
    json e = json::parse(r.out, nullptr, false);
    std::string msg = e.is_object() ? e.value("msg", "") : "";
    std::string details = e.is_object() ? e.value("details", "") : "";
    int code = e.is_object() ? e.value("code", 0) : 0;
    std::string text = "plugin type=\"" + type + "\" failed (" + command + "): ";
    if (!msg.empty()) {
      text += "CNI error " + std::to_string(code) + ": " + msg + (details.empty() ? "" : " (" + details + ")");
    } else {
      text += "exit " + std::to_string(r.exit_code) + ": " + Trim(r.out + r.err);
    }
    return text;
  }
  if (result) {
    *result = Trim(r.out).empty() ? json() : json::parse(r.out, nullptr, false);
    if (result->is_discarded()) return "plugin type=\"" + type + "\" printed a result that is not JSON";
  }
  return "";
}

std::string PodNetworker::Add(const PodSandbox& sb, const std::vector<Attachment>& attachments,
                              std::vector<json>* results) {
  std::error_code ec;
  fs::create_directories(cache_dir_, ec);
  json cache = {{"containerId", sb.container_id}, {"netns", sb.netns}, {"networks", json::array()}};
  auto save = [&] {
    std::ofstream f(CachePath(sb.container_id), std::ios::trunc);
    f << cache.dump();
  };
  results->clear();
  for (const auto& a : attachments) {
    json net = {{"name", a.network}, {"ifname", a.ifname}, {"plugins", json::array()}};
    json prev;
    std::string err;
    for (const auto& plugin : Plugins(a.config)) {
      json conf = PluginConfig(a.config, plugin, prev, a);
      json out;
      err = Exec("ADD", sb, a.ifname, conf, &out);
      if (!err.empty()) break;
      conf.erase("prevResult");  // DEL gets the network's result instead
      net["plugins"].push_back(conf);
      prev = out;
    }
    net["result"] = prev;
    if (!net["plugins"].empty()) {
      cache["networks"].push_back(net);
      save();
    }
    if (!err.empty()) {
      std::string full = "network \"" + a.network + "\" (" + a.ifname + "): " + err;
      spdlog::warn("op=cni-add pod={}/{} error=\"{}\" event=rollback", sb.pod_namespace, sb.pod_name, full);
      if (std::string del = Del(sb); !del.empty()) full += "; rollback: " + del;
      return full;
    }
    spdlog::info("op=cni-add pod={}/{} network={} ifname={} ip={}", sb.pod_namespace, sb.pod_name, a.network,
                 a.ifname, FirstIp(prev));
    results->push_back(prev);
  }
  save();
  return "";
}

std::string PodNetworker::Del(const PodSandbox& sb) {
  std::ifstream f(CachePath(sb.container_id));
  if (!f) return "";  // nothing was added (or already deleted)
  std::stringstream ss;
  ss << f.rdbuf();
  json cache = json::parse(ss.str(), nullptr, false);
  if (cache.is_discarded() || !cache.contains("networks")) {
    return "CNI cache " + CachePath(sb.container_id) + " is corrupt";
  }
  std::string first_error;
  auto& nets = cache["networks"];
  for (auto n = nets.rbegin(); n != nets.rend(); ++n) {
    auto& plugins = (*n)["plugins"];
    for (auto p = plugins.rbegin(); p != plugins.rend(); ++p) {
      json conf = *p;
      if (!(*n)["result"].is_null()) conf["prevResult"] = (*n)["result"];
      std::string err = Exec("DEL", sb, (*n).value("ifname", ""), conf, nullptr);
      if (!err.empty()) {
        err = "network \"" + (*n).value("name", "") + "\": " + err;
        spdlog::warn("op=cni-del pod={}/{} error=\"{}\"", sb.pod_namespace, sb.pod_name, err);
        if (first_error.empty()) first_error = err;
      }
    }
  }
  if (first_error.empty()) {
    std::error_code ec;
    fs::remove(CachePath(sb.container_id), ec);
  }
  return first_error;
}

}  // namespace simkubelet
