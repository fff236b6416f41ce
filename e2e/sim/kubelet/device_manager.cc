#include "e2e/sim/kubelet/device_manager.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <grpcpp/grpcpp.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "agent/deviceplugin/proto/api.grpc.pb.h"
#include "kube/base64.h"

namespace fs = std::filesystem;

namespace simkubelet {

namespace {

// Go's grpc status text ("rpc error: code = Unknown desc = ..."), which is
// what kubelet puts into its admission message.
std::string GoGrpcError(const grpc::Status& s) {
  static const char* const kNames[] = {"OK",          "Canceled",          "Unknown",          "InvalidArgument",
                                       "DeadlineExceeded", "NotFound",     "AlreadyExists",    "PermissionDenied",
                                       "ResourceExhausted", "FailedPrecondition", "Aborted",   "OutOfRange",
                                       "Unimplemented", "Internal",        "Unavailable",      "DataLoss",
                                       "Unauthenticated"};
  int code = static_cast<int>(s.error_code());
  std::string name = code >= 0 && code <= 16 ? kNames[code] : "Code(" + std::to_string(code) + ")";
  return "rpc error: code = " + name + " desc = " + s.error_message();
}

// An extended resource name as kubelet's validation wants it: a domain
// prefix, "/", a name; not in the kubernetes.io namespace.
bool IsExtendedResourceName(const std::string& r) {
  auto slash = r.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= r.size()) return false;
  if (r.find('/', slash + 1) != std::string::npos) return false;
  std::string domain = r.substr(0, slash);
  if (domain == "kubernetes.io" || domain.ends_with(".kubernetes.io")) return false;
  return domain.find('.') != std::string::npos;
}

// FNV-1a over the checkpoint's Data. Kubelet's checksum hashes Go's
// in-memory struct and cannot be reproduced outside Go; this one still
// catches a truncated or edited file.
uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

struct DeviceManager::Endpoint {
  std::string resource, socket;
  bool preferred = false, pre_start = false;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub;
  grpc::ClientContext stream_ctx;  // the ListAndWatch call; cancelled to stop
  bool replaced = false;           // a newer registration took over (guarded by mu_)
};

class RegistrationService final : public v1beta1::Registration::Service {
 public:
  explicit RegistrationService(DeviceManager* dm) : dm_(dm) {}
  grpc::Status Register(grpc::ServerContext*, const v1beta1::RegisterRequest* req, v1beta1::Empty*) override {
    std::string err = dm_->Register(req->version(), req->endpoint(), req->resource_name(),
                                    req->options().get_preferred_allocation_available(),
                                    req->options().pre_start_required());
    if (!err.empty()) return grpc::Status(grpc::StatusCode::UNKNOWN, err);
    return grpc::Status::OK;
  }

 private:
  DeviceManager* dm_;
};

DeviceManager::DeviceManager(Options options) : options_(std::move(options)) {}

DeviceManager::~DeviceManager() { Stop(); }

void DeviceManager::SetOnChange(std::function<void()> f) {
  std::lock_guard lock(mu_);
  on_change_ = std::move(f);
}

void DeviceManager::Notify() {
  std::function<void()> f;
  {
    std::lock_guard lock(mu_);
    f = on_change_;
  }
  if (f) f();
}

std::string DeviceManager::Start() {
  std::error_code ec;
  if (!fs::is_directory(options_.plugin_dir, ec)) {
    return "device-plugins dir " + options_.plugin_dir + " does not exist (create it, or pass another dir)";
  }
  // CleanupPluginDirectory: every non-directory entry but the checkpoint.
  for (const auto& entry : fs::directory_iterator(options_.plugin_dir, ec)) {
    if (entry.is_directory(ec) || entry.path().filename() == kCheckpointName) continue;
    fs::remove(entry.path(), ec);
    if (ec) return "remove " + entry.path().string() + ": " + ec.message();
  }
  ReadCheckpoint();
  std::string sock = (fs::path(options_.plugin_dir) / "kubelet.sock").string();
  service_ = std::make_unique<RegistrationService>(this);
  grpc::ServerBuilder b;
  b.AddListeningPort("unix:" + sock, grpc::InsecureServerCredentials());
  b.RegisterService(service_.get());
  server_ = b.BuildAndStart();
  if (!server_) return "cannot serve Registration on " + sock;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  housekeeping_ = std::thread([this] { Housekeeping(); });
  spdlog::info("op=serve-registration socket={}", sock);
  return "";
}

void DeviceManager::Stop() {
  std::vector<std::shared_ptr<Endpoint>> eps;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !server_) return;
    stopping_ = true;
    for (auto& [name, r] : resources_) {
      if (r.endpoint) eps.push_back(r.endpoint);
    }
  }
  cv_.notify_all();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_.reset();
  }
  for (auto& ep : eps) ep->stream_ctx.TryCancel();
  std::vector<std::thread> readers;
  {
    std::lock_guard lock(mu_);
    readers.swap(readers_);
  }
  for (auto& t : readers) {
    if (t.joinable()) t.join();
  }
  if (housekeeping_.joinable()) housekeeping_.join();
}

