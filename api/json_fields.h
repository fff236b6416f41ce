// JSON <-> C++ struct mapping for the API types, from one list of fields per
// struct, so reading and writing can never disagree about a field.
//
// Each struct that maps a JSON object has a member
//     nlohmann::json unknown_fields;
// and a pair of functions found by argument-dependent lookup:
//     void Fields(json_fields::Reader& v, Foo& foo);
//     void Fields(json_fields::Writer& v, Foo& foo);
// usually both implemented by one template that lists the fields:
//     template <class V> void FooFields(V& v, Foo& f) {
//       v("numVfs", f.num_vfs); v("nicSelector", f.nic_selector); ...
//     }
//
// Every mapped struct also defines operator== (unknown fields included), so
// a controller can tell whether the spec it computed differs from the stored
// one and skip writes that change nothing.
//
// Unknown fields are never lost. Reading copies the whole JSON object into
// unknown_fields and removes each key it understood; writing starts from
// unknown_fields and overlays the known fields. So an object written by a
// newer CRD version (or with fields this code does not model, such as
// metadata.managedFields) survives a read-modify-write: an Update (PUT)
// replaces the whole object or status, so whatever the writer does not know
// would otherwise be deleted, e.g. an older agent wiping status fields a newer
// one added. The price is a copy of the unknown parts per object, small for
// these kinds. We keep the
// unknown parts per struct rather than the whole original document so that a
// caller may freely clear, reorder or rebuild nested lists: each element
// carries its own unknown fields.
//
// A value of the wrong JSON type (a string where an integer belongs) is
// reported as a FieldError, the C++ field keeps its default, and the raw value
// stays in unknown_fields, so it is written back unchanged rather than
// dropped (unless the caller sets the field, or it is a plain int or bool,
// which are always written). Reading never throws.
//
// What is written for a field:
//   std::optional<T>      when it has a value (so an explicit 0/false/{} in
//                         the input survives a round trip);
//   int, bool             always;
//   std::string           when non-empty;
//   vector, map           when non-empty;
//   nlohmann::json        when not null;
//   a nested struct       when it encodes to a non-empty object;
//   v.Required(key, f)    always (fields the schema requires).
// JSON null reads as "absent".
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/field_error.h"

namespace api::json_fields {

using nlohmann::json;

// A struct mapped by Fields(): it carries its unknown fields.
template <class T>
concept Mapped = std::is_same_v<decltype(T::unknown_fields), json>;

// A value as JSON text for an error message. Never throws: strings that are
// not UTF-8 (YAML input can carry them) get U+FFFD for the bad bytes.
std::string Dump(const json& value);
// Short name of a JSON value's type for error messages: "string", "integer".
std::string TypeName(const json& value);

// Decode* store a JSON value into a C++ field. They return false (and add a
// FieldError naming path) when the value has the wrong type or range; the
// field is then left unchanged.
bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::string* out);
bool Decode(const json& in, const std::string& path, FieldErrors* errors, bool* out);
bool Decode(const json& in, const std::string& path, FieldErrors* errors, int32_t* out);
bool Decode(const json& in, const std::string& path, FieldErrors* errors, int64_t* out);
bool Decode(const json& in, const std::string& path, FieldErrors* errors, json* out);
bool Decode(const json& in, const std::string& path, FieldErrors* errors,
            std::map<std::string, std::string>* out);

// Encode turns a C++ value into JSON; whether a field is written at all is
// the Writer's decision (see the table at the top).
json Encode(const std::string& in);
json Encode(bool in);
json Encode(int32_t in);
json Encode(int64_t in);
json Encode(const json& in);
json Encode(const std::map<std::string, std::string>& in);

template <class T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::optional<T>* out);
template <class T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::vector<T>* out);
template <Mapped T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, T* out);
template <class T>
json Encode(const std::vector<T>& in);
template <Mapped T>
json Encode(const T& in);

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

// Reads the known fields of one JSON object; see Fields() above.
class Reader {
 public:
  Reader(const json& object, std::string path, FieldErrors* errors)
      : object_(object), path_(std::move(path)), errors_(errors), unknown_(object) {}

  template <class T>
  void operator()(const char* key, T& field) {
    auto it = object_.find(key);
    if (it == object_.end()) return;
    if (it->is_null()) {
      unknown_.erase(key);
      return;
    }
    if (Decode(*it, Child(path_, key), errors_, &field)) unknown_.erase(key);
  }

