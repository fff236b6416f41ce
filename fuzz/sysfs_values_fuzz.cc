// What sysfs and the kernel show the agent, when it is odd: a PF and one VF
// whose files (vendor, counts, GUIDs, NUMA node, link targets) hold fuzzed
// text. Discovery must return warnings, never crash; the value parsers must
// round-trip whatever they accept.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/discovery.h"
#include "agent/host/fake_netlink.h"
#include "agent/host/fake_sysfs.h"
#include "agent/host/rtnetlink_codec.h"
#include "api/guid.h"
#include "api/ip_address.h"

namespace {

// The input as NUL-separated fields; missing fields are empty.
std::vector<std::string> Fields(const uint8_t* data, size_t size, size_t n) {
  std::vector<std::string> out(n);
  size_t field = 0;
  for (size_t i = 0; i < size && field < n; ++i) {
    if (data[i] == 0) {
      ++field;
    } else {
      out[field].push_back(static_cast<char>(data[i]));
    }
  }
  return out;
}

void CheckParsers(const std::string& text) {
  if (auto guid = host::ParseSysfsGuid(text); guid.ok()) {
    auto again = host::ParseSysfsGuid(host::FormatSysfsGuid(*guid));
    if (!again.ok() || *again != *guid) __builtin_trap();
  }
  if (auto guid = api::ParseGuid(text)) {
    if (api::ParseGuid(api::FormatGuid(*guid)) != guid) __builtin_trap();
  }
  if (auto mac = host::ParseMac(text); mac.ok()) {
    auto again = host::ParseMac(host::FormatMac(mac->data(), mac->size()));
    if (!again.ok() || *again != *mac) __builtin_trap();
  }
  if (auto ip = api::IpAddress::Parse(text)) {
    if (api::IpAddress::Parse(ip->ToString()) != ip) __builtin_trap();
  }
  if (auto cidr = api::Cidr::Parse(text)) {
    auto again = api::Cidr::Parse(cidr->ToString());
    if (!again || again->ToString() != cidr->ToString()) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = Fields(data, size, 10);
  for (const auto& text : f) CheckParsers(text);

  const std::string pf = "bus/pci/devices/0000:41:00.0";
  host::FakeSysfs sysfs;
  sysfs.AddDir("bus/pci/drivers/mlx5_core");
  sysfs.AddFile(pf + "/vendor", f[0].empty() ? "0x15b3" : f[0]);
  sysfs.AddFile(pf + "/device", "0x1017");
  sysfs.AddLink(pf + "/driver", "../../drivers/mlx5_core");
  sysfs.AddFile(pf + "/sriov_totalvfs", f[1]);
  sysfs.AddFile(pf + "/sriov_numvfs", f[2]);
  sysfs.AddFile(pf + "/numa_node", f[3]);
  sysfs.AddDir(pf + "/net/ens1f0");
  sysfs.AddLink("class/net/ens1f0", "../../" + pf + "/net/ens1f0");
  sysfs.AddFile(pf + "/net/ens1f0/type", f[4]);
  sysfs.AddDir(pf + "/infiniband/mlx5_0");
  sysfs.AddFile(pf + "/infiniband/mlx5_0/node_guid", f[5]);
  // The VF's link target and its files are fuzzed too.
  const std::string vf_name = f[6].empty() ? "0000:41:00.1" : f[6];
  sysfs.AddLink(pf + "/virtfn0", "../" + vf_name);
  const std::string vf = "bus/pci/devices/" + vf_name;
  sysfs.AddFile(vf + "/vendor", "0x15b3");
  sysfs.AddLink(vf + "/physfn", "../0000:41:00.0");
  sysfs.AddLink(vf + "/driver", f[7].empty() ? "../../drivers/mlx5_core" : f[7]);
  sysfs.AddDir(vf + "/infiniband/mlx5_1");
  sysfs.AddFile(vf + "/infiniband/mlx5_1/node_guid", f[8]);
  sysfs.AddDir(vf + "/infiniband_verbs/" + (f[9].empty() ? "uverbs1" : f[9]));

  host::FakeNetlink netlink;
  host::Link link;
  link.name = "ens1f0";
  link.mtu = 9000;
  link.mac = f[4];
  netlink.AddLink(link);

  agent::Discovered d = agent::Discovery(sysfs, &netlink).Run();
  (void)d;
  return 0;
}