std::string DeviceManager::Register(const std::string& version, const std::string& endpoint,
                                    const std::string& resource, bool preferred, bool pre_start) {
  if (version != "v1beta1") {
    return "requested API version \"" + version + "\" is not supported by kubelet. Supported version is [\"v1beta1\"]";
  }
  if (!IsExtendedResourceName(resource)) return "the ResourceName \"" + resource + "\" is invalid";
  auto ep = std::make_shared<Endpoint>();
  ep->resource = resource;
  ep->socket = (fs::path(options_.plugin_dir) / endpoint).string();
  ep->preferred = preferred;
  ep->pre_start = pre_start;
  grpc::ChannelArguments args;
  args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, "localhost");
  ep->channel = grpc::CreateCustomChannel("unix:" + ep->socket, grpc::InsecureChannelCredentials(), args);
  auto deadline = std::chrono::system_clock::now() + options_.dial_timeout;
  if (!ep->channel->WaitForConnected(deadline)) {
    spdlog::warn("op=register resource={} endpoint={} error=\"failed to dial device plugin: context deadline exceeded\"",
                 resource, ep->socket);
    return "failed to dial device plugin: context deadline exceeded";
  }
  ep->stub = v1beta1::DevicePlugin::NewStub(ep->channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(deadline);
    v1beta1::Empty empty;
    v1beta1::DevicePluginOptions opts;
    auto s = ep->stub->GetDevicePluginOptions(&ctx, empty, &opts);
    if (!s.ok()) return "failed to get device plugin options: " + GoGrpcError(s);
    ep->preferred = opts.get_preferred_allocation_available();
    ep->pre_start = opts.pre_start_required();
  }
  std::shared_ptr<Endpoint> old;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return "kubelet is shutting down";
    auto& r = resources_[resource];
    old = r.endpoint;
    if (old) old->replaced = true;
    r.endpoint = ep;
    r.registered = true;
    r.removed = false;
    readers_.emplace_back([this, ep] { ReadStream(ep); });
  }
  if (old) old->stream_ctx.TryCancel();
  spdlog::info("op=register resource={} endpoint={} preferred_allocation={}", resource, ep->socket, ep->preferred);
  return "";
}

void DeviceManager::ReadStream(std::shared_ptr<Endpoint> ep) {
  v1beta1::Empty empty;
  auto reader = ep->stub->ListAndWatch(&ep->stream_ctx, empty);
  v1beta1::ListAndWatchResponse resp;
  while (reader->Read(&resp)) {
    {
      std::lock_guard lock(mu_);
      if (ep->replaced) break;
      auto& r = resources_[ep->resource];
      r.devices.clear();
      for (const auto& d : resp.devices()) {
        Device dev;
        dev.health = d.health() == kHealthy ? kHealthy : kUnhealthy;
        for (const auto& n : d.topology().nodes()) dev.numa.push_back(n.id());
        r.devices[d.id()] = dev;
      }
      WriteCheckpointLocked();
    }
    Notify();
  }
  auto status = reader->Finish();
  bool notify = false;
  {
    std::lock_guard lock(mu_);
    auto& r = resources_[ep->resource];
    if (!ep->replaced && r.endpoint == ep) {
      // PluginDisconnected: every device Unhealthy, the grace period starts.
      for (auto& [id, d] : r.devices) d.health = kUnhealthy;
      r.endpoint.reset();
      r.stopped_at = std::chrono::steady_clock::now();
      notify = true;
      spdlog::warn("op=list-and-watch resource={} event=stream-ended status=\"{}\" grace_ms={}", ep->resource,
                   status.ok() ? "ok" : GoGrpcError(status), options_.grace.count());
    }
  }
  cv_.notify_all();
  if (notify) Notify();
}

