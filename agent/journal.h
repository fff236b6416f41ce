// Journal: what the agent has done on this host, kept in a file on the host
// (--journal-dir) so that a restarted agent — after a crash, a kill or a
// reboot — knows where it was:
//   - the spec generation applied last;
//   - per PF it has touched: the VF count and GUIDs it configured (a PF that
//     is in the journal but no longer in the spec is undone: VFs back to 0);
//   - the reboot it asked for: for which generation and from which boot, so
//     that after the reboot the firmware values the spec asks for are
//     verified and there is never a second reboot for one generation.
// Saved atomically through host::StateFile (a temporary file, fsync, rename
// over the old one, fsync of the directory); this file has the format and
// the rules. A torn or unreadable journal is an error, never a crash; the
// caller reports it and starts from an empty journal.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/host/result.h"
#include "agent/host/state_file.h"

namespace agent {

struct JournalPf {
  int32_t num_vfs = 0;
  std::vector<std::string> guids;  // per VF index, API form
  bool operator==(const JournalPf&) const = default;
};

struct JournalReboot {
  int64_t generation = 0;
  std::string boot_id;  // the boot during which the reboot was requested
  bool operator==(const JournalReboot&) const = default;
};

struct JournalState {
  int64_t applied_generation = 0;
  std::map<std::string, JournalPf> pfs;  // by PF PCI address
  std::optional<JournalReboot> reboot;
  bool operator==(const JournalState&) const = default;
};

class Journal {
 public:
  // dir is created on first save if missing; the file is <dir>/journal.json.
  explicit Journal(std::string dir);

  // The saved state; an empty state when there is no journal yet; an error
  // naming the file when it cannot be read or parsed.
  host::Result<JournalState> Load() const;
  host::Status Save(const JournalState& state) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  host::StateFile file_;
};

}  // namespace agent
