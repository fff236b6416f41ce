// StateFile: a small file the agent keeps its own state in on the host (the
// journal), read whole and replaced atomically, so that a crash, a kill or a
// power loss at any point leaves either the old content or the new one,
// never a torn mix. What the content means is the caller's business.
//
// WriteAtomically creates the directory when it is missing, writes a
// temporary file beside the target (<path>.tmp), fsyncs it, renames it over
// the target and fsyncs the directory (best effort: some file systems cannot
// sync a directory). Errors name the file and the step, with the caller's
// word for the file: "read journal /var/lib/rdma-agent/journal.json: ...".
#pragma once

#include <optional>
#include <string>

#include "agent/host/result.h"

namespace host {

class StateFile {
 public:
  // `what` names the file in errors ("journal").
  StateFile(std::string path, std::string what);

  // The whole content; nullopt when there is no such file yet (nor its
  // directory); an error naming the file when it cannot be read.
  Result<std::optional<std::string>> Read() const;
  Status WriteAtomically(const std::string& content) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_, dir_, what_;
};

}  // namespace host
