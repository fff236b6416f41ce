#include "agent/attach/engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>

namespace attach {
namespace {

using nlohmann::json;

const std::string kDevices = "bus/pci/devices/";

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

cni::CniError Fail(int code, std::string msg, std::string details = "") {
  return cni::CniError{code, std::move(msg), std::move(details)};
}

cni::CniError HostFailure(const std::string& step, const host::Error& e) {
  return Fail(kHostFailure, step + ": " + e.message);
}

// The value of a CNI_ARGS key, or "".
std::string Arg(const cni::Invocation& inv, const std::string& key) {
  for (const auto& [k, v] : inv.cni_args)
    if (k == key) return v;
  return "";
}

// Steps to undo, run newest first unless dismissed.
class Undo {
 public:
  ~Undo() {
    if (dismissed_) return;
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) {
      host::Status st = it->second();
      if (!st.ok()) spdlog::warn("op=cni-add-rollback step=\"{}\" error=\"{}\"", it->first, st.message());
    }
  }
  void Push(std::string what, std::function<host::Status()> step) { steps_.emplace_back(std::move(what), std::move(step)); }
  void Dismiss() { dismissed_ = true; }

 private:
  std::vector<std::pair<std::string, std::function<host::Status()>>> steps_;
  bool dismissed_ = false;
};

void Join(std::string* errors, const host::Status& st) {
  if (st.ok()) return;
  if (!errors->empty()) *errors += "; ";
  *errors += st.message();
}

}  // namespace

json BuildResult(const std::string& cni_version, const json& prev_result, const std::string& ifname,
                 const std::string& mac, const std::string& netns, const std::string& pci,
                 const std::string& address_cidr, const NetConf& conf) {
  json result = prev_result.is_object() ? prev_result : json::object();
  result["cniVersion"] = cni_version;
  if (!result.contains("interfaces") || !result["interfaces"].is_array()) result["interfaces"] = json::array();
  json iface = {{"name", ifname}, {"mac", mac}, {"sandbox", netns}};
  if (cni::VersionAtLeast(cni_version, "1.0.0")) iface["pciID"] = pci;
  if (cni::VersionAtLeast(cni_version, "1.1.0") && conf.mtu) iface["mtu"] = *conf.mtu;
  result["interfaces"].push_back(iface);
  const int index = static_cast<int>(result["interfaces"].size()) - 1;
  if (!result.contains("ips") || !result["ips"].is_array()) result["ips"] = json::array();
  if (!address_cidr.empty()) {
    json ip = {{"address", address_cidr}, {"interface", index}};
    if (conf.ipam && conf.ipam->gateway) ip["gateway"] = conf.ipam->gateway->ToString();
    if (!cni::VersionAtLeast(cni_version, "1.0.0")) {
      ip["version"] = conf.ipam->subnet.address.family() == api::IpAddress::Family::kV4 ? "4" : "6";
    }
    result["ips"].push_back(ip);
  }
  if (conf.ipam && !conf.ipam->routes.empty()) {
    if (!result.contains("routes") || !result["routes"].is_array()) result["routes"] = json::array();
    for (const host::Route& r : conf.ipam->routes) {
      json route = {{"dst", r.destination.address + "/" + std::to_string(r.destination.prefix_length)}};
      if (!r.gateway.empty()) route["gw"] = r.gateway;
      result["routes"].push_back(route);
    }
  }
  return result;
}

AttachEngine::AttachEngine(EngineHost host, AttachmentStore& store, EngineOptions options)
    : host_(std::move(host)), store_(store), options_(std::move(options)) {}

host::Status AttachEngine::Start() {
  auto home = host::CurrentNetns();
  if (!home.ok()) return home.error();
  home_ = std::move(*home);
  host::Status loaded = store_.Load();
  if (!loaded.ok()) spdlog::error("op=load-attachments error=\"{}\"", loaded.message());
  for (const Attachment& a : store_.All()) {
    if (a.phase != kPhaseAdding) continue;
    // An ADD the agent died in: its runtime saw no answer and retries, so
    // everything it did is undone and the address released.
    std::lock_guard<std::mutex> lock(PfLockOf(a.pci));
    host::Status st = Teardown(a);
    spdlog::warn("op=recover-interrupted-add attachment={} pod={}/{} vf={} result=\"{}\"", a.Key(), a.pod_namespace,
                 a.pod_name, a.pci, st.ok() ? "undone" : st.message());
  }
  return loaded;
}

