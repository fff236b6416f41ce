// FirmwarePlan: what to change in a PF's firmware configuration and whether
// that needs a reboot. Pure: computed from an mstconfig query and the spec.
//
// The parameters the agent manages are SRIOV_EN, NUM_OF_VFS and the link
// type of the PF's port (LINK_TYPE_P1 for PCI function 0, LINK_TYPE_P2 for
// function 1). For each one:
//   - Next Boot differs from the desired value -> set it (only those);
//   - Current differs from the desired value   -> a reboot is needed for the
//     change to take effect (whether it was set now or earlier);
//   - only Next Boot differed                  -> set, no reboot needed.
// NUM_OF_VFS is "at least numVfs" when the spec gives no firmware.totalVfs,
// so shrinking numVfs never costs a reboot.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "agent/host/firmware_tool.h"
#include "agent/host/result.h"
#include "api/rdma_node_state.h"

namespace agent {

struct FirmwareDesired {
  std::string name;   // "NUM_OF_VFS"
  std::string value;  // as given to `mstconfig set`: "1", "8", "ETH"
  bool at_least = false;  // numeric: any value >= value is fine
};

// A parameter whose Current value is not (yet) what is wanted.
struct FirmwareMismatch {
  std::string name;
  std::string wanted;
  std::string current;  // as mstconfig prints it
};

struct FirmwarePlan {
  std::vector<std::pair<std::string, std::string>> to_set;  // for FirmwareTool::Set
  std::vector<FirmwareMismatch> needs_reboot;               // Current != desired
};

// The desired firmware values for a PF, from its spec. Empty when the spec
// does not manage firmware (firmware.managed unset or false).
std::vector<FirmwareDesired> DesiredFirmware(const api::InterfaceSpec& spec);

// An error naming the PF and parameter when the query lacks a parameter.
host::Result<FirmwarePlan> PlanFirmware(const std::string& pci, const host::FirmwareConfig& config,
                                        const std::vector<FirmwareDesired>& desired);

// "NUM_OF_VFS wanted 16, Current 8; SRIOV_EN wanted 1, Current False(0)".
std::string DescribeMismatches(const std::vector<FirmwareMismatch>& m);

// mstconfig's name for an API link type: "Ethernet" -> "ETH",
// "InfiniBand" -> "IB"; "" for anything else.
std::string FirmwareLinkType(const std::string& api_link_type);

}  // namespace agent