void DeviceManager::Housekeeping() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    auto next = now + std::chrono::hours(1);
    bool changed = false;
    for (auto& [name, r] : resources_) {
      if (r.endpoint || !r.registered || r.removed) continue;
      auto due = r.stopped_at + options_.grace;
      if (due <= now) {
        spdlog::info("op=remove-resource resource={} event=\"Set capacity for removed resource to 0\"", name);
        r.removed = true;
        r.registered = false;
        r.devices.clear();
        changed = true;
      } else {
        next = std::min(next, due);
      }
    }
    if (changed) {
      WriteCheckpointLocked();
      lock.unlock();
      Notify();
      lock.lock();
      continue;
    }
    cv_.wait_until(lock, next);
  }
}

std::map<std::string, ResourceCount> DeviceManager::Capacity() const {
  std::lock_guard lock(mu_);
  std::map<std::string, ResourceCount> out;
  for (const auto& [name, r] : resources_) {
    ResourceCount c;
    for (const auto& [id, d] : r.devices) {
      ++c.capacity;
      if (d.health == kHealthy) ++c.allocatable;
    }
    out[name] = c;
  }
  return out;
}

bool DeviceManager::Manages(const std::string& resource) const {
  std::lock_guard lock(mu_);
  auto it = resources_.find(resource);
  return it != resources_.end() && it->second.registered;
}

std::map<std::string, std::map<std::string, Device>> DeviceManager::Devices() const {
  std::lock_guard lock(mu_);
  std::map<std::string, std::map<std::string, Device>> out;
  for (const auto& [name, r] : resources_) {
    if (r.registered) out[name] = r.devices;
  }
  return out;
}

std::string DeviceManager::AllocateOne(const std::shared_ptr<Endpoint>& ep, const std::string& resource,
                                       const std::vector<std::string>& available, int64_t n,
                                       ContainerAllocation* out) {
  std::vector<std::string> chosen;
  if (ep->preferred) {
    v1beta1::PreferredAllocationRequest req;
    auto* c = req.add_container_requests();
    for (const auto& id : available) c->add_available_deviceids(id);
    c->set_allocation_size(static_cast<int32_t>(n));
    v1beta1::PreferredAllocationResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    auto s = ep->stub->GetPreferredAllocation(&ctx, req, &resp);
    if (!s.ok()) return GoGrpcError(s);
    // Kubelet keeps the preferred IDs that are available, then fills up.
    if (resp.container_responses_size() > 0) {
      for (const auto& id : resp.container_responses(0).deviceids()) {
        if (static_cast<int64_t>(chosen.size()) == n) break;
        if (std::find(available.begin(), available.end(), id) != available.end() &&
            std::find(chosen.begin(), chosen.end(), id) == chosen.end()) {
          chosen.push_back(id);
        }
      }
    }
  }
  for (const auto& id : available) {
    if (static_cast<int64_t>(chosen.size()) == n) break;
    if (std::find(chosen.begin(), chosen.end(), id) == chosen.end()) chosen.push_back(id);
  }
  v1beta1::AllocateRequest req;
  auto* c = req.add_container_requests();
  for (const auto& id : chosen) c->add_devices_ids(id);
  v1beta1::AllocateResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto s = ep->stub->Allocate(&ctx, req, &resp);
  if (!s.ok()) return GoGrpcError(s);
  if (resp.container_responses_size() == 0) return "failed to allocate devices: empty response from " + resource;
  if (ep->pre_start) {
    v1beta1::PreStartContainerRequest preq;
    for (const auto& id : chosen) preq.add_devices_ids(id);
    v1beta1::PreStartContainerResponse presp;
    grpc::ClientContext pctx;
    pctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto ps = ep->stub->PreStartContainer(&pctx, preq, &presp);
    if (!ps.ok()) return GoGrpcError(ps);
  }
  out->resource = resource;
  out->device_ids = chosen;
  resp.container_responses(0).SerializeToString(&out->response);
  return "";
}

