#include "api/json_fields.h"

#include <limits>

namespace api::json_fields {

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "a list";
    case json::value_t::string: return "string " + Dump(value);
    case json::value_t::boolean: return "boolean " + Dump(value);
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer " + Dump(value);
    case json::value_t::number_float: return "number " + Dump(value);
    default: return "a binary value";
  }
}

bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::string* out) {
  if (!in.is_string()) {
    errors->push_back({path, "must be a string, got " + TypeName(in)});
    return false;
  }
  *out = in.get<std::string>();
  return true;
}

bool Decode(const json& in, const std::string& path, FieldErrors* errors, bool* out) {
  if (!in.is_boolean()) {
    errors->push_back({path, "must be true or false, got " + TypeName(in)});
    return false;
  }
  *out = in.get<bool>();
  return true;
}

namespace {

template <class Int>
bool DecodeInteger(const json& in, const std::string& path, FieldErrors* errors, Int* out) {
  if (in.is_number_unsigned()) {
    uint64_t v = in.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
      errors->push_back({path, "must be at most " + std::to_string(std::numeric_limits<Int>::max()) +
                                   ", got " + Dump(in)});
      return false;
    }
    *out = static_cast<Int>(v);
    return true;
  }
  if (in.is_number_integer()) {
    int64_t v = in.get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<Int>::min()) ||
        v > static_cast<int64_t>(std::numeric_limits<Int>::max())) {
      errors->push_back({path, "is out of range, got " + Dump(in)});
      return false;
    }
    *out = static_cast<Int>(v);
    return true;
  }
  errors->push_back({path, "must be an integer, got " + TypeName(in)});
  return false;
}

}  // namespace

bool Decode(const json& in, const std::string& path, FieldErrors* errors, int32_t* out) {
  return DecodeInteger(in, path, errors, out);
}

bool Decode(const json& in, const std::string& path, FieldErrors* errors, int64_t* out) {
  return DecodeInteger(in, path, errors, out);
}

bool Decode(const json& in, const std::string&, FieldErrors*, json* out) {
  *out = in;
  return true;
}

bool Decode(const json& in, const std::string& path, FieldErrors* errors,
            std::map<std::string, std::string>* out) {
  if (!in.is_object()) {
    errors->push_back({path, "must be a map of strings, got " + TypeName(in)});
    return false;
  }
  std::map<std::string, std::string> values;
  bool ok = true;
  for (const auto& [key, value] : in.items()) {
    if (!value.is_string()) {
      errors->push_back({Child(path, key), "must be a string, got " + TypeName(value)});
      ok = false;
      continue;
    }
    values[key] = value.get<std::string>();
  }
  if (!ok) return false;
  *out = std::move(values);
  return true;
}

json Encode(const std::string& in) { return in; }
json Encode(bool in) { return in; }
json Encode(int32_t in) { return in; }
json Encode(int64_t in) { return in; }
json Encode(const json& in) { return in; }
json Encode(const std::map<std::string, std::string>& in) { return json(in); }

}  // namespace api::json_fields
