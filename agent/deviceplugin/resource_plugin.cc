#include "agent/deviceplugin/resource_plugin.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "api/group_version.h"

namespace deviceplugin {
namespace {

std::string FullName(const std::string& resource) { return std::string(api::kResourcePrefix) + resource; }

// Forwards each call to the plugin; a new one per server because gRPC binds
// a service object to the first server it is registered with.
class GrpcService final : public v1beta1::DevicePlugin::Service {
 public:
  explicit GrpcService(ResourcePlugin* p) : p_(p) {}
  grpc::Status GetDevicePluginOptions(grpc::ServerContext* c, const v1beta1::Empty* in,
                                      v1beta1::DevicePluginOptions* out) override {
    return p_->GetDevicePluginOptions(c, in, out);
  }
  grpc::Status ListAndWatch(grpc::ServerContext* c, const v1beta1::Empty* in,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* w) override {
    return p_->ListAndWatch(c, in, w);
  }
  grpc::Status GetPreferredAllocation(grpc::ServerContext* c, const v1beta1::PreferredAllocationRequest* in,
                                      v1beta1::PreferredAllocationResponse* out) override {
    return p_->GetPreferredAllocation(c, in, out);
  }
  grpc::Status Allocate(grpc::ServerContext* c, const v1beta1::AllocateRequest* in,
                        v1beta1::AllocateResponse* out) override {
    return p_->Allocate(c, in, out);
  }
  grpc::Status PreStartContainer(grpc::ServerContext* c, const v1beta1::PreStartContainerRequest* in,
                                 v1beta1::PreStartContainerResponse* out) override {
    return p_->PreStartContainer(c, in, out);
  }

 private:
  ResourcePlugin* p_;
};

v1beta1::ListAndWatchResponse ToProto(const ResourceDevices& r) {
  v1beta1::ListAndWatchResponse out;
  for (const VfDevice& d : r.devices) {
    v1beta1::Device* dev = out.add_devices();
    dev->set_id(d.id);
    dev->set_health(d.healthy() ? kHealthy : kUnhealthy);
    if (d.numa_node >= 0) dev->mutable_topology()->add_nodes()->set_id(d.numa_node);
  }
  return out;
}

bool DirExists(const std::string& dir) {
  struct stat st {};
  return ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::string EndpointName(const std::string& resource) { return std::string("rdma.dev_") + resource + ".sock"; }

ResourcePlugin::ResourcePlugin(std::string resource, PluginOptions options)
    : resource_(std::move(resource)), options_(std::move(options)) {
  devices_.resource = resource_;
}

ResourcePlugin::~ResourcePlugin() { Stop(); }

std::string ResourcePlugin::socket_path() const {
  std::string dir = options_.plugin_dir;
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return dir + EndpointName(resource_);
}

void ResourcePlugin::Start() {
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

void ResourcePlugin::Stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  thread_.request_stop();
  cv_.notify_all();
  thread_.join();
  Shutdown();
  spdlog::info("op=device-plugin-stop resource={}", FullName(resource_));
}

void ResourcePlugin::SetDevices(ResourceDevices devices) {
  {
    std::lock_guard lock(mu_);
    if (devices == devices_) return;
    devices_ = std::move(devices);
    ++version_;
    PublishDeviceCounts(devices_);
  }
  cv_.notify_all();
}

ResourceDevices ResourcePlugin::Devices() const {
  std::lock_guard lock(mu_);
  return devices_;
}

void ResourcePlugin::Restart() {
  {
    std::lock_guard lock(mu_);
    want_serve_ = want_register_ = retry_now_ = true;
  }
  cv_.notify_all();
}

void ResourcePlugin::KubeletAppeared() {
  {
    std::lock_guard lock(mu_);
    if (!registered_) retry_now_ = true;
  }
  cv_.notify_all();
}

void ResourcePlugin::DirAppeared() {
  {
    std::lock_guard lock(mu_);
    if (!server_) retry_now_ = true;
  }
  cv_.notify_all();
}

bool ResourcePlugin::Registered() const {
  std::lock_guard lock(mu_);
  return registered_;
}

std::pair<dev_t, ino_t> ResourcePlugin::SocketIdentity() const {
  std::lock_guard lock(mu_);
  return socket_id_;
}

// Serve, then register; on failure wait (backoff, or until a hint that it
// may work now) and try again. Runs until Stop.
void ResourcePlugin::Loop(std::stop_token stop) {
  std::chrono::milliseconds backoff{0};
  std::string last_error;
  while (!stop.stop_requested()) {
    bool serve = false, reg = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] { return stopping_ || retry_now_ || (backoff.count() == 0 && (want_serve_ || want_register_)); };
      if (backoff.count() > 0) {
        cv_.wait_for(lock, stop, backoff, ready);
      } else {
        cv_.wait(lock, stop, ready);
      }
      if (stopping_ || stop.stop_requested()) break;
      retry_now_ = false;
      serve = want_serve_;
      reg = want_register_;
      if (serve) registered_ = false;
    }
    std::string error;
    if (serve) {
      Shutdown();
      error = Serve();
      if (error.empty()) {
        std::lock_guard lock(mu_);
        want_serve_ = false;
      }
    }
    if (error.empty() && reg) {
      error = RegisterWithKubelet();
      std::lock_guard lock(mu_);
      if (error.empty()) {
        want_register_ = false;
        registered_ = true;
      }
    }
    if (error.empty()) {
      if (!last_error.empty() || reg) {
        spdlog::info("op=device-plugin-register resource={} endpoint={} result=registered", FullName(resource_),
                     socket_path());
      }
      last_error.clear();
      backoff = std::chrono::milliseconds(0);
      continue;
    }
    backoff = std::clamp(backoff * 2, options_.backoff_min, options_.backoff_max);
    // The same error again is a debug line: kubelet may be down for a while.
    if (error != last_error) {
      spdlog::error("op=device-plugin-register resource={} error=\"{}\" retry_in_ms={}", FullName(resource_), error,
                    backoff.count());
    } else {
      spdlog::debug("op=device-plugin-register resource={} error=\"{}\" retry_in_ms={}", FullName(resource_), error,
                    backoff.count());
    }
    last_error = error;
  }
}

std::string ResourcePlugin::Serve() {
  const std::string path = socket_path();
  if (!DirExists(options_.plugin_dir)) {
    return "device-plugins dir " + options_.plugin_dir +
           " does not exist (is kubelet running on this node, and is the dir mounted into the agent?)";
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return "remove stale socket " + path + ": " + std::strerror(errno);
  }
  auto service = std::make_unique<GrpcService>(this);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return "serve on " + path + " failed (gRPC could not bind the socket)";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    server->Shutdown();
    return "socket " + path + " vanished right after binding: " + std::strerror(errno);
  }
  std::lock_guard lock(mu_);
  service_ = std::move(service);
  server_ = std::move(server);
  socket_id_ = {st.st_dev, st.st_ino};
  return "";
}