std::mutex& AttachEngine::PfLock(const std::string& pf_pci) {
  std::lock_guard<std::mutex> lock(locks_mu_);
  auto& m = pf_locks_[pf_pci];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

std::mutex& AttachEngine::PfLockOf(const std::string& vf_pci) {
  auto vf = LocateVf(vf_pci);
  return PfLock(vf.ok() ? vf->pf_pci : "");
}

host::Result<VfLocation> AttachEngine::LocateVf(const std::string& pci) {
  VfLocation loc;
  loc.pci = pci;
  const std::string dir = kDevices + pci;
  if (!host_.sysfs.Exists(dir)) return host::Error{"no PCI device " + pci + " on this node", ENODEV};
  auto physfn = host_.sysfs.ReadLink(dir + "/physfn");
  if (!physfn.ok()) return host::Error{pci + " is not an SR-IOV virtual function (no physfn)", ENODEV};
  loc.pf_pci = host::PathBaseName(*physfn);
  auto entries = host_.sysfs.List(kDevices + loc.pf_pci);
  if (!entries.ok()) return entries.error();
  bool found = false;
  for (const std::string& e : *entries) {
    if (e.rfind("virtfn", 0) != 0) continue;
    auto target = host_.sysfs.ReadLink(kDevices + loc.pf_pci + "/" + e);
    if (target.ok() && host::PathBaseName(*target) == pci) {
      loc.vf = static_cast<uint32_t>(std::stoul(e.substr(6)));
      found = true;
      break;
    }
  }
  if (!found) return host::Error{pci + " is not listed as a VF of its PF " + loc.pf_pci, ENODEV};
  auto pf_net = host_.sysfs.List(kDevices + loc.pf_pci + "/net");
  if (!pf_net.ok() || pf_net->empty()) return host::Error{"the PF " + loc.pf_pci + " of " + pci + " has no netdev", ENODEV};
  loc.pf_netdev = pf_net->front();
  auto vf_net = host_.sysfs.List(dir + "/net");
  if (vf_net.ok() && !vf_net->empty()) loc.netdev = vf_net->front();
  return loc;
}

cni::Result<json> AttachEngine::Handle(const cni::Invocation& inv) {
  switch (inv.command) {
    case cni::Command::kAdd:
      return Add(inv);
    case cni::Command::kDel:
      return Del(inv);
    case cni::Command::kCheck:
      return Check(inv);
    case cni::Command::kStatus: {
      std::string why = options_.not_ready();
      if (!why.empty()) return Fail(kPluginNotAvailable, "rdma-agent is up but this node is not ready: " + why);
      return json();
    }
    case cni::Command::kGc:
      return Gc(inv);
    case cni::Command::kVersion:
      break;
  }
  return Fail(cni::kInvalidEnvironment, "rdma-agent does not answer " + std::string(cni::CommandName(inv.command)));
}

std::vector<api::IpRange> AttachEngine::BlocksOf(const NetConf& conf, std::string* why_none) {
  std::vector<api::IpRange> out;
  for (const api::IpBlock& b : options_.ip_blocks()) {
    if (b.network_namespace != conf.network_namespace || b.network != conf.network_name) continue;
    auto start = api::IpAddress::Parse(b.start);
    auto end = api::IpAddress::Parse(b.end);
    if (!start || !end || start->family() != end->family() || *end < *start) continue;
    if (!conf.ipam->subnet.Contains(*start) || !conf.ipam->subnet.Contains(*end)) continue;
    out.push_back(api::IpRange{*start, *end});
  }
  if (out.empty()) {
    *why_none = "this node has no IP block of RdmaNetwork " + conf.NetworkKey() + " in subnet " +
                conf.ipam->subnet.ToString() + " yet";
  }
  return out;
}

cni::Result<json> AttachEngine::Add(const cni::Invocation& inv) {
  auto conf = ParseNetConf(inv);
  if (!conf.ok()) return conf.error();
  auto vf = LocateVf(inv.device_id);
  if (!vf.ok()) {
    return Fail(kUnknownDevice, "deviceID " + inv.device_id + ": " + vf.error().message,
                "the pod must get the VF from the NAD's resource (k8s.v1.cni.cncf.io/resourceName)");
  }
  std::lock_guard<std::mutex> lock(PfLock(vf->pf_pci));
  // Re-read under the lock: another call may just have moved the netdev.
  vf = LocateVf(inv.device_id);
  if (!vf.ok()) return Fail(kUnknownDevice, "deviceID " + inv.device_id + ": " + vf.error().message);
  return AddLocked(inv, *conf, *vf);
}

cni::Result<json> AttachEngine::AddLocked(const cni::Invocation& inv, const NetConf& conf, const VfLocation& located) {
  VfLocation vf = located;
  const std::string key = inv.container_id + "/" + inv.ifname;
  if (auto same = store_.Find(key)) {
    if (same->phase == kPhaseAttached && same->pci == vf.pci) return same->result;  // a repeated ADD
    if (same->phase == kPhaseAttached) {
      return Fail(kDeviceInUse, "container " + inv.container_id + " already has VF " + same->pci + " as " + inv.ifname);
    }
    host::Status st = Teardown(*same);
    if (!st.ok()) spdlog::warn("op=cni-add attachment={} undo-earlier-add error=\"{}\"", key, st.message());
  }
  if (auto holder = store_.FindByPci(vf.pci)) {
    if (host::OpenNetns(holder->netns).ok()) {
      return Fail(kDeviceInUse,
                  "VF " + vf.pci + " is attached to pod " + holder->pod_namespace + "/" + holder->pod_name +
                      " (container " + holder->container_id + ") whose network namespace " + holder->netns +
                      " still exists",
                  "kubelet gave a VF that is still in use; the old pod's DEL has not run yet");
    }
    // Its pod's namespace is gone: the record is stale (a DEL that never
    // came). Clean it up, then go on.
    host::Status st = Teardown(*holder);
    spdlog::info("op=cni-add vf={} stale-attachment={} cleaned=\"{}\"", vf.pci, holder->Key(),
                 st.ok() ? "ok" : st.message());
    auto again = LocateVf(vf.pci);
    if (again.ok()) vf = *again;
  }
  if (vf.netdev.empty()) {
    return Fail(kUnknownDevice, "VF " + vf.pci + " has no network interface in this node's namespace",
                "it may still be in another pod's namespace");
  }
  auto pod_ns = host::OpenNetns(inv.netns);
  if (!pod_ns.ok()) return Fail(cni::kInvalidEnvironment, "CNI_NETNS: " + pod_ns.error().message);
  auto pod_nl = host_.open_netlink_in(pod_ns->get());
  if (!pod_nl.ok()) return HostFailure("open netlink in " + inv.netns, pod_nl.error());
  if ((*pod_nl)->GetLink(inv.ifname).ok()) {
    return Fail(cni::kInvalidEnvironment,
                "CNI_IFNAME: the pod's namespace " + inv.netns + " already has an interface " + inv.ifname,
                "each attachment of a pod needs its own interface name");
  }
  // Whether the VF's host name is taken in the pod too (then the kernel
  // moves it under CNI_IFNAME directly, and a link of the host name in the
  // pod is not the VF).
  const bool host_name_in_pod = (*pod_nl)->GetLink(vf.netdev).ok();
  auto vf_link = host_.netlink.GetLink(vf.netdev);
  if (!vf_link.ok()) return HostFailure("read VF " + vf.pci, vf_link.error());
  auto pf_link = host_.netlink.GetLink(vf.pf_netdev);
  if (!pf_link.ok()) return HostFailure("read PF of VF " + vf.pci, pf_link.error());

  Attachment a;
  a.container_id = inv.container_id;
  a.ifname = inv.ifname;
  a.netns = inv.netns;
  a.pod_namespace = Arg(inv, "K8S_POD_NAMESPACE");
  a.pod_name = Arg(inv, "K8S_POD_NAME");
  a.pod_uid = Arg(inv, "K8S_POD_UID");
  a.pci = vf.pci;
  a.pf_netdev = vf.pf_netdev;
  a.vf = vf.vf;
  a.host_ifname = vf.netdev;
  a.host_mtu = vf_link->mtu;
  a.network = conf.network_name.empty() ? "" : conf.NetworkKey();
  a.phase = kPhaseAdding;
  // What the PF reports for the VF now; a PF that reports nothing (no
  // IFLA_VF_INFO) gets the kernel's defaults back.
  host::VfInfo before;
  for (const host::VfInfo& v : pf_link->vfs)
    if (v.vf == vf.vf) before = v;
  // Only the settings that differ from that are sent (and restored on
  // DEL): a value the VF already has is a no-op for the kernel, and a PF
  // that cannot take VF settings (the simulator's veth) still attaches a
  // network that asks only for the defaults, as the CRD's vlan 0 does.
  const std::string before_mac = before.mac.empty() ? "00:00:00:00:00:00" : before.mac;
  const bool set_vlan = conf.vlan && (*conf.vlan != before.vlan || conf.vlan_qos.value_or(0) != before.qos);
  const bool set_mac = conf.mac && !EqualsIgnoreCase(*conf.mac, before_mac);
  const bool set_rate = (conf.min_tx_rate || conf.max_tx_rate) &&
                        (conf.min_tx_rate.value_or(0) != before.min_tx_rate ||
                         conf.max_tx_rate.value_or(0) != before.max_tx_rate);
  const bool set_spoofchk = conf.spoofchk && *conf.spoofchk != before.spoofchk.value_or(true);
  const bool set_trust = conf.trust && *conf.trust != before.trust.value_or(false);
  const bool set_link_state =
      conf.link_state && *conf.link_state != before.link_state.value_or(host::VfLinkState::kAuto);
  if (set_vlan) a.vf_before["vlan"] = {before.vlan, before.qos};
  if (set_mac) a.vf_before["mac"] = before_mac;
  if (set_rate) a.vf_before["rate"] = {before.min_tx_rate, before.max_tx_rate};
  if (set_spoofchk) a.vf_before["spoofchk"] = before.spoofchk.value_or(true);
  if (set_trust) a.vf_before["trust"] = before.trust.value_or(false);
  if (set_link_state) a.vf_before["link_state"] = static_cast<int>(before.link_state.value_or(host::VfLinkState::kAuto));

  std::vector<api::IpRange> blocks;
  if (conf.ipam) {
    std::string why;
    blocks = BlocksOf(conf, &why);
    if (blocks.empty()) return Fail(kNoAddress, why, "the operator assigns blocks: kubectl get rnet -A");
  }
  host::Status reserved = store_.Reserve(a, blocks, conf.ipam ? conf.ipam->gateway : std::nullopt);
  if (!reserved.ok()) {
    if (reserved.sys_errno() == ENOSPC) {
      return Fail(kNoAddress, reserved.message(), "raise the RdmaNetwork's nodeBlockSize, or delete pods");
    }
    return HostFailure("record attachment " + a.Key(), reserved.error());
  }
  Undo undo;
  undo.Push("release record", [&] { return store_.Erase(a.Key()); });

  // PF-side settings, in sriov-cni's order.
  auto apply = [&](const std::string& what, host::Status st) -> std::optional<cni::CniError> {
    if (st.ok()) return std::nullopt;
    return HostFailure(what + " for VF " + vf.pci, st.error());
  };
  undo.Push("restore PF settings", [&] { return RestorePfSettings(a); });
  if (set_vlan) {
    if (auto e = apply("set vlan", host_.netlink.SetVfVlan(vf.pf_netdev, vf.vf, *conf.vlan, conf.vlan_qos.value_or(0)))) return *e;
  }
  if (set_mac) {
    if (auto e = apply("set mac", host_.netlink.SetVfMac(vf.pf_netdev, vf.vf, *conf.mac))) return *e;
  }
  if (set_rate) {
    if (auto e = apply("set tx rate", host_.netlink.SetVfRate(vf.pf_netdev, vf.vf, conf.min_tx_rate.value_or(0),
                                                               conf.max_tx_rate.value_or(0)))) {
      return *e;
    }
  }
  if (set_spoofchk) {
    if (auto e = apply("set spoofchk", host_.netlink.SetVfSpoofchk(vf.pf_netdev, vf.vf, *conf.spoofchk))) return *e;
  }
  if (set_trust) {
    if (auto e = apply("set trust", host_.netlink.SetVfTrust(vf.pf_netdev, vf.vf, *conf.trust))) return *e;
  }
  if (set_link_state) {
    if (auto e = apply("set link state", host_.netlink.SetVfLinkState(vf.pf_netdev, vf.vf, *conf.link_state))) return *e;
  }

  // The netdev: host -> pod in one message, named CNI_IFNAME there, with
  // the MTU (the kernel moves it, then sets MTU and name in the pod).
  undo.Push("return from the pod", [&, host_name_in_pod] {
    auto now = LocateVf(a.pci);
    if (now.ok() && !now->netdev.empty()) return host::Status::Ok();  // never left the host
    // A move that failed half way (the MTU or the name refused in the pod)
    // left it there under its host name.
    for (const std::string& name : {inv.ifname, a.host_ifname}) {
      if (name == a.host_ifname && host_name_in_pod) continue;
      if ((*pod_nl)->GetLink(name).ok()) return ReturnToHost(**pod_nl, name, a);
    }
    return host::Status(host::Error{"VF " + a.pci + " is neither in the host nor in " + inv.netns, ENODEV});
  });
  if (auto e = apply("move into " + inv.netns + " as " + inv.ifname,
                     host_.netlink.MoveToNetnsFdAs(vf.netdev, pod_ns->get(), inv.ifname, conf.mtu.value_or(0)))) {
    return *e;
  }

  std::string address_cidr;
  if (!a.address.empty()) {
    address_cidr = a.address + "/" + std::to_string(conf.ipam->subnet.prefix_length);
    host::IpPrefix p{a.address, static_cast<uint8_t>(conf.ipam->subnet.prefix_length)};
    if (auto e = apply("add address " + address_cidr, (*pod_nl)->AddAddress(inv.ifname, p))) return *e;
  }
  if (auto e = apply("set up", (*pod_nl)->SetUp(inv.ifname, true))) return *e;
  if (conf.ipam) {
    for (host::Route r : conf.ipam->routes) {
      r.link = inv.ifname;
      if (auto e = apply("add route", (*pod_nl)->AddRoute(r))) return *e;
    }
  }
  auto in_pod = (*pod_nl)->GetLink(inv.ifname);
  if (!in_pod.ok()) return HostFailure("read " + inv.ifname + " in " + inv.netns, in_pod.error());

  a.result = BuildResult(conf.cni_version, inv.prev_result, inv.ifname, in_pod->mac, inv.netns, vf.pci, address_cidr, conf);
  a.phase = kPhaseAttached;
  host::Status done = store_.Put(a);
  if (!done.ok()) return HostFailure("record attachment " + a.Key(), done.error());
  undo.Dismiss();
  spdlog::info("op=cni-add pod={}/{} container={} ifname={} vf={} pf={} address={}", a.pod_namespace, a.pod_name,
               a.container_id, a.ifname, a.pci, a.pf_netdev, address_cidr.empty() ? "(none)" : address_cidr);
  return a.result;
}

host::Status AttachEngine::RestorePfSettings(const Attachment& a) {
  const json& b = a.vf_before;
  std::string errors;
  // The settings in the reverse of the order ADD set them.
  if (b.contains("link_state")) {
    Join(&errors, host_.netlink.SetVfLinkState(a.pf_netdev, a.vf, static_cast<host::VfLinkState>(b["link_state"].get<int>())));
  }
  if (b.contains("trust")) Join(&errors, host_.netlink.SetVfTrust(a.pf_netdev, a.vf, b["trust"].get<bool>()));
  if (b.contains("spoofchk")) Join(&errors, host_.netlink.SetVfSpoofchk(a.pf_netdev, a.vf, b["spoofchk"].get<bool>()));
  if (b.contains("rate")) {
    Join(&errors, host_.netlink.SetVfRate(a.pf_netdev, a.vf, b["rate"][0].get<uint32_t>(), b["rate"][1].get<uint32_t>()));
  }
  if (b.contains("mac")) Join(&errors, host_.netlink.SetVfMac(a.pf_netdev, a.vf, b["mac"].get<std::string>()));
  if (b.contains("vlan")) {
    Join(&errors, host_.netlink.SetVfVlan(a.pf_netdev, a.vf, b["vlan"][0].get<uint32_t>(), b["vlan"][1].get<uint32_t>()));
  }
  if (!errors.empty()) return host::Error{"restore VF " + a.pci + " settings: " + errors, EIO};
  return host::Status::Ok();
}

host::Status AttachEngine::ReturnToHost(host::Netlink& from, const std::string& name, const Attachment& a) {
  from.SetUp(name, false);
  // One move, named back and with the old MTU. When another link has taken
  // the old name in the host meanwhile, the kernel's dev%d instead (the
  // VF is found by PCI address, never by name, so it stays usable).
  const bool name_taken = host_.netlink.GetLink(a.host_ifname).ok();
  const std::string target = name_taken ? "dev%d" : a.host_ifname;
  host::Status st = from.MoveToNetnsFdAs(name, home_.get(), target, a.host_mtu);
  auto now = LocateVf(a.pci);
  const std::string back_as = now.ok() ? now->netdev : "";
  if (!st.ok()) {
    // Refused outright (both names taken here): still in `from`. Or moved
    // and then the MTU or the name refused: here, under the pod's name.
    if (back_as.empty()) return st;
    return host::Error{"VF " + a.pci + " is back in the host as " + back_as + ", not as " + a.host_ifname + ": " +
                           st.message(),
                       st.sys_errno()};
  }
  if (name_taken) {
    return host::Error{"VF " + a.pci + " is back in the host as " + back_as + ": its old name " + a.host_ifname +
                           " is taken by another link",
                       EEXIST};
  }
  return host::Status::Ok();
}

host::Status AttachEngine::Teardown(const Attachment& a) {
  std::string errors;
  // PF settings before the netdev (some drivers refuse a MAC reset with
  // trust off; sriov-cni does the same).
  Join(&errors, RestorePfSettings(a));
  auto vf = LocateVf(a.pci);
  if (vf.ok() && !vf->netdev.empty()) {
    // In the host already: never moved, or the kernel brought it back as
    // dev<ifindex> when the pod's namespace went away.
    if (vf->netdev != a.host_ifname) Join(&errors, host_.netlink.SetName(vf->netdev, a.host_ifname));
    if (a.host_mtu != 0) host_.netlink.SetMtu(a.host_ifname, a.host_mtu);
  } else if (vf.ok()) {
    bool returned = false;
    if (auto pod_ns = host::OpenNetns(a.netns); pod_ns.ok()) {
      if (auto pod_nl = host_.open_netlink_in(pod_ns->get()); pod_nl.ok()) {
        // CNI_IFNAME, or, for an ADD the agent died in after a move that
        // failed half way, the host name.
        std::vector<std::string> names{a.ifname};
        if (a.phase == kPhaseAdding && a.host_ifname != a.ifname) names.push_back(a.host_ifname);
        for (const std::string& name : names) {
          if (!(*pod_nl)->GetLink(name).ok()) continue;
          Join(&errors, ReturnToHost(**pod_nl, name, a));
          returned = true;
          break;
        }
      }
    }
    if (!returned) {
      spdlog::warn("op=cni-del attachment={} vf={} msg=\"VF netdev is in no namespace the agent can see; "
                   "the kernel returns it to the host when the pod's namespace is freed\"",
                   a.Key(), a.pci);
    }
  }
  // The record goes even when a step failed: a VF's settings are best
  // effort, but a DEL that fails forever wedges the pod's teardown.
  Join(&errors, store_.Erase(a.Key()));
  if (!errors.empty()) return host::Error{errors, EIO};
  return host::Status::Ok();
}

cni::Result<json> AttachEngine::Del(const cni::Invocation& inv) {
  const std::string key = inv.container_id + "/" + inv.ifname;
  auto a = store_.Find(key);
  if (!a) return json();  // nothing attached: DEL is idempotent
  std::lock_guard<std::mutex> lock(PfLockOf(a->pci));
  a = store_.Find(key);
  if (!a) return json();
  host::Status st = Teardown(*a);
  spdlog::info("op=cni-del pod={}/{} container={} ifname={} vf={} address={} result=\"{}\"", a->pod_namespace,
               a->pod_name, a->container_id, a->ifname, a->pci, a->address.empty() ? "(none)" : a->address,
               st.ok() ? "ok" : st.message());
  // Reported, but the record is gone and the address free: a DEL that
  // errors is retried by the runtime forever, which helps nobody.
  return json();
}

cni::Result<json> AttachEngine::Check(const cni::Invocation& inv) {
  auto a = store_.Find(inv.container_id + "/" + inv.ifname);
  if (!a || a->phase != kPhaseAttached) {
    return Fail(kNotAttached, "nothing is attached as " + inv.ifname + " for container " + inv.container_id);
  }
  auto pod_ns = host::OpenNetns(inv.netns);
  if (!pod_ns.ok()) return Fail(kNotAttached, "CNI_NETNS: " + pod_ns.error().message);
  auto pod_nl = host_.open_netlink_in(pod_ns->get());
  if (!pod_nl.ok()) return HostFailure("open netlink in " + inv.netns, pod_nl.error());
  auto link = (*pod_nl)->GetLink(inv.ifname);
  if (!link.ok()) return Fail(kNotAttached, "VF " + a->pci + " is not " + inv.ifname + " in " + inv.netns);
  if (!link->up) return Fail(kNotAttached, inv.ifname + " in " + inv.netns + " is down");
  return json();
}

cni::Result<json> AttachEngine::Gc(const cni::Invocation& inv) {
  auto conf = ParseNetConf(inv);
  if (!conf.ok()) return conf.error();
  std::set<std::string> valid;
  auto list = inv.config.find("cni.dev/valid-attachments");
  if (list != inv.config.end() && list->is_array()) {
    for (const json& v : *list) {
      if (v.is_object() && v.contains("containerID") && v.contains("ifname")) {
        valid.insert(v["containerID"].get<std::string>() + "/" + v["ifname"].get<std::string>());
      }
    }
  }
  const std::string network = conf->network_name.empty() ? "" : conf->NetworkKey();
  Collect([&](const Attachment& a) { return a.network == network && valid.count(a.Key()) == 0; });
  return json();
}

std::vector<Attachment> AttachEngine::Collect(const std::function<bool(const Attachment&)>& gone) {
  std::vector<Attachment> removed;
  for (const Attachment& a : store_.All()) {
    if (!gone(a)) continue;
    std::lock_guard<std::mutex> lock(PfLockOf(a.pci));
    auto still = store_.Find(a.Key());
    if (!still || still->container_id != a.container_id) continue;
    host::Status st = Teardown(*still);
    spdlog::info("op=cni-collect attachment={} pod={}/{} vf={} result=\"{}\"", a.Key(), a.pod_namespace, a.pod_name,
                 a.pci, st.ok() ? "ok" : st.message());
    removed.push_back(*still);
  }
  return removed;
}

}  // namespace attach
