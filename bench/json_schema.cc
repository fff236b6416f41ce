#include "bench/json_schema.h"

#include <string>

namespace bench {
namespace {

using nlohmann::json;

bool HasType(const json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "integer") return v.is_number_integer() || v.is_number_unsigned();
  if (type == "number") return v.is_number();
  if (type == "null") return v.is_null();
  return false;
}

Status Check(const json& v, const json& schema, const std::string& path) {
  auto fail = [&](const std::string& why) { return Status::Error((path.empty() ? "/" : path) + ": " + why); };
  if (schema.contains("type")) {
    const json& t = schema["type"];
    bool ok = false;
    if (t.is_string()) {
      ok = HasType(v, t.get<std::string>());
    } else {
      for (const auto& one : t) ok = ok || HasType(v, one.get<std::string>());
    }
    if (!ok) return fail("expected type " + t.dump() + ", got " + v.type_name());
  }
  if (schema.contains("const") && v != schema["const"]) {
    return fail("expected " + schema["const"].dump() + ", got " + v.dump());
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) found = found || e == v;
    if (!found) return fail("expected one of " + schema["enum"].dump() + ", got " + v.dump());
  }
  if (schema.contains("minimum") && v.is_number() && v.get<double>() < schema["minimum"].get<double>()) {
    return fail("must be >= " + schema["minimum"].dump() + ", got " + v.dump());
  }
  if (v.is_object()) {
    if (schema.contains("required")) {
      for (const auto& key : schema["required"]) {
        if (!v.contains(key.get<std::string>())) return fail("missing required property " + key.dump());
      }
    }
    const json empty = json::object();
    const json& properties = schema.contains("properties") ? schema["properties"] : empty;
    for (const auto& [key, value] : v.items()) {
      if (properties.contains(key)) {
        Status st = Check(value, properties[key], path + "/" + key);
        if (!st.ok()) return st;
      } else if (schema.value("additionalProperties", true) == false) {
        return fail("unexpected property \"" + key + "\"");
      }
    }
  }
  if (v.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < v.size(); ++i) {
      Status st = Check(v[i], schema["items"], path + "/" + std::to_string(i));
      if (!st.ok()) return st;
    }
  }
  if (schema.contains("oneOf")) {
    int matches = 0;
    std::string reasons;
    for (const auto& option : schema["oneOf"]) {
      Status st = Check(v, option, path);
      if (st.ok()) {
        ++matches;
      } else {
        reasons += (reasons.empty() ? "" : "; ") + st.message();
      }
    }
    if (matches != 1) {
      return fail(matches == 0 ? "matches none of the allowed forms (" + reasons + ")"
                               : "matches more than one allowed form");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateJson(const json& doc, const json& schema) { return Check(doc, schema, ""); }

}  // namespace bench