AdmitResult DeviceManager::Admit(const std::string& pod_uid, const std::string& pod_name,
                                 const std::string& pod_namespace, const std::vector<ContainerRequest>& containers) {
  std::vector<ContainerAllocation> made;
  auto fail = [&](const std::string& why) {
    AdmitResult r;
    r.reason = "UnexpectedAdmissionError";
    r.message = "Pod was rejected: Allocate failed due to " + why + ", which is unexpected";
    return r;
  };
  // Allocations already held by this pod (checkpoint) are reused, never redone.
  if (HasAllocations(pod_uid)) {
    Adopt(pod_uid, pod_name, pod_namespace);
    AdmitResult ok;
    ok.admitted = true;
    return ok;
  }
  for (const auto& c : containers) {
    for (const auto& [resource, n] : c.resources) {
      if (n <= 0) continue;
      std::shared_ptr<Endpoint> ep;
      std::vector<std::string> available;
      size_t healthy = 0;
      {
        std::lock_guard lock(mu_);
        auto it = resources_.find(resource);
        if (it == resources_.end() || !it->second.registered) continue;  // not a device-plugin resource
        std::set<std::string> used;
        for (const auto& a : allocations_) {
          if (a.resource == resource) used.insert(a.device_ids.begin(), a.device_ids.end());
        }
        for (const auto& a : made) {
          if (a.resource == resource) used.insert(a.device_ids.begin(), a.device_ids.end());
        }
        for (const auto& [id, d] : it->second.devices) {
          if (d.health != kHealthy) continue;
          ++healthy;
          if (!used.count(id)) available.push_back(id);
        }
        ep = it->second.endpoint;
      }
      if (healthy == 0 || !ep) {
        return fail("no healthy devices present; cannot allocate unhealthy devices " + resource);
      }
      if (static_cast<int64_t>(available.size()) < n) {
        return fail("requested number of devices unavailable for " + resource + ". Requested: " + std::to_string(n) +
                    ", Available: " + std::to_string(available.size()));
      }
      ContainerAllocation a;
      a.pod_uid = pod_uid;
      a.pod_name = pod_name;
      a.pod_namespace = pod_namespace;
      a.container = c.name;
      std::string err = AllocateOne(ep, resource, available, n, &a);
      if (!err.empty()) {
        spdlog::warn("op=allocate pod={}/{} container={} resource={} error=\"{}\"", pod_namespace, pod_name, c.name,
                     resource, err);
        return fail(err);
      }
      spdlog::info("op=allocate pod={}/{} container={} resource={} devices={}", pod_namespace, pod_name, c.name,
                   resource, fmt::join(a.device_ids, ","));
      made.push_back(std::move(a));
    }
  }
  {
    std::lock_guard lock(mu_);
    for (auto& a : made) allocations_.push_back(std::move(a));
    WriteCheckpointLocked();
  }
  AdmitResult ok;
  ok.admitted = true;
  return ok;
}

bool DeviceManager::Adopt(const std::string& pod_uid, const std::string& pod_name, const std::string& pod_namespace) {
  std::lock_guard lock(mu_);
  bool any = false;
  for (auto& a : allocations_) {
    if (a.pod_uid != pod_uid) continue;
    a.pod_name = pod_name;
    a.pod_namespace = pod_namespace;
    any = true;
  }
  return any;
}

bool DeviceManager::HasAllocations(const std::string& pod_uid) const {
  std::lock_guard lock(mu_);
  return std::any_of(allocations_.begin(), allocations_.end(),
                     [&](const ContainerAllocation& a) { return a.pod_uid == pod_uid; });
}

void DeviceManager::Release(const std::string& pod_uid) {
  {
    std::lock_guard lock(mu_);
    auto before = allocations_.size();
    std::erase_if(allocations_, [&](const ContainerAllocation& a) { return a.pod_uid == pod_uid; });
    if (before == allocations_.size()) return;
    WriteCheckpointLocked();
  }
  Notify();
}

std::vector<ContainerAllocation> DeviceManager::Allocations() const {
  std::lock_guard lock(mu_);
  return allocations_;
}

