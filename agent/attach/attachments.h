// AttachmentStore: what rdma-agent has attached, one record per (container
// ID, interface name), persisted on the host so that an agent restart, a
// late DEL or a crash mid-ADD finds exactly what was done.
//
// A record is written (phase Adding, with the VF's settings from before and
// the address it holds) before the host is touched, and rewritten as
// Attached when the ADD finished; DEL removes it. So an address is held
// from the moment it is picked until the record is gone, across restarts,
// and an Adding record found at start is an ADD the agent died in, to be
// undone. One file per record under the store's directory, each replaced
// atomically (host::StateFile).
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/host/result.h"
#include "api/ip_address.h"
#include "api/rdma_node_state.h"

namespace attach {

inline constexpr char kPhaseAdding[] = "Adding";
inline constexpr char kPhaseAttached[] = "Attached";

struct Attachment {
  std::string container_id;
  std::string ifname;  // CNI_IFNAME
  std::string netns;   // CNI_NETNS
  std::string pod_namespace, pod_name, pod_uid;  // from CNI_ARGS K8S_POD_*
  std::string pci;        // the VF
  std::string pf_netdev;  // its PF, as named when the ADD ran
  uint32_t vf = 0;
  std::string host_ifname;  // the VF netdev's name in the host before the ADD
  uint32_t host_mtu = 0;
  // The PF-side settings the ADD changed, with their values from before:
  // {"vlan": [vlan, qos], "mac": "...", "rate": [min, max], "spoofchk": b,
  //  "trust": b, "link_state": n}. DEL restores exactly these.
  nlohmann::json vf_before = nlohmann::json::object();
  std::string network;  // "<namespace>/<name>" of the RdmaNetwork
  std::string address;  // the address held, "" without IPAM
  std::string phase;    // kPhaseAdding or kPhaseAttached
  nlohmann::json result;  // the ADD's result, for CHECK and a repeated ADD

  std::string Key() const { return container_id + "/" + ifname; }
};

nlohmann::json ToJson(const Attachment& a);
// An error naming the field when the record is not one we wrote.
host::Result<Attachment> AttachmentFromJson(const nlohmann::json& j);

// The records as RdmaNodeState status reports them, by pod then interface.
std::vector<api::AttachmentStatus> StatusOf(const std::vector<Attachment>& records);

class AttachmentStore {
 public:
  explicit AttachmentStore(std::string dir);

  // Called (outside the store's lock) after every change of the records,
  // e.g. to report them in status. Set before the store is used.
  void SetOnChange(std::function<void()> on_change) { on_change_ = std::move(on_change); }

  // Reads every record. A record that does not parse is an error naming the
  // file (and is left in place for a person to look at); the others load.
  host::Status Load();

  std::optional<Attachment> Find(const std::string& key) const;
  std::optional<Attachment> FindByPci(const std::string& pci) const;
  std::vector<Attachment> All() const;

  // Picks the lowest address in `blocks` (in order) that no record of the
  // same network holds and that is not `skip` (the gateway), sets it on
  // `a`, and writes the record, all under one lock so concurrent ADDs never
  // get the same address. Without blocks (no IPAM) only writes. ENOSPC when
  // every address is held.
  host::Status Reserve(Attachment& a, const std::vector<api::IpRange>& blocks,
                       const std::optional<api::IpAddress>& skip);
  // Writes (replaces) the record.
  host::Status Put(const Attachment& a);
  // Removes the record; no error when there is none.
  host::Status Erase(const std::string& key);

  // Addresses held per network, for status.
  std::map<std::string, size_t> HeldPerNetwork() const;

 private:
  std::string PathOf(const std::string& key) const;
  host::Status WriteLocked(const Attachment& a);
  // Reserve without telling on_change_.
  host::Status PickAndWrite(Attachment& a, const std::vector<api::IpRange>& blocks,
                            const std::optional<api::IpAddress>& skip);

  void Changed() const {
    if (on_change_) on_change_();
  }

  const std::string dir_;
  std::function<void()> on_change_;
  mutable std::mutex mu_;
  std::map<std::string, Attachment> records_;  // by Key()
};

}  // namespace attach
