#include "agent/attach/attachments.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <tuple>

#include "agent/host/state_file.h"

namespace attach {

using nlohmann::json;

json ToJson(const Attachment& a) {
  return json{{"containerID", a.container_id}, {"ifName", a.ifname},   {"netns", a.netns},
              {"podNamespace", a.pod_namespace}, {"podName", a.pod_name}, {"podUID", a.pod_uid},
              {"pci", a.pci},                  {"pfNetdev", a.pf_netdev}, {"vf", a.vf},
              {"hostIfName", a.host_ifname},   {"hostMtu", a.host_mtu}, {"vfBefore", a.vf_before},
              {"network", a.network},          {"address", a.address},  {"phase", a.phase},
              {"result", a.result}};
}

host::Result<Attachment> AttachmentFromJson(const json& j) {
  if (!j.is_object()) return host::Error{"not a JSON object", EINVAL};
  Attachment a;
  try {
    a.container_id = j.at("containerID").get<std::string>();
    a.ifname = j.at("ifName").get<std::string>();
    a.netns = j.value("netns", "");
    a.pod_namespace = j.value("podNamespace", "");
    a.pod_name = j.value("podName", "");
    a.pod_uid = j.value("podUID", "");
    a.pci = j.at("pci").get<std::string>();
    a.pf_netdev = j.value("pfNetdev", "");
    a.vf = j.value("vf", 0u);
    a.host_ifname = j.value("hostIfName", "");
    a.host_mtu = j.value("hostMtu", 0u);
    a.vf_before = j.value("vfBefore", json::object());
    a.network = j.value("network", "");
    a.address = j.value("address", "");
    a.phase = j.at("phase").get<std::string>();
    a.result = j.value("result", json());
  } catch (const json::exception& e) {
    return host::Error{std::string("bad attachment record: ") + e.what(), EINVAL};
  }
  if (a.container_id.empty() || a.ifname.empty() || a.pci.empty()) {
    return host::Error{"bad attachment record: containerID, ifName and pci must be set", EINVAL};
  }
  if (a.phase != kPhaseAdding && a.phase != kPhaseAttached) {
    return host::Error{"bad attachment record: phase \"" + a.phase + "\"", EINVAL};
  }
  return a;
}

AttachmentStore::AttachmentStore(std::string dir) : dir_(std::move(dir)) {}

std::string AttachmentStore::PathOf(const std::string& key) const {
  // Container IDs are [A-Za-z0-9_.-]; interface names have no '/'. The '/'
  // of the key becomes '_' only in the file name.
  std::string name = key;
  for (char& c : name)
    if (c == '/') c = '_';
  return dir_ + "/" + name + ".json";
}

host::Status AttachmentStore::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  records_.clear();
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return host::Status::Ok();
    return host::Error{"read attachments " + dir_ + ": " + std::strerror(errno), errno};
  }
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.substr(n.size() - 5) == ".json") names.push_back(n);
  }
  ::closedir(d);
  std::string problems;
  for (const std::string& n : names) {
    host::StateFile file(dir_ + "/" + n, "attachment");
    auto text = file.Read();
    host::Result<Attachment> a = host::Error{"", 0};
    if (!text.ok()) {
      a = text.error();
    } else if (!text->has_value()) {
      continue;
    } else {
      json j = json::parse(**text, nullptr, false);
      a = AttachmentFromJson(j);
    }
    if (!a.ok()) {
      problems += (problems.empty() ? "" : "; ") + dir_ + "/" + n + ": " + a.error().message;
      continue;
    }
    records_[a->Key()] = std::move(*a);
  }
  if (!problems.empty()) return host::Error{"load attachments: " + problems, EINVAL};
  return host::Status::Ok();
}

std::optional<Attachment> AttachmentStore::Find(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return it->second;
}

std::optional<Attachment> AttachmentStore::FindByPci(const std::string& pci) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, a] : records_)
    if (a.pci == pci) return a;
  return std::nullopt;
}

std::vector<Attachment> AttachmentStore::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Attachment> out;
  for (const auto& [key, a] : records_) out.push_back(a);
  return out;
}

host::Status AttachmentStore::WriteLocked(const Attachment& a) {
  host::StateFile file(PathOf(a.Key()), "attachment " + a.Key());
  host::Status st = file.WriteAtomically(ToJson(a).dump());
  if (st.ok()) records_[a.Key()] = a;
  return st;
}

host::Status AttachmentStore::Put(const Attachment& a) {
  host::Status st = [&] {
    std::lock_guard<std::mutex> lock(mu_);
    return WriteLocked(a);
  }();
  Changed();
  return st;
}

host::Status AttachmentStore::Reserve(Attachment& a, const std::vector<api::IpRange>& blocks,
                                      const std::optional<api::IpAddress>& skip) {
  host::Status st = PickAndWrite(a, blocks, skip);
  Changed();
  return st;
}

host::Status AttachmentStore::PickAndWrite(Attachment& a, const std::vector<api::IpRange>& blocks,
                                           const std::optional<api::IpAddress>& skip) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!blocks.empty()) {
    std::set<std::string> held;
    for (const auto& [key, r] : records_)
      if (r.network == a.network && !r.address.empty()) held.insert(r.address);
    std::optional<std::string> pick;
    for (const api::IpRange& block : blocks) {
      for (std::optional<api::IpAddress> ip = block.start; ip && *ip <= block.end && !pick; ip = ip->Plus(1)) {
        if (skip && *ip == *skip) continue;
        std::string text = ip->ToString();
        if (held.count(text) == 0) pick = std::move(text);
      }
      if (pick) break;
    }
    if (!pick) {
      return host::Error{"every address of this node's block of " + a.network + " is held (" +
                             std::to_string(held.size()) + " attachments)",
                         ENOSPC};
    }
    a.address = *pick;
  }
  return WriteLocked(a);
}

host::Status AttachmentStore::Erase(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string path = PathOf(key);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return host::Error{"remove attachment " + path + ": " + std::strerror(errno), errno};
    }
    records_.erase(key);
  }
  Changed();
  return host::Status::Ok();
}

std::vector<api::AttachmentStatus> StatusOf(const std::vector<Attachment>& records) {
  std::vector<api::AttachmentStatus> out;
  for (const Attachment& a : records) {
    api::AttachmentStatus s;
    s.pod = a.pod_namespace.empty() && a.pod_name.empty() ? "" : a.pod_namespace + "/" + a.pod_name;
    if (s.pod.empty()) s.pod = "container " + a.container_id;  // a runtime that sent no K8S_POD_* args
    s.pod_uid = a.pod_uid;
    s.interface_name = a.ifname;
    s.vf = a.pci;
    s.network = a.network;
    s.address = a.address;
    s.phase = a.phase;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const api::AttachmentStatus& x, const api::AttachmentStatus& y) {
    return std::tie(x.pod, x.interface_name) < std::tie(y.pod, y.interface_name);
  });
  return out;
}

std::map<std::string, size_t> AttachmentStore::HeldPerNetwork() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, size_t> out;
  for (const auto& [key, a] : records_)
    if (!a.address.empty()) ++out[a.network];
  return out;
}

}  // namespace attach
