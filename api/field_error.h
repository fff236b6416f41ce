// Field errors: what re-validating an API object found wrong, as a path
// into the object ("spec.nicSelector.pfNames[1]") and a message that says
// what to fix. The operator reports them in a Degraded condition instead of
// crashing on objects an old CRD or a webhook-less cluster let through.
#pragma once

#include <string>
#include <vector>

namespace api {

struct FieldError {
  std::string path;     // JSON path from the object root, e.g. "spec.numVfs"
  std::string message;  // what is wrong and what is allowed

  bool operator==(const FieldError&) const = default;
};

using FieldErrors = std::vector<FieldError>;

// "spec.numVfs: must be at most 256" — one error as a user reads it.
std::string ToString(const FieldError& error);

// All errors joined with "; ", for a condition message. When there are more
// than max_errors, the rest is summarised as "(and N more)" so a condition
// stays readable.
std::string Summarize(const FieldErrors& errors, size_t max_errors = 5);

// Path helpers: Child("spec", "numVfs") == "spec.numVfs",
// Index("spec.pfNames", 2) == "spec.pfNames[2]". An empty parent gives the
// child alone.
std::string Child(const std::string& parent, const std::string& child);
std::string Index(const std::string& parent, size_t index);

}  // namespace api
