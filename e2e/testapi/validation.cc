// Admission checks shared by create and update: ObjectMeta, the CRD
// schema (pruning, defaults, validation) for custom resources, and the
// built-in kinds' own rules where the operator and its tests rely on them.
#include <algorithm>
#include <regex>

#include "e2e/testapi/api.h"
#include "kube/base64.h"
#include "e2e/testapi/object_meta.h"
#include "e2e/testapi/resource_requirements.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

const char* const kMetaFields[] = {"name",          "generateName",      "namespace",        "selfLink",
                                   "uid",           "resourceVersion",   "generation",       "creationTimestamp",
                                   "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
                                   "ownerReferences", "finalizers",      "managedFields"};

NameRule NameRuleFor(const ResourceType& t) {
  if (t.group.empty() && (t.plural == "namespaces" || t.plural == "services")) return NameRule::kDnsLabel;
  if (t.group == "rbac.authorization.k8s.io") return NameRule::kPathSegment;
  return NameRule::kDnsSubdomain;
}

FieldError Required(const std::string& field) { return {"FieldValueRequired", field, "Required value"}; }

bool IsNonEmptyString(const json& o, const char* key) {
  return o.contains(key) && o[key].is_string() && !o[key].get<std::string>().empty();
}

}  // namespace

void Api::AdmitObject(const Request& r, const ResourceType& t, json& obj, const ObjectPtr& old,
                      std::vector<std::string>* warnings) {
  std::string mode = "Warn";
  if (auto it = r.query.find("fieldValidation"); it != r.query.end()) {
    mode = it->second;
    if (mode != "Strict" && mode != "Warn" && mode != "Ignore")
      ThrowBadRequest("fieldValidation: invalid value \"" + mode + "\": must be Ignore, Warn or Strict");
  }
  // Built-in kinds decode into Go structs: a spec or status that is not an
  // object cannot be decoded at all.
  for (const char* part : {"spec", "status"})
    if (!t.custom && obj.contains(part) && !obj[part].is_object() && !obj[part].is_null())
      ThrowBadRequest(t.kind + " in version \"" + t.version + "\" cannot be handled as a " + t.kind +
                      ": json: cannot unmarshal " + obj[part].type_name() + " into Go struct field " + t.kind + "." +
                      part);
  // Decoding also defaults built-in kinds and rewrites their quantities in
  // canonical form; a quantity that does not parse fails the decode.
  if (!t.custom && t.group.empty()) {
    std::optional<std::string> decode_error;
    if (t.plural == "pods") decode_error = DefaultPodResources(obj);
    else if (t.plural == "nodes") decode_error = DefaultNodeResources(obj);
    if (decode_error)
      ThrowBadRequest(t.kind + " in version \"" + t.version + "\" cannot be handled as a " + t.kind + ": " +
                      *decode_error);
  }
  json& meta = obj["metadata"];
  std::vector<std::string> unknown;
  for (auto it = meta.begin(); it != meta.end();) {
    bool known = std::any_of(std::begin(kMetaFields), std::end(kMetaFields),
                             [&](const char* f) { return it.key() == f; });
    if (known) {
      ++it;
    } else {
      unknown.push_back("metadata." + it.key());
      it = meta.erase(it);
    }
  }

  std::vector<FieldError> errors = ValidateObjectMeta(meta, NameRuleFor(t));
  if (t.custom && t.schema) {
    for (auto& p : t.schema->Prune(obj)) unknown.push_back(std::move(p));
    t.schema->ApplyDefaults(obj);
    for (auto& e : t.schema->Validate(obj)) errors.push_back(std::move(e));
  } else {
    for (auto& e : ValidateBuiltin(t, obj, old)) errors.push_back(std::move(e));
  }

  if (!unknown.empty() && mode == "Strict") {
    std::string msg = "strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) msg += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
    ThrowBadRequest(msg);
  }
  if (mode == "Warn")
    for (const auto& u : unknown) warnings->push_back("unknown field \\\"" + u + "\\\"");

  if (!errors.empty()) {
    std::string name = meta.contains("name") && meta["name"].is_string() ? meta["name"].get<std::string>() : "";
    ThrowInvalid(t.group, t.kind, name, errors);
  }
}

