#include "agent/guid_assignment.h"

#include <cstdio>

#include "api/guid.h"

namespace agent {

host::Result<uint64_t> DeriveVfGuid(uint64_t pf_guid, int vf) {
  if (pf_guid == 0) {
    return host::Error{"derive GUID of VF " + std::to_string(vf) + ": the PF's node GUID is 0"};
  }
  if (vf < 0 || vf > 0xfffd) {
    return host::Error{"derive GUID of VF " + std::to_string(vf) + ": VF index out of range (0-65533)"};
  }
  uint64_t oui = (pf_guid >> 40) & 0xffffff;
  oui |= 0x020000;  // locally administered: never collides with a vendor-assigned GUID
  uint64_t nic = pf_guid & 0xffffff;
  uint64_t id = static_cast<uint64_t>(vf) + 1;  // never 0
  return (oui << 40) | (id << 24) | nic;
}

host::Result<uint64_t> GuidFromBlock(const api::GuidRange& block, int vf) {
  auto start = api::ParseGuid(block.start);
  auto end = api::ParseGuid(block.end);
  std::string what = "GUID block " + block.start + "-" + block.end;
  if (!start || !end) return host::Error{what + ": not of the form xx:xx:xx:xx:xx:xx:xx:xx"};
  if (*start == 0 || *end < *start) return host::Error{what + ": start must be non-zero and not after end"};
  if (vf < 0 || static_cast<uint64_t>(vf) > *end - *start) {
    return host::Error{what + ": too small for VF " + std::to_string(vf)};
  }
  uint64_t guid = *start + static_cast<uint64_t>(vf);
  if (guid == ~uint64_t{0}) return host::Error{what + ": VF " + std::to_string(vf) + " would get ff:ff:ff:ff:ff:ff:ff:ff"};
  return guid;
}

host::Result<uint64_t> VfGuid(const std::optional<api::GuidRange>& block, uint64_t pf_guid, int vf) {
  return block ? GuidFromBlock(*block, vf) : DeriveVfGuid(pf_guid, vf);
}

std::string VfMacFromGuid(uint64_t guid) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "02:%02x:%02x:%02x:%02x:%02x", static_cast<unsigned>((guid >> 32) & 0xff),
                static_cast<unsigned>((guid >> 24) & 0xff), static_cast<unsigned>((guid >> 16) & 0xff),
                static_cast<unsigned>((guid >> 8) & 0xff), static_cast<unsigned>(guid & 0xff));
  return buf;
}

}  // namespace agent