void ResourcePlugin::Shutdown() {
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::Service> service;
  {
    std::lock_guard lock(mu_);
    if (!server_) return;
    ++serve_epoch_;  // open ListAndWatch handlers return, so Shutdown need not wait for them
    registered_ = false;
    socket_id_ = {0, 0};
    server = std::move(server_);
    service = std::move(service_);
  }
  cv_.notify_all();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  server->Wait();
  ::unlink(socket_path().c_str());
}

std::string ResourcePlugin::RegisterWithKubelet() {
  const std::string kubelet = options_.plugin_dir + (options_.plugin_dir.ends_with('/') ? "" : "/") + kKubeletSocket;
  auto channel = grpc::CreateChannel("unix://" + kubelet, grpc::InsecureChannelCredentials());
  auto stub = v1beta1::Registration::NewStub(channel);
  v1beta1::RegisterRequest req;
  req.set_version(kApiVersion);
  req.set_endpoint(EndpointName(resource_));
  req.set_resource_name(FullName(resource_));
  req.mutable_options()->set_get_preferred_allocation_available(true);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.register_timeout);
  v1beta1::Empty out;
  grpc::Status st = stub->Register(&ctx, req, &out);
  Count("rdma_agent_device_plugin_registrations_total", "Registrations with kubelet, by result",
        {{"resource", FullName(resource_)}, {"result", st.ok() ? "success" : "failure"}});
  if (st.ok()) return "";
  if (st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return "kubelet at " + kubelet + " did not answer Register within " +
           std::to_string(options_.register_timeout.count()) + " ms";
  }
  if (st.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return "kubelet at " + kubelet + " is not reachable: " + st.error_message();
  }
  return "kubelet at " + kubelet + " refused the registration: " + st.error_message();
}