std::vector<FieldError> Api::ValidateBuiltin(const ResourceType& t, const json& obj, const ObjectPtr& old) const {
  (void)old;
  std::vector<FieldError> errs;
  const json spec = obj.contains("spec") && obj["spec"].is_object() ? obj["spec"] : json::object();
  if (t.group.empty() && t.plural == "pods") {
    const json containers = spec.value("containers", json::array());
    if (!containers.is_array() || containers.empty()) {
      errs.push_back(Required("spec.containers"));
    } else {
      for (size_t i = 0; i < containers.size(); ++i) {
        std::string p = "spec.containers[" + std::to_string(i) + "]";
        if (!containers[i].is_object()) {
          errs.push_back({"FieldValueTypeInvalid", p, "Invalid value: must be an object"});
          continue;
        }
        if (!IsNonEmptyString(containers[i], "name")) errs.push_back(Required(p + ".name"));
        if (!IsNonEmptyString(containers[i], "image")) errs.push_back(Required(p + ".image"));
      }
    }
    for (const char* f : {"terminationGracePeriodSeconds", "activeDeadlineSeconds"})
      if (spec.contains(f) && !spec[f].is_number_integer())
        errs.push_back({"FieldValueTypeInvalid", std::string("spec.") + f, "Invalid value: must be an integer"});
    if (obj.contains("status") && obj["status"].is_object() && obj["status"].contains("conditions") &&
        !obj["status"]["conditions"].is_array())
      errs.push_back({"FieldValueTypeInvalid", "status.conditions", "Invalid value: must be a list"});
    for (auto& e : ValidatePodResources(obj)) errs.push_back(std::move(e));
  } else if (t.group.empty() && t.plural == "nodes") {
    for (auto& e : ValidateNodeResources(obj)) errs.push_back(std::move(e));
  } else if (t.group == "events.k8s.io") {
    // Stored in core form; named in events.k8s.io/v1 terms for the caller.
    if (!IsNonEmptyString(obj, "eventTime")) errs.push_back(Required("eventTime"));
    if (!IsNonEmptyString(obj, "reportingComponent")) errs.push_back(Required("reportingController"));
    if (!IsNonEmptyString(obj, "reportingInstance")) errs.push_back(Required("reportingInstance"));
    if (!IsNonEmptyString(obj, "action")) errs.push_back(Required("action"));
    if (!IsNonEmptyString(obj, "reason")) errs.push_back(Required("reason"));
    std::string type = obj.value("type", "");
    if (type != "Normal" && type != "Warning")
      errs.push_back({"FieldValueInvalid", "type",
                      "Invalid value: \"" + type + "\": has invalid value: " + type});
    if (obj.contains("message") && obj["message"].is_string() && obj["message"].get<std::string>().size() > 1024)
      errs.push_back({"FieldValueTooLong", "note", "Too long: may not be more than 1024 bytes"});
  } else if (t.group == "coordination.k8s.io" && t.plural == "leases") {
    if (spec.contains("leaseDurationSeconds") &&
        (!spec["leaseDurationSeconds"].is_number_integer() || spec["leaseDurationSeconds"].get<long>() <= 0))
      errs.push_back({"FieldValueInvalid", "spec.leaseDurationSeconds",
                      "Invalid value: " + spec["leaseDurationSeconds"].dump() + ": must be greater than 0"});
    if (spec.contains("holderIdentity") && !spec["holderIdentity"].is_string() && !spec["holderIdentity"].is_null())
      errs.push_back({"FieldValueTypeInvalid", "spec.holderIdentity", "Invalid value: must be a string"});
  } else if (t.group == "policy" && t.plural == "poddisruptionbudgets") {
    static const std::regex kIntOrPercent("^[0-9]+%?$");
    for (const char* f : {"minAvailable", "maxUnavailable"}) {
      if (!spec.contains(f)) continue;
      const json& v = spec[f];
      bool ok = (v.is_number_integer() && v.get<long>() >= 0) ||
                (v.is_string() && std::regex_match(v.get<std::string>(), kIntOrPercent));
      if (!ok)
        errs.push_back({"FieldValueInvalid", std::string("spec.") + f,
                        "Invalid value: " + v.dump() + ": must be a non-negative integer or a percentage (\"50%\")"});
    }
    if (spec.contains("minAvailable") && spec.contains("maxUnavailable"))
      errs.push_back({"FieldValueInvalid", "spec", "Invalid value: minAvailable and maxUnavailable cannot be both set"});
    std::string err;
    if (spec.contains("selector") && !kube::LabelSelector::FromJson(spec["selector"], &err))
      errs.push_back({"FieldValueInvalid", "spec.selector", "Invalid value: " + err});
  } else if (t.group.empty() && t.plural == "configmaps") {
    static const std::regex kKey("^[-._a-zA-Z0-9]+$");
    if (obj.contains("data") && !obj["data"].is_null()) {
      if (!obj["data"].is_object()) {
        errs.push_back({"FieldValueTypeInvalid", "data", "Invalid value: must be a map of strings"});
      } else {
        for (const auto& [k, v] : obj["data"].items()) {
          if (!std::regex_match(k, kKey))
            errs.push_back({"FieldValueInvalid", "data[" + k + "]",
                            "Invalid value: \"" + k + "\": a valid config key must consist of alphanumeric "
                            "characters, '-', '_' or '.'"});
          if (!v.is_string())
            errs.push_back({"FieldValueTypeInvalid", "data[" + k + "]", "Invalid value: must be a string"});
        }
      }
    }
  } else if (t.group.empty() && t.plural == "secrets") {
    if (obj.contains("data") && obj["data"].is_object())
      for (const auto& [k, v] : obj["data"].items())
        if (!v.is_string() || !kube::DecodeBase64(v.get<std::string>()))
          errs.push_back({"FieldValueInvalid", "data[" + k + "]", "Invalid value: must be base64-encoded bytes"});
  }
  return errs;
}

}  // namespace testapi
