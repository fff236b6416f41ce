// InfiniBand GUIDs (node and port GUIDs of VFs) in the form the API uses:
// eight lower-case hex bytes separated by ':' ("02:00:00:00:00:00:00:01").
// sysfs prints node_guid in groups of four instead ("0200:0000:0000:0001");
// that form is host::FormatSysfsGuid / ParseSysfsGuid in the agent. The
// value 0 is never a usable GUID: RDMA_CM fails on it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace api {

// Parses "aa:bb:cc:dd:ee:ff:00:11" (upper-case hex accepted). nullopt on
// any other form.
std::optional<uint64_t> ParseGuid(std::string_view text);

// "aa:bb:cc:dd:ee:ff:00:11", lower case.
std::string FormatGuid(uint64_t guid);

}  // namespace api