grpc::Status ResourcePlugin::GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                                    v1beta1::DevicePluginOptions* out) {
  out->set_get_preferred_allocation_available(true);
  out->set_pre_start_required(false);
  return grpc::Status::OK;
}

grpc::Status ResourcePlugin::ListAndWatch(grpc::ServerContext* ctx, const v1beta1::Empty*,
                                          grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) {
  std::unique_lock lock(mu_);
  const uint64_t epoch = serve_epoch_;
  bool first = true;
  uint64_t sent = 0;
  spdlog::info("op=list-and-watch-open resource={} devices={}", FullName(resource_), devices_.devices.size());
  while (!stopping_ && serve_epoch_ == epoch && !ctx->IsCancelled()) {
    if (first || sent != version_) {
      v1beta1::ListAndWatchResponse resp = ToProto(devices_);
      sent = version_;
      first = false;
      lock.unlock();
      const bool ok = writer->Write(resp);
      lock.lock();
      if (!ok) break;  // kubelet went away
      continue;
    }
    // Changes wake this at once; the timeout only notices a stream that
    // kubelet cancelled while nothing changed.
    cv_.wait_for(lock, std::chrono::seconds(1));
  }
  return grpc::Status::OK;
}

grpc::Status ResourcePlugin::GetPreferredAllocation(grpc::ServerContext*, const v1beta1::PreferredAllocationRequest* req,
                                                    v1beta1::PreferredAllocationResponse* out) {
  const ResourceDevices devices = Devices();
  for (const auto& c : req->container_requests()) {
    std::vector<std::string> available(c.available_deviceids().begin(), c.available_deviceids().end());
    std::vector<std::string> must(c.must_include_deviceids().begin(), c.must_include_deviceids().end());
    auto* r = out->add_container_responses();
    for (const std::string& id : PreferDevices(devices, available, must, c.allocation_size())) r->add_deviceids(id);
  }
  return grpc::Status::OK;
}

grpc::Status ResourcePlugin::Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* req,
                                      v1beta1::AllocateResponse* out) {
  const ResourceDevices devices = Devices();
  const std::string name = FullName(resource_);
  for (const auto& c : req->container_requests()) {
    std::set<std::string> seen;
    std::vector<std::string> ids;
    for (const std::string& id : c.devices_ids()) {
      std::string error;
      const VfDevice* d = devices.Find(id);
      if (!seen.insert(id).second) {
        error = "device " + id + " is requested twice";
      } else if (!d) {
        error = "device " + id + " is not a device of " + name + " on this node";
      } else if (!d->healthy()) {
        error = "device " + id + " is Unhealthy: " + d->why_unhealthy;
      }
      if (!error.empty()) {
        Count("rdma_agent_device_plugin_allocate_errors_total", "Allocate calls answered with an error",
              {{"resource", name}});
        spdlog::warn("op=allocate resource={} error=\"{}\"", name, error);
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, name + ": " + error);
      }
      ids.push_back(id);
    }
    *out->add_container_responses() = ContainerResponse(devices, ids, options_.use_cdi && devices.exclusive);
    spdlog::info("op=allocate resource={} devices={}", name, fmt::join(ids, ","));
  }
  Count("rdma_agent_device_plugin_allocations_total", "Allocate calls answered", {{"resource", name}});
  return grpc::Status::OK;
}

grpc::Status ResourcePlugin::PreStartContainer(grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
                                               v1beta1::PreStartContainerResponse*) {
  return grpc::Status::OK;  // not requested in the options; kubelet does not call it
}

void ResourcePlugin::Count(const std::string& name, const std::string& help, kube::MetricLabels labels) {
  if (options_.metrics) options_.metrics->GetCounter(name, help, labels).Inc();
}

void ResourcePlugin::PublishDeviceCounts(const ResourceDevices& d) {
  if (!options_.metrics) return;
  int healthy = 0;
  for (const VfDevice& v : d.devices) healthy += v.healthy() ? 1 : 0;
  const std::string name = FullName(resource_);
  const char* help = "Devices advertised to kubelet, by health";
  options_.metrics->GetGauge("rdma_agent_device_plugin_devices", help, {{"resource", name}, {"health", kHealthy}})
      .Set(healthy);
  options_.metrics
      ->GetGauge("rdma_agent_device_plugin_devices", help, {{"resource", name}, {"health", kUnhealthy}})
      .Set(static_cast<double>(d.devices.size()) - healthy);
}

}  // namespace deviceplugin
