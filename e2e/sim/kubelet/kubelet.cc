#include "e2e/sim/kubelet/kubelet.h"

#include <spawn.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "agent/deviceplugin/proto/api.pb.h"
#include "kube/timestamps.h"

extern char** environ;

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace simkubelet {

namespace {

constexpr char kNetworksAnnotation[] = "k8s.v1.cni.cncf.io/networks";
constexpr char kResourceNameAnnotation[] = "k8s.v1.cni.cncf.io/resourceName";

kube::Resource NetworkAttachmentDefinitions() {
  return {"k8s.cni.cncf.io", "v1", "network-attachment-definitions", "NetworkAttachmentDefinition", true};
}

// Extended resources as kubelet's admission sees them: a domain-qualified
// name outside kubernetes.io (hugepages-* and the native names have none).
bool IsExtended(const std::string& r) {
  auto slash = r.find('/');
  if (slash == std::string::npos) return false;
  std::string domain = r.substr(0, slash);
  return domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io");
}

int64_t ParseCount(const json& q) {
  if (q.is_number_integer()) return q.get<int64_t>();
  if (!q.is_string()) return 0;
  try {
    return std::stoll(q.get<std::string>());
  } catch (...) {
    return 0;
  }
}

// Runs `ip netns add|del <name>` without a shell; its exit code (-1: not started).
int IpNetns(const std::string& verb, const std::string& name) {
  std::vector<std::string> args = {"ip", "netns", verb, name};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid;
  if (posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Now() { return kube::FormatTime(kube::Clock::now()); }

json Condition(const std::string& type, bool status, const std::string& reason = "", const std::string& msg = "") {
  json c = {{"type", type}, {"status", status ? "True" : "False"}, {"lastTransitionTime", Now()},
            {"lastProbeTime", nullptr}};
  if (!reason.empty()) c["reason"] = reason;
  if (!msg.empty()) c["message"] = msg;
  return c;
}

// What a runtime (containerd 1.6 + runc) does with one DeviceSpec at
// CreateContainer: the host path must exist (symlinks followed) and be a
// char/block device or a directory of them; empty permissions make runc fail.
std::string CheckDeviceSpec(const std::string& host_root, const v1beta1::DeviceSpec& d, json* record) {
  std::string path = host_root + d.host_path();
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) {
    return "failed to generate spec: lstat " + d.host_path() + ": " + std::strerror(errno);
  }
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode) && !S_ISDIR(st.st_mode)) {
    return "failed to generate spec: error gathering device information while adding custom device \"" +
           d.host_path() + "\": not a device node";
  }
  if (d.permissions().empty()) {
    return "failed to create containerd task: OCI runtime create failed: runc create failed: device access at 1 "
           "field cannot be empty";
  }
  json dev = {{"containerPath", d.container_path()}, {"hostPath", d.host_path()},
              {"permissions", d.permissions()}};
  if (!S_ISDIR(st.st_mode)) {
    dev["type"] = S_ISCHR(st.st_mode) ? "c" : "b";
    dev["major"] = major(st.st_rdev);
    dev["minor"] = minor(st.st_rdev);
  }
  (*record)["devices"].push_back(dev);
  return "";
}

// What a CDI-enabled runtime does with one fully qualified CDI name
// ("kind=name") at CreateContainer: find the device in the spec files of
// `cdi_dir` (later files win, as in the CDI registry) and apply its
// deviceNodes. A node without type/major/minor is filled in from its host
// path, which must then exist. Errors read like containerd's.
std::string InjectCdiDevice(const std::string& cdi_dir, const std::string& host_root, const std::string& qualified,
                            json* record) {
  const auto eq = qualified.find('=');
  const std::string kind = qualified.substr(0, eq), name = eq == std::string::npos ? "" : qualified.substr(eq + 1);
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(cdi_dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  json found;
  for (const auto& f : files) {
    std::ifstream in(f);
    json spec = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (spec.is_discarded() || spec.value("kind", "") != kind) continue;
    for (const auto& d : spec.value("devices", json::array())) {
      if (d.value("name", "") == name) found = d;
    }
  }
  if (found.is_null()) return "failed to inject CDI devices: unresolvable CDI devices " + qualified;
  for (const auto& n : found.value("/containerEdits/deviceNodes"_json_pointer, json::array())) {
    const std::string path = n.value("path", "");
    const std::string host = n.value("hostPath", path);
    json dev = {{"containerPath", path}, {"hostPath", host}, {"permissions", n.value("permissions", "rwm")},
                {"cdi", qualified}};
    if (n.contains("major") && n.contains("minor") && n.contains("type")) {
      dev["type"] = n["type"];
      dev["major"] = n["major"];
      dev["minor"] = n["minor"];
    } else {
      struct stat st{};
      if (stat((host_root + host).c_str(), &st) != 0) {
        return "failed to inject CDI devices: failed to stat CDI host device \"" + host + "\": " +
               std::strerror(errno);
      }
      dev["type"] = S_ISCHR(st.st_mode) ? "c" : "b";
      dev["major"] = major(st.st_rdev);
      dev["minor"] = minor(st.st_rdev);
    }
    (*record)["devices"].push_back(dev);
  }
  return "";
}

}  // namespace

std::vector<ContainerRequest> ExtendedRequests(const json& pod) {
  std::vector<ContainerRequest> out;
  const json& spec = pod.value("spec", json::object());
  for (const auto& c : spec.value("containers", json::array())) {
    ContainerRequest r;
    r.name = c.value("name", "");
    const json& res = c.value("resources", json::object());
    for (const char* field : {"requests", "limits"}) {
      const json quantities = res.value(field, json::object());
      for (const auto& [name, q] : quantities.items()) {
        if (IsExtended(name)) r.resources[name] = ParseCount(q);
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

Kubelet::Kubelet(std::shared_ptr<kube::Client> client, DeviceManager* dm, KubeletOptions options)
    : client_(std::move(client)),
      dm_(dm),
      options_(std::move(options)),
      networker_(options_.cni_bin_dir, options_.root + "/cni/multus", options_.agent_socket_dir) {
  if (options_.netns_prefix.empty()) options_.netns_prefix = options_.node_name + "-";
}

std::string Kubelet::NetnsName(const std::string& pod_uid) const { return options_.netns_prefix + pod_uid; }

void Kubelet::MarkNodeDirty() {
  {
    std::lock_guard lock(node_mu_);
    node_dirty_ = true;
  }
  node_cv_.notify_all();
}

kube::Status Kubelet::SyncNode() {
  auto node = client_->Get(kube::resources::Nodes(), "", options_.node_name);
  if (!node.ok()) {
    if (!kube::IsNotFound(node.error())) return node.error();
    json obj = {{"apiVersion", "v1"},
                {"kind", "Node"},
                {"metadata", {{"name", options_.node_name}, {"labels", {{"kubernetes.io/hostname", options_.node_name}}}}}};
    auto created = client_->Create(kube::resources::Nodes(), obj);
    if (!created.ok() && !kube::IsAlreadyExists(created.error())) return created.error();
  }
  json capacity = json::object(), allocatable = json::object();
  for (const auto& [name, c] : dm_->Capacity()) {
    capacity[name] = std::to_string(c.capacity);
    allocatable[name] = std::to_string(c.allocatable);
  }
  json patch = {{"status", {{"capacity", capacity}, {"allocatable", allocatable}}}};
  auto r = client_->PatchStatus(kube::resources::Nodes(), "", options_.node_name, kube::PatchType::kMerge, patch);
  if (!r.ok()) return r.error();
  return {};
}

void Kubelet::NodeWriter(std::stop_token stop) {
  std::unique_lock lock(node_mu_);
  while (!stop.stop_requested()) {
    if (!node_cv_.wait(lock, stop, [&] { return node_dirty_; })) break;
    node_dirty_ = false;
    lock.unlock();
    auto s = SyncNode();
    lock.lock();
    if (!s.ok()) {
      spdlog::warn("op=sync-node node={} error=\"{}\" event=retry", options_.node_name, s.error().ToString());
      node_dirty_ = true;
      // Back off before retrying a failing API server (not a synchronisation wait).
      node_cv_.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    }
  }
}

void Kubelet::Run(std::stop_token stop) {
  dm_->SetOnChange([this] { MarkNodeDirty(); });
  std::jthread writer([this](std::stop_token st) { NodeWriter(st); });
  std::stop_callback cb(stop, [&] { writer.request_stop(); });
  kube::ListOptions lo;
  lo.field_selector = "spec.nodeName=" + options_.node_name;
  while (!stop.stop_requested()) {
    auto list = client_->ListAll(kube::resources::Pods(), "", lo);
    if (!list.ok()) {
      spdlog::warn("op=list-pods error=\"{}\"", list.error().ToString());
      std::mutex m;
      std::unique_lock l(m);
      std::condition_variable_any().wait_for(l, stop, std::chrono::seconds(1), [] { return false; });
      continue;
    }
    std::set<std::string> seen;
    for (const auto& pod : (*list)["items"]) {
      seen.insert(kube::UidOf(pod));
      HandlePod(pod);
    }
    for (auto it = pods_.begin(); it != pods_.end();) {
      auto next = std::next(it);
      if (!seen.count(it->first)) PodGone({{"metadata", {{"uid", it->first}}}});
      it = next;
    }
    kube::WatchOptions wo;
    wo.field_selector = lo.field_selector;
    wo.resource_version = (*list)["metadata"].value("resourceVersion", "");
    auto s = client_->Watch(kube::resources::Pods(), "", wo,
                            [&](kube::WatchEvent&& ev) {
                              if (ev.type == "BOOKMARK") return true;
                              if (ev.object.value("spec", json::object()).value("nodeName", "") != options_.node_name)
                                return true;
                              if (ev.type == "DELETED") {
                                PodGone(ev.object);
                              } else {
                                HandlePod(ev.object);
                              }
                              return true;
                            },
                            stop);
    if (!s.ok()) spdlog::info("op=watch-pods event=relist error=\"{}\"", s.error().ToString());
  }
}

void Kubelet::WriteStatus(const json& pod, const json& status) {
  auto r = client_->PatchStatus(kube::resources::Pods(), kube::NamespaceOf(pod), kube::NameOf(pod),
                                kube::PatchType::kMerge, {{"status", status}});
  if (!r.ok()) {
    spdlog::warn("op=write-pod-status pod={}/{} error=\"{}\"", kube::NamespaceOf(pod), kube::NameOf(pod),
                 r.error().ToString());
  }
}

AdmitResult Kubelet::AdmitPod(const json& pod, const std::vector<ContainerRequest>& requests) {
  // Kubelet runs the device manager's admit handler before the resource
  // predicate, so device-plugin resources fail with UnexpectedAdmissionError.
  AdmitResult r = dm_->Admit(kube::UidOf(pod), kube::NameOf(pod), kube::NamespaceOf(pod), requests);
  if (!r.admitted) return r;
  // Other extended resources: node allocatable minus what active pods use.
  std::map<std::string, int64_t> wanted;
  for (const auto& c : requests) {
    for (const auto& [name, n] : c.resources) {
      if (!dm_->Manages(name)) wanted[name] += n;
    }
  }
  if (wanted.empty()) return r;
  json allocatable = json::object();
  if (auto node = client_->Get(kube::resources::Nodes(), "", options_.node_name); node.ok()) {
    allocatable = (*node).value("status", json::object()).value("allocatable", json::object());
  }
  for (const auto& [name, n] : wanted) {
    int64_t used = 0;  // what the active pods sim-kubelet runs hold
    for (const auto& [other, rec] : pods_) {
      if (!rec.terminal && rec.extended.count(name)) used += rec.extended.at(name);
    }
    int64_t cap = allocatable.contains(name) ? ParseCount(allocatable[name]) : 0;
    if (n + used > cap) {
      dm_->Release(kube::UidOf(pod));
      AdmitResult fail;
      fail.reason = "OutOf" + name;
      fail.message = "Pod was rejected: Node didn't have enough resource: " + name + ", requested: " +
                     std::to_string(n) + ", used: " + std::to_string(used) + ", capacity: " + std::to_string(cap);
      return fail;
    }
  }
  return r;
}

std::string Kubelet::StartSandbox(const json& pod, std::string* pod_ip) {
  std::string uid = kube::UidOf(pod);
  PodSandbox sb{"sim-" + uid, "", kube::NamespaceOf(pod), kube::NameOf(pod), uid};
  std::vector<Attachment> attachments;
  if (!options_.pod_cidr.empty()) {
    json conf = {{"cniVersion", "1.0.0"},
                 {"name", "sim-pod-network"},
                 {"plugins",
                  {{{"type", "bridge"},
                    {"bridge", options_.bridge},
                    {"isGateway", true},
                    {"ipMasq", false},
                    {"ipam",
                     {{"type", "host-local"},
                      {"ranges", {{{{"subnet", options_.pod_cidr}}}}},
                      {"dataDir", options_.root + "/cni/networks"}}}}}}};
    attachments.push_back({"sim-pod-network", "eth0", conf, ""});
  }
  const json& annotations = pod["metadata"].value("annotations", json::object());
  if (annotations.contains(kNetworksAnnotation) && annotations[kNetworksAnnotation].is_string()) {
    std::vector<NetworkSelection> sels;
    if (auto err = ParseNetworkSelections(annotations[kNetworksAnnotation], sb.pod_namespace, &sels); !err.empty()) {
      return err;
    }
    // Multus: device IDs per resource over all containers, sorted; each
    // network takes the next unused one.
    std::map<std::string, std::vector<std::string>> ids;
    for (const auto& a : dm_->AllocationsOf(uid)) ids[a.resource].insert(ids[a.resource].end(), a.device_ids.begin(), a.device_ids.end());
    for (auto& [r, v] : ids) std::sort(v.begin(), v.end());
    std::map<std::string, size_t> next;
    int index = 0;
    for (const auto& s : sels) {
      ++index;
      auto nad = client_->Get(NetworkAttachmentDefinitions(), s.ns, s.name);
      if (!nad.ok()) {
        return "cannot get NetworkAttachmentDefinition " + s.ns + "/" + s.name + ": " + nad.error().message;
      }
      std::string raw = (*nad).value("spec", json::object()).value("config", "");
      json config = json::parse(raw, nullptr, false);
      if (raw.empty() || config.is_discarded() || !config.is_object()) {
        return "NetworkAttachmentDefinition " + s.ns + "/" + s.name + ": spec.config is not a JSON object";
      }
      std::string device;
      const json& nad_ann = (*nad)["metadata"].value("annotations", json::object());
      if (nad_ann.contains(kResourceNameAnnotation) && nad_ann[kResourceNameAnnotation].is_string()) {
        std::string resource = nad_ann[kResourceNameAnnotation];
        auto& pool = ids[resource];
        if (next[resource] < pool.size()) device = pool[next[resource]++];
      }
      std::string ifname = s.ifname.empty() ? "net" + std::to_string(index) : s.ifname;
      attachments.push_back({s.ns + "/" + s.name, ifname, DelegateConfig(config, device, s.cni_args), device});
    }
  }
  if (options_.create_netns) {
    std::string name = NetnsName(uid);
    sb.netns = "/run/netns/" + name;
    if (!fs::exists(sb.netns)) {
      int rc = IpNetns("add", name);
      if (rc != 0) return "cannot create network namespace " + name + " (ip netns add exit " + std::to_string(rc) + ")";
    }
  }
  // A sandbox of this pod that this kubelet does not know (a restart or a
  // reboot lost it) is dead, and kubelet never reuses one: its networks are
  // torn down first, as StopPodSandbox does, so IPAM gives their addresses
  // back. Without a CNI cache there is nothing to tear down.
  PodSandbox old = sb;
  old.netns.clear();
  if (auto err = networker_.Del(old); !err.empty()) {
    spdlog::warn("op=stop-stale-sandbox pod={}/{} error=\"{}\"", sb.pod_namespace, sb.pod_name, err);
  }
  if (attachments.empty()) return "";
  std::vector<json> results;
  std::string err = networker_.Add(sb, attachments, &results);
  if (!err.empty()) return err;
  if (!options_.pod_cidr.empty() && !results.empty()) *pod_ip = FirstIp(results[0]);
  return "";
}

void Kubelet::HandlePod(const json& pod) {
  std::string uid = kube::UidOf(pod);
  if (uid.empty()) return;
  const json& meta = pod.value("metadata", json::object());
  const json& status = pod.value("status", json::object());
  std::string phase = status.value("phase", "");
  auto it = pods_.find(uid);

  if (meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null()) {
    PodRecord rec = it != pods_.end() ? it->second : PodRecord{kube::NamespaceOf(pod), kube::NameOf(pod), uid, true, false, {}};
    if (auto err = Teardown(rec); !err.empty()) {
      spdlog::warn("op=stop-pod pod={}/{} error=\"{}\" event=stays-terminating", rec.ns, rec.name, err);
      return;
    }
    kube::DeleteOptions d;
    d.grace_period_seconds = 0;
    d.precondition_uid = uid;
    auto r = client_->Delete(kube::resources::Pods(), rec.ns, rec.name, d);
    if (!r.ok() && !kube::IsNotFound(r.error()) && !kube::IsConflict(r.error())) {
      spdlog::warn("op=delete-pod pod={}/{} error=\"{}\"", rec.ns, rec.name, r.error().ToString());
    }
    pods_.erase(uid);
    return;
  }
  if (it != pods_.end()) return;  // already running (or rejected): nothing new to do
  PodRecord rec{kube::NamespaceOf(pod), kube::NameOf(pod), uid, false, false, {}};
  if (phase == "Failed" || phase == "Succeeded") {
    rec.terminal = true;
    dm_->Release(uid);
    pods_[uid] = rec;
    return;
  }
  auto requests = ExtendedRequests(pod);
  // A pod that already runs (sim-kubelet restarted): keep what it has.
  if (phase == "Running" && (!options_.create_netns || fs::exists("/run/netns/" + NetnsName(uid)))) {
    dm_->Adopt(uid, rec.name, rec.ns);
    rec.sandbox = true;
    pods_[uid] = rec;
    spdlog::info("op=adopt-pod pod={}/{}", rec.ns, rec.name);
    return;
  }
  AdmitResult admit = AdmitPod(pod, requests);
  if (!admit.admitted) {
    spdlog::info("op=admit pod={}/{} event=rejected reason={} message=\"{}\"", rec.ns, rec.name, admit.reason,
                 admit.message);
    rec.terminal = true;
    pods_[uid] = rec;
    WriteStatus(pod, {{"phase", "Failed"}, {"reason", admit.reason}, {"message", admit.message},
                      {"startTime", Now()}});
    return;
  }
  for (const auto& c : requests) {
    for (const auto& [name, n] : c.resources) rec.extended[name] += n;
  }
  std::string pod_ip;
  std::string err = StartSandbox(pod, &pod_ip);
  rec.sandbox = true;
  pods_[uid] = rec;
  json cstatuses = json::array();
  if (!err.empty()) {
    spdlog::warn("op=run-pod-sandbox pod={}/{} error=\"{}\"", rec.ns, rec.name, err);
    for (const auto& c : pod["spec"].value("containers", json::array())) {
      cstatuses.push_back({{"name", c.value("name", "")}, {"image", c.value("image", "")}, {"imageID", ""},
                           {"ready", false}, {"started", false}, {"restartCount", 0},
                           {"state", {{"waiting", {{"reason", "ContainerCreating"}}}}}});
    }
    WriteStatus(pod, {{"phase", "Pending"},
                      {"conditions", {Condition("PodReadyToStartContainers", false, "", "Failed to create pod sandbox: " + err),
                                      Condition("Initialized", true), Condition("Ready", false, "ContainersNotReady"),
                                      Condition("ContainersReady", false, "ContainersNotReady"),
                                      Condition("PodScheduled", true)}},
                      {"containerStatuses", cstatuses},
                      {"startTime", Now()}});
    return;
  }
  // CreateContainer: resolve what Allocate answered, as the runtime would.
  bool all_running = true;
  auto allocs = dm_->AllocationsOf(uid);
  std::error_code ec;
  fs::create_directories(options_.root + "/pods/" + uid, ec);
  for (const auto& c : pod["spec"].value("containers", json::array())) {
    std::string name = c.value("name", "");
    json record = {{"pod", rec.ns + "/" + rec.name}, {"container", name}, {"env", json::object()},
                   {"devices", json::array()}, {"mounts", json::array()}, {"cdiDevices", json::array()}};
    for (const auto& e : c.value("env", json::array())) {
      if (e.contains("value")) record["env"][e.value("name", "")] = e["value"];
    }
    std::string cerr;
    for (const auto& a : allocs) {
      if (a.container != name) continue;
      v1beta1::ContainerAllocateResponse resp;
      if (!resp.ParseFromString(a.response)) {
        cerr = "allocation of " + a.resource + " cannot be decoded";
        break;
      }
      for (const auto& [k, v] : resp.envs()) record["env"][k] = v;
      for (const auto& m : resp.mounts()) {
        record["mounts"].push_back({{"containerPath", m.container_path()}, {"hostPath", m.host_path()},
                                    {"readOnly", m.read_only()}});
      }
      // containerd 1.6 (Debian's) drops CDI names silently (facts §7.3): they
      // are only recorded unless this runtime has CDI on.
      for (const auto& cdi : resp.cdi_devices()) {
        record["cdiDevices"].push_back(cdi.name());
        if (!options_.cdi_dir.empty()) cerr = InjectCdiDevice(options_.cdi_dir, options_.host_root, cdi.name(), &record);
        if (!cerr.empty()) break;
      }
      if (!cerr.empty()) break;
      for (const auto& d : resp.devices()) {
        cerr = CheckDeviceSpec(options_.host_root, d, &record);
        if (!cerr.empty()) break;
      }
      if (!cerr.empty()) break;
    }
    std::string id = "sim://" + uid + "-" + name;
    json cs = {{"name", name}, {"image", c.value("image", "")}, {"imageID", ""}, {"restartCount", 0}};
    if (cerr.empty()) {
      std::ofstream(options_.root + "/pods/" + uid + "/" + name + ".json", std::ios::trunc) << record.dump(2);
      cs["containerID"] = id;
      cs["ready"] = true;
      cs["started"] = true;
      cs["state"] = {{"running", {{"startedAt", Now()}}}};
    } else {
      spdlog::warn("op=create-container pod={}/{} container={} error=\"{}\"", rec.ns, rec.name, name, cerr);
      all_running = false;
      cs["ready"] = false;
      cs["started"] = false;
      cs["state"] = {{"waiting", {{"reason", "CreateContainerError"}, {"message", cerr}}}};
    }
    cstatuses.push_back(cs);
  }
  json st = {{"phase", all_running ? "Running" : "Pending"},
             {"conditions",
              {Condition("PodReadyToStartContainers", true), Condition("Initialized", true),
               Condition("Ready", all_running, all_running ? "" : "ContainersNotReady"),
               Condition("ContainersReady", all_running, all_running ? "" : "ContainersNotReady"),
               Condition("PodScheduled", true)}},
             {"containerStatuses", cstatuses},
             {"startTime", Now()}};
  if (!pod_ip.empty()) {
    st["podIP"] = pod_ip;
    st["podIPs"] = json::array({{{"ip", pod_ip}}});
  }
  WriteStatus(pod, st);
  spdlog::info("op=start-pod pod={}/{} phase={} podIP={}", rec.ns, rec.name, st["phase"].get<std::string>(), pod_ip);
}

std::string Kubelet::Teardown(const PodRecord& rec) {
  if (rec.sandbox) {
    std::string name = NetnsName(rec.uid);
    std::string netns = "/run/netns/" + name;
    // DEL with an empty CNI_NETNS once the namespace is gone, as kubelet's GC does.
    PodSandbox sb{"sim-" + rec.uid, fs::exists(netns) ? netns : "", rec.ns, rec.name, rec.uid};
    if (auto err = networker_.Del(sb); !err.empty()) return err;
    if (options_.create_netns && fs::exists(netns)) {
      int rc = IpNetns("del", name);
      if (rc != 0) return "cannot remove network namespace " + name;
    }
  }
  std::error_code ec;
  fs::remove_all(options_.root + "/pods/" + rec.uid, ec);
  dm_->Release(rec.uid);
  spdlog::info("op=stop-pod pod={}/{}", rec.ns, rec.name);
  return "";
}

void Kubelet::PodGone(const json& pod) {
  std::string uid = kube::UidOf(pod);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;
  if (auto err = Teardown(it->second); !err.empty()) {
    spdlog::warn("op=stop-pod pod={}/{} error=\"{}\"", it->second.ns, it->second.name, err);
  }
  pods_.erase(uid);
}

}  // namespace simkubelet
