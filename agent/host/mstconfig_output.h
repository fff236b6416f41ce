// Parsers for what mstflint's `mstconfig` (and MFT's `mlxconfig`) print.
//
// Query output, in both the plain form (a "Next Boot" column only) and the
// `-e` form (Default / Current / Next Boot):
//
//   Device #1:
//   ----------
//
//   Device type:    ConnectX5
//   Name:           MCX515A-CCA_Ax_Bx
//   Description:    ConnectX-5 EN network interface card; ...
//   Device:         0000:41:00.0
//
//   Configurations:                              Default         Current         Next Boot
//   *        NUM_OF_VFS                          0               8               8
//            SRIOV_EN                            False(0)        True(1)         True(1)
//   The '*' shows parameters with next value different from default/current value.
//
// Anything else — empty, truncated, unknown columns, rows with the wrong
// number of values, "-E-" diagnostics — is an Error whose text says what was
// wrong; the parsers never throw.
#pragma once

#include <string>
#include <string_view>

#include "agent/host/firmware_tool.h"
#include "agent/host/process_runner.h"

namespace host {

Result<FirmwareConfig> ParseMstconfigQuery(std::string_view text);

// Interprets the result of `mstconfig -y ... set ...`: success, or an Error
// carrying the tool's "-E-" lines (or its exit code when there are none).
Status CheckMstconfigSet(const ProcessOutput& output);

// The "-E- ..." lines of an output, joined with "; " and without the prefix.
std::string MstconfigDiagnostics(std::string_view text);

}  // namespace host
