// FakeNetdevBackend: netdevs as names only, for running a SimulatedNode in
// unit tests without root or network namespaces.
#pragma once

#include <cerrno>
#include <map>
#include <string>

#include "e2e/sim/netdev_backend.h"

namespace sim {

class FakeNetdevBackend : public NetdevBackend {
 public:
  host::Result<Netdev> Create(const std::string& name, const std::string& mac) override {
    for (const auto& [index, n] : names_) {
      if (n == name) return host::Error{"create veth " + name + ": File exists", EEXIST};
    }
    Netdev nd;
    nd.ifindex = next_++;
    nd.peer_ifindex = next_++;
    nd.name = name;
    names_[nd.ifindex] = name;
    macs_[name] = mac;
    return nd;
  }
  host::Status Destroy(const Netdev& nd) override {
    names_.erase(nd.ifindex);
    return host::Status::Ok();
  }
  std::string CurrentName(const Netdev& nd) override {
    auto it = names_.find(nd.ifindex);
    return it == names_.end() ? "" : it->second;
  }
  bool LinksChanged() override {
    bool c = changed_;
    changed_ = false;
    return c;
  }

  // What a rename or a move to a pod looks like from the node.
  void Rename(const std::string& from, const std::string& to) {
    for (auto& [index, n] : names_)
      if (n == from) n = to;
    changed_ = true;
  }
  void MoveAway(const std::string& name) {
    std::erase_if(names_, [&](const auto& kv) { return kv.second == name; });
    changed_ = true;
  }
  size_t count() const { return names_.size(); }
  std::string mac(const std::string& name) const { return macs_.count(name) ? macs_.at(name) : ""; }

 private:
  std::map<int, std::string> names_;  // ifindex -> current name; absent once moved or destroyed
  std::map<std::string, std::string> macs_;
  int next_ = 10;
  bool changed_ = false;
};

}  // namespace sim
