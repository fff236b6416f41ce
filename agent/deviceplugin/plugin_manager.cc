#include "agent/deviceplugin/plugin_manager.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "agent/discovery.h"

namespace deviceplugin {

namespace {

VfExtras ReadOne(host::Sysfs& sysfs, const api::VfStatus& vf) {
  VfExtras e;
  const std::string dir = std::string(agent::kPciDevices) + vf.pci_address;
  if (auto numa = agent::ReadInt(sysfs, dir + "/numa_node"); numa.ok()) e.numa_node = *numa;
  if (const std::string uverbs = UverbsName(vf); !uverbs.empty()) {
    if (auto dev = sysfs.Read(dir + "/infiniband_verbs/" + uverbs + "/dev"); dev.ok()) e.uverbs_dev = *dev;
  }
  e.umad = agent::FirstEntry(sysfs, vf.pci_address, "infiniband_mad");
  if (!e.umad.empty()) {
    if (auto dev = sysfs.Read(dir + "/infiniband_mad/" + e.umad + "/dev"); dev.ok()) e.umad_dev = *dev;
  }
  return e;
}

}  // namespace

std::map<std::string, VfExtras> ReadVfExtras(host::Sysfs& sysfs, const api::RdmaNodeStateStatus& status) {
  std::map<std::string, VfExtras> out;
  for (const api::InterfaceStatus& pf : status.interfaces) {
    for (const api::VfStatus& vf : pf.vfs) {
      if (!vf.pci_address.empty()) out[vf.pci_address] = ReadOne(sysfs, vf);
    }
  }
  return out;
}

std::map<std::string, VfExtras> VfExtrasReader::Read(const api::RdmaNodeStateStatus& status) {
  std::lock_guard lock(mu_);
  std::map<std::string, VfExtras> out;
  std::map<std::string, Entry> next;
  for (const api::InterfaceStatus& pf : status.interfaces) {
    for (const api::VfStatus& vf : pf.vfs) {
      if (vf.pci_address.empty()) continue;
      auto it = cache_.find(vf.pci_address);
      Entry e;
      if (it != cache_.end() && it->second.rdma_device == vf.rdma_device &&
          it->second.uverbs_device == vf.uverbs_device) {
        e = it->second;
      } else {
        e = Entry{vf.rdma_device, vf.uverbs_device, ReadOne(sysfs_, vf)};
      }
      out[vf.pci_address] = e.extras;
      next[vf.pci_address] = std::move(e);
    }
  }
  cache_ = std::move(next);  // VFs that are gone are forgotten
  return out;
}

DevicePluginManager::DevicePluginManager(ManagerOptions options) : options_(std::move(options)) {}

DevicePluginManager::~DevicePluginManager() { Stop(); }

void DevicePluginManager::Start() {
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  watcher_ = std::jthread([this](std::stop_token stop) { Watch(stop); });
}

void DevicePluginManager::Stop() {
  if (watcher_.joinable()) {
    watcher_.request_stop();
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
    watcher_.join();
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
  stop_fd_ = -1;
  std::map<std::string, std::unique_ptr<ResourcePlugin>> plugins;
  {
    std::lock_guard lock(mu_);
    plugins.swap(plugins_);
  }
  plugins.clear();  // each stops serving and removes its socket
}

void DevicePluginManager::Update(const api::RdmaNodeStateSpec& spec, const api::RdmaNodeStateStatus& status,
                                 const std::map<std::string, VfExtras>& extras) {
  std::vector<std::unique_ptr<ResourcePlugin>> gone;
  {
    std::lock_guard lock(mu_);
    Inventory next = BuildInventory(spec, status, extras, current_, applied_specs_);
    for (const api::InterfaceSpec& want : spec.interfaces)
      if (PfApplied(status, want.pci_address)) applied_specs_[want.pci_address] = want;
    for (auto it = plugins_.begin(); it != plugins_.end();) {
      if (next.count(it->first)) {
        ++it;
        continue;
      }
      spdlog::info("op=device-plugin-remove resource=rdma.dev/{} reason=\"no vfGroup names it any more\"", it->first);
      RemoveCdiSpec(it->first);
      gone.push_back(std::move(it->second));
      it = plugins_.erase(it);
    }
    for (const auto& [name, devices] : next) {
      auto& plugin = plugins_[name];
      const bool is_new = !plugin;
      if (is_new) plugin = std::make_unique<ResourcePlugin>(name, options_.plugin);
      auto before = current_.find(name);
      const bool changed = before == current_.end() || !(before->second == devices);
      // The CDI spec first: a name Allocate hands out must resolve.
      if (changed && devices.exclusive && !options_.cdi_dir.empty()) WriteCdiSpec(devices);
      plugin->SetDevices(devices);
      if (is_new) plugin->Start();
    }
    current_ = std::move(next);
  }
  gone.clear();  // outside the lock: stopping waits for the plugin's thread
}

Inventory DevicePluginManager::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void DevicePluginManager::MarkReprobing(const std::string& pci) {
  std::lock_guard lock(mu_);
  for (auto& [name, r] : current_) {
    for (VfDevice& d : r.devices) {
      if (d.id != pci || !d.healthy()) continue;
      d.why_unhealthy = "the agent is re-probing it (unbind and bind for new GUIDs)";
      if (auto it = plugins_.find(name); it != plugins_.end()) it->second->SetDevices(r);
    }
  }
}

ResourcePlugin* DevicePluginManager::Plugin(const std::string& resource) {
  std::lock_guard lock(mu_);
  auto it = plugins_.find(resource);
  return it == plugins_.end() ? nullptr : it->second.get();
}

void DevicePluginManager::OnDirEvent(const std::string& name, bool removed) {
  std::lock_guard lock(mu_);
  if (name == kKubeletSocket) {
    if (removed) return;  // a stopping kubelet leaves it; a starting one replaces it
    spdlog::info("op=kubelet-socket-created dir={}", options_.plugin.plugin_dir);
    for (auto& [_, p] : plugins_) p->KubeletAppeared();
    return;
  }
  if (!removed) return;
  for (auto& [resource, p] : plugins_) {
    if (EndpointName(resource) != name) continue;
    const auto ours = p->SocketIdentity();
    if (ours.second == 0) return;  // not serving: it is (re)starting and will register
    struct stat st {};
    if (::stat(p->socket_path().c_str(), &st) == 0 && st.st_dev == ours.first && st.st_ino == ours.second) {
      return;  // our own unlink before a re-bind; the new socket is there
    }
    spdlog::warn("op=device-plugin-socket-deleted resource=rdma.dev/{} socket={} action=\"serve again and "
                 "re-register (kubelet restarted)\"",
                 resource, p->socket_path());
    p->Restart();
  }
}

void DevicePluginManager::Watch(std::stop_token stop) {
  const std::string dir = options_.plugin.plugin_dir;
  std::chrono::milliseconds backoff{0};
  bool logged_missing = false;
  while (!stop.stop_requested()) {
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int wd = fd < 0 ? -1
                    : ::inotify_add_watch(fd, dir.c_str(),
                                          IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF |
                                              IN_MOVE_SELF | IN_ONLYDIR);
    if (wd < 0) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      if (!logged_missing) {
        spdlog::error("op=watch-device-plugins-dir dir={} error=\"{}\" hint=\"kubelet creates it; the agent needs it "
                      "mounted (hostPath /var/lib/kubelet/device-plugins)\"",
                      dir, std::strerror(err));
        logged_missing = true;
      }
      // Retried, not watched (its parent may not exist either); at most every 5 s.
      backoff = std::clamp(backoff * 2, std::chrono::milliseconds(500), std::chrono::milliseconds(5000));
      pollfd p{stop_fd_, POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(backoff.count()));
      continue;
    }
    if (logged_missing) {
      spdlog::info("op=watch-device-plugins-dir dir={} result=watching", dir);
      std::lock_guard lock(mu_);
      for (auto& [_, pl] : plugins_) pl->DirAppeared();
    }
    logged_missing = false;
    backoff = std::chrono::milliseconds(0);
    bool watching = true;
    while (watching && !stop.stop_requested()) {
      pollfd fds[2] = {{fd, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[1].revents) break;
      alignas(inotify_event) char buf[8192];
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) continue;
      for (ssize_t off = 0; off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
          watching = false;  // the dir itself went away: watch it again once it is back
          continue;
        }
        if (ev->len == 0) continue;
        OnDirEvent(ev->name, (ev->mask & (IN_DELETE | IN_MOVED_FROM)) != 0);
      }
    }
    ::close(fd);
  }
}

void DevicePluginManager::WriteCdiSpec(const ResourceDevices& r) {
  const std::string path = options_.cdi_dir + "/" + CdiFileName(r.resource);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << CdiSpec(r).dump(2) << "\n";
    if (!out.good()) {
      spdlog::error("op=write-cdi-spec resource=rdma.dev/{} path={} error=\"cannot write (does the CDI dir exist "
                    "and is it mounted?)\"",
                    r.resource, tmp);
      return;
    }
  }
  // Runtimes watch the dir and reload on rename: they never see half a file.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    spdlog::error("op=write-cdi-spec resource=rdma.dev/{} path={} error=\"{}\"", r.resource, path,
                  std::strerror(errno));
  }
}

void DevicePluginManager::RemoveCdiSpec(const std::string& resource) {
  if (options_.cdi_dir.empty()) return;
  ::unlink((options_.cdi_dir + "/" + CdiFileName(resource)).c_str());
}

}  // namespace deviceplugin