  // For fields the schema requires: the same as operator() when reading.
  template <class T>
  void Required(const char* key, T& field) {
    (*this)(key, field);
  }

  // The fields no operator() call understood.
  json TakeUnknown() { return std::move(unknown_); }

 private:
  const json& object_;
  std::string path_;
  FieldErrors* errors_;
  json unknown_;
};

// Set only by EncodeKnownFieldsOnly() (below), for the duration of a call.
inline thread_local bool encode_known_fields_only = false;

// Writes the known fields of one struct over its unknown fields.
class Writer {
 public:
  explicit Writer(const json& unknown_fields)
      : out_(unknown_fields.is_object() && !encode_known_fields_only ? unknown_fields
                                                                     : json::object()) {}

  template <class T>
  void operator()(const char* key, T& field) {
    const T& f = field;
    if constexpr (IsOptional<T>::value) {
      if (f) out_[key] = Encode(*f);
    } else if constexpr (Mapped<T>) {
      json value = Encode(f);
      if (!value.empty()) out_[key] = std::move(value);
    } else if constexpr (std::is_same_v<T, json>) {
      if (!f.is_null()) out_[key] = f;
    } else if constexpr (std::is_same_v<T, bool> || std::is_integral_v<T>) {
      out_[key] = Encode(f);
    } else {
      if (!f.empty()) out_[key] = Encode(f);  // strings, lists, maps
    }
  }

  // For fields the schema requires: written even when empty or unset-like,
  // so the API server answers "must not be empty" rather than the field
  // vanishing on a round trip.
  template <class T>
  void Required(const char* key, T& field) {
    if constexpr (IsOptional<T>::value) {
      if (field) out_[key] = Encode(*field);
    } else if constexpr (std::is_same_v<T, std::string>) {
      // An unset string does not replace a raw value of the wrong type.
      if (!field.empty() || !out_.contains(key)) out_[key] = field;
    } else {
      out_[key] = Encode(static_cast<const T&>(field));
    }
  }

  json Take() { return std::move(out_); }

 private:
  json out_;
};

template <class T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::optional<T>* out) {
  T value{};
  if (!Decode(in, path, errors, &value)) return false;
  *out = std::move(value);
  return true;
}

template <class T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, std::vector<T>* out) {
  if (!in.is_array()) {
    errors->push_back({path, "must be a list, got " + TypeName(in)});
    return false;
  }
  std::vector<T> values;
  values.reserve(in.size());
  bool ok = true;
  for (size_t i = 0; i < in.size(); ++i) {
    T value{};
    if (in[i].is_null() || !Decode(in[i], Index(path, i), errors, &value)) {
      if (in[i].is_null()) errors->push_back({Index(path, i), "must not be null"});
      ok = false;
      continue;
    }
    values.push_back(std::move(value));
  }
  // A list with a bad element stays raw in unknown_fields as a whole: the
  // C++ side sees no list rather than a list with holes in it.
  if (!ok) return false;
  *out = std::move(values);
  return true;
}

template <Mapped T>
bool Decode(const json& in, const std::string& path, FieldErrors* errors, T* out) {
  if (!in.is_object()) {
    errors->push_back({path, "must be an object, got " + TypeName(in)});
    return false;
  }
  Reader reader(in, path, errors);
  Fields(reader, *out);
  out->unknown_fields = reader.TakeUnknown();
  return true;
}

template <class T>
json Encode(const std::vector<T>& in) {
  json out = json::array();
  for (const T& item : in) out.push_back(Encode(item));
  return out;
}

template <Mapped T>
json Encode(const T& in) {
  Writer writer(in.unknown_fields);
  Fields(writer, const_cast<T&>(in));  // the Writer only reads the fields
  return writer.Take();
}

// Decodes a whole object (the root of a document). Errors carry paths from
// the root ("spec.numVfs").
template <Mapped T>
FieldErrors DecodeRoot(const json& in, T* out) {
  FieldErrors errors;
  if (!in.is_object()) {
    errors.push_back({"", "must be a JSON object, got " + TypeName(in)});
    return errors;
  }
  Decode(in, "", &errors, out);
  return errors;
}

template <Mapped T>
json EncodeRoot(const T& in) {
  return Encode(in);
}

// Encodes only what the C++ types model, dropping unknown fields: lets a
// test prove that the types cover every field of a CRD schema.
template <Mapped T>
json EncodeKnownFieldsOnly(const T& in) {
  encode_known_fields_only = true;
  json out = Encode(in);
  encode_known_fields_only = false;
  return out;
}

}  // namespace api::json_fields