std::vector<ContainerAllocation> DeviceManager::AllocationsOf(const std::string& pod_uid) const {
  std::lock_guard lock(mu_);
  std::vector<ContainerAllocation> out;
  for (const auto& a : allocations_) {
    if (a.pod_uid == pod_uid) out.push_back(a);
  }
  return out;
}

// Kubelet's shape (checkpoint.Data): PodDeviceEntries with DeviceIDs keyed by
// NUMA node ("-1" for a device without topology) and AllocResp as base64 of
// the ContainerAllocateResponse bytes; RegisteredDevices per resource.
std::string DeviceManager::WriteCheckpointLocked() const {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& a : allocations_) {
    nlohmann::json by_numa = nlohmann::json::object();
    auto rit = resources_.find(a.resource);
    for (const auto& id : a.device_ids) {
      std::string numa = "-1";
      if (rit != resources_.end()) {
        auto dit = rit->second.devices.find(id);
        if (dit != rit->second.devices.end() && !dit->second.numa.empty()) numa = std::to_string(dit->second.numa[0]);
      }
      by_numa[numa].push_back(id);
    }
    entries.push_back({{"PodUID", a.pod_uid},
                       {"ContainerName", a.container},
                       {"ResourceName", a.resource},
                       {"DeviceIDs", by_numa},
                       {"AllocResp", kube::EncodeBase64(a.response)}});
  }
  nlohmann::json registered = nlohmann::json::object();
  for (const auto& [name, r] : resources_) {
    if (!r.registered) continue;
    auto& ids = registered[name] = nlohmann::json::array();
    for (const auto& [id, d] : r.devices) ids.push_back(id);
  }
  nlohmann::json data = {{"PodDeviceEntries", entries}, {"RegisteredDevices", registered}};
  nlohmann::json doc = {{"Data", data}, {"Checksum", Fnv1a(data.dump())}};
  std::string path = (fs::path(options_.plugin_dir) / kCheckpointName).string();
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << doc.dump();
    if (!f) return "write " + tmp + " failed";
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    spdlog::error("op=write-checkpoint path={} error=\"{}\"", path, ec.message());
    return ec.message();
  }
  return "";
}

void DeviceManager::ReadCheckpoint() {
  std::string path = (fs::path(options_.plugin_dir) / kCheckpointName).string();
  std::ifstream f(path);
  if (!f) return;  // first start
  std::stringstream ss;
  ss << f.rdbuf();
  auto warn = [&](const std::string& why) {
    spdlog::warn("op=read-checkpoint path={} error=\"{}\" event=\"continue after failing to read checkpoint file. "
                 "Device allocation info may NOT be up-to-date\"",
                 path, why);
  };
  nlohmann::json doc = nlohmann::json::parse(ss.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("Data") || !doc["Data"].is_object()) {
    return warn("checkpoint is corrupted: not kubelet's JSON shape");
  }
  if (!doc.contains("Checksum") || !doc["Checksum"].is_number() ||
      doc["Checksum"].get<uint64_t>() != Fnv1a(doc["Data"].dump())) {
    return warn("checkpoint is corrupted: checksum mismatch");
  }
  std::vector<ContainerAllocation> restored;
  const auto& entries = doc["Data"].value("PodDeviceEntries", nlohmann::json::array());
  for (const auto& e : entries) {
    if (!e.is_object()) return warn("checkpoint is corrupted: a PodDeviceEntry is not an object");
    ContainerAllocation a;
    a.pod_uid = e.value("PodUID", "");
    a.container = e.value("ContainerName", "");
    a.resource = e.value("ResourceName", "");
    const nlohmann::json by_numa = e.value("DeviceIDs", nlohmann::json::object());
    for (const auto& [numa, ids] : by_numa.items()) {
      for (const auto& id : ids) {
        if (id.is_string()) a.device_ids.push_back(id.get<std::string>());
      }
    }
    auto resp = kube::DecodeBase64(e.value("AllocResp", ""));
    if (!resp) return warn("checkpoint is corrupted: AllocResp is not base64");
    a.response = *resp;
    restored.push_back(std::move(a));
  }
  std::lock_guard lock(mu_);
  allocations_ = std::move(restored);
  spdlog::info("op=read-checkpoint path={} allocations={}", path, allocations_.size());
}

}  // namespace simkubelet
