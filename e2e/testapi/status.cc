#include "e2e/testapi/status.h"

namespace testapi {

json FailureStatus(int code, std::string_view reason, std::string_view message, json details) {
  json s = {{"kind", "Status"},       {"apiVersion", "v1"},           {"metadata", json::object()},
            {"status", "Failure"},    {"message", std::string(message)}, {"reason", std::string(reason)},
            {"code", code}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

json SuccessStatus(json details) {
  json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()}, {"status", "Success"}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

std::string QualifiedResource(std::string_view group, std::string_view plural) {
  std::string r(plural);
  if (!group.empty()) r += "." + std::string(group);
  return r;
}

void ThrowStatus(int code, std::string_view reason, std::string_view message, json details) {
  throw StatusError{code, FailureStatus(code, reason, message, std::move(details))};
}

void ThrowBadRequest(std::string_view message) { ThrowStatus(400, "BadRequest", message); }

void ThrowInvalid(std::string_view group, std::string_view kind, std::string_view name,
                  const std::vector<FieldError>& errors) {
  json causes = json::array();
  for (const auto& e : errors) causes.push_back(e.ToCause());
  json details = {{"name", std::string(name)}, {"kind", std::string(kind)}, {"causes", causes}};
  if (!group.empty()) details["group"] = std::string(group);
  std::string qualified_kind(kind);
  if (!group.empty()) qualified_kind += "." + std::string(group);
  ThrowStatus(422, "Invalid", InvalidMessage(qualified_kind, name, errors), details);
}

static json NameDetails(std::string_view group, std::string_view plural, std::string_view name) {
  json d = {{"name", std::string(name)}, {"kind", std::string(plural)}};
  if (!group.empty()) d["group"] = std::string(group);
  return d;
}

void ThrowNotFound(std::string_view group, std::string_view plural, std::string_view name) {
  ThrowStatus(404, "NotFound", QualifiedResource(group, plural) + " \"" + std::string(name) + "\" not found",
              NameDetails(group, plural, name));
}

void ThrowAlreadyExists(std::string_view group, std::string_view plural, std::string_view name) {
  ThrowStatus(409, "AlreadyExists",
              QualifiedResource(group, plural) + " \"" + std::string(name) + "\" already exists",
              NameDetails(group, plural, name));
}

void ThrowConflict(std::string_view group, std::string_view plural, std::string_view name, std::string_view why) {
  ThrowStatus(409, "Conflict",
              "Operation cannot be fulfilled on " + QualifiedResource(group, plural) + " \"" + std::string(name) +
                  "\": " + std::string(why),
              NameDetails(group, plural, name));
}

}  // namespace testapi
