#include "api/field_error.h"

namespace api {

std::string ToString(const FieldError& error) {
  if (error.path.empty()) return error.message;
  return error.path + ": " + error.message;
}

std::string Summarize(const FieldErrors& errors, size_t max_errors) {
  std::string out;
  size_t shown = 0;
  for (const FieldError& e : errors) {
    if (shown == max_errors) break;
    if (!out.empty()) out += "; ";
    out += ToString(e);
    ++shown;
  }
  if (errors.size() > shown) {
    out += " (and " + std::to_string(errors.size() - shown) + " more)";
  }
  return out;
}

std::string Child(const std::string& parent, const std::string& child) {
  return parent.empty() ? child : parent + "." + child;
}

std::string Index(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

}  // namespace api
