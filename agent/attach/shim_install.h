// Installs the rdma-cni binary into the host's CNI bin dir (where the
// runtime looks for plugins, /opt/cni/bin), atomically and only when its
// content differs, so a runtime never executes a half-written file and an
// agent restart does not rewrite it.
#pragma once

#include <string>

#include "agent/host/result.h"

namespace attach {

// Copies `source` to `<bin_dir>/rdma-cni` (mode 0755) through a temporary
// file in bin_dir and rename(2). Returns whether it wrote.
host::Result<bool> InstallShim(const std::string& source, const std::string& bin_dir);

}  // namespace attach
