// CustomResourceDefinitions: checks at create/update, the status the
// apiextensions controllers would write (NamesAccepted, Established), and
// serving each version of an established CRD as a ResourceType.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>

#include "e2e/testapi/api.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

const char kCrdCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

json Condition(const std::string& type, const std::string& reason, const std::string& message) {
  return {{"type", type}, {"status", "True"}, {"reason", reason}, {"message", message},
          {"lastTransitionTime", NowRfc3339()}};
}

}  // namespace

void Api::PrepareCrd(json& crd, bool creating) {
  std::vector<FieldError> errs;
  std::string name = crd["metadata"].value("name", "");
  if (!crd.contains("spec") || !crd["spec"].is_object()) crd["spec"] = json::object();
  json& spec = crd["spec"];
  static const std::regex kDnsLabel("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");

  std::string group = spec.value("group", "");
  if (group.empty()) errs.push_back({"FieldValueRequired", "spec.group", "Required value"});
  else if (group.find('.') == std::string::npos)
    errs.push_back({"FieldValueInvalid", "spec.group",
                    "Invalid value: \"" + group + "\": should be a domain with at least one dot"});
  if (!spec.contains("names") || !spec["names"].is_object()) spec["names"] = json::object();
  json& names = spec["names"];
  std::string plural = names.value("plural", ""), kind = names.value("kind", "");
  if (plural.empty()) errs.push_back({"FieldValueRequired", "spec.names.plural", "Required value"});
  else if (!std::regex_match(plural, kDnsLabel))
    errs.push_back({"FieldValueInvalid", "spec.names.plural",
                    "Invalid value: \"" + plural + "\": a lowercase RFC 1123 label must consist of lower case "
                    "alphanumeric characters or '-', and must start and end with an alphanumeric character"});
  if (kind.empty()) errs.push_back({"FieldValueRequired", "spec.names.kind", "Required value"});
  if (!plural.empty() && !group.empty() && name != plural + "." + group)
    errs.push_back({"FieldValueInvalid", "metadata.name",
                    "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group"});
  std::string scope = spec.value("scope", "");
  if (scope != "Namespaced" && scope != "Cluster")
    errs.push_back({"FieldValueNotSupported", "spec.scope",
                    "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\""});
  if (!kind.empty()) {
    if (!names.contains("singular")) names["singular"] = Lower(kind);
    if (!names.contains("listKind")) names["listKind"] = kind + "List";
  }
  if (!spec.contains("conversion")) spec["conversion"] = {{"strategy", "None"}};

  std::string storage_version;
  const json versions = spec.value("versions", json::array());
  if (!versions.is_array() || versions.empty())
    errs.push_back({"FieldValueInvalid", "spec.versions", "Invalid value: must have at least one version"});
  int storage_count = 0;
  for (size_t i = 0; versions.is_array() && i < versions.size(); ++i) {
    std::string p = "spec.versions[" + std::to_string(i) + "]";
    const json& v = versions[i];
    if (!v.is_object()) {
      errs.push_back({"FieldValueTypeInvalid", p, "Invalid value: must be an object"});
      continue;
    }
    if (!v.contains("name") || !v["name"].is_string() || v["name"] == "")
      errs.push_back({"FieldValueRequired", p + ".name", "Required value"});
    if (v.value("storage", false)) {
      ++storage_count;
      storage_version = v.value("name", "");
    }
    if (!v.contains("schema") || !v["schema"].is_object() || !v["schema"].contains("openAPIV3Schema")) {
      errs.push_back({"FieldValueRequired", p + ".schema.openAPIV3Schema", "Required value: schemas are required"});
    } else {
      std::vector<FieldError> schema_errs;
      StructuralSchema::Compile(v["schema"]["openAPIV3Schema"], p + ".schema.openAPIV3Schema", &schema_errs);
      for (auto& e : schema_errs) errs.push_back(std::move(e));
    }
    const json cols = v.value("additionalPrinterColumns", json::array());
    for (size_t c = 0; cols.is_array() && c < cols.size(); ++c) {
      std::string cp = p + ".additionalPrinterColumns[" + std::to_string(c) + "]";
      static const std::vector<std::string> kTypes = {"integer", "number", "string", "boolean", "date"};
      if (!cols[c].is_object() || !cols[c].contains("name")) errs.push_back({"FieldValueRequired", cp + ".name", "Required value"});
      else if (std::find(kTypes.begin(), kTypes.end(), cols[c].value("type", "")) == kTypes.end())
        errs.push_back({"FieldValueNotSupported", cp + ".type",
                        "Unsupported value: \"" + cols[c].value("type", "") +
                            "\": supported values: \"integer\", \"number\", \"string\", \"boolean\", \"date\""});
      if (cols[c].is_object() && !cols[c].contains("jsonPath"))
        errs.push_back({"FieldValueRequired", cp + ".jsonPath", "Required value"});
    }
  }
  if (versions.is_array() && !versions.empty() && storage_count != 1)
    errs.push_back({"FieldValueInvalid", "spec.versions",
                    "Invalid value: must have exactly one version marked as storage version"});
  if (!errs.empty())
    ThrowInvalid("apiextensions.k8s.io", "CustomResourceDefinition", name, errs);

  if (creating) {
    auto fins = crd["metadata"].value("finalizers", json::array());
    if (std::find(fins.begin(), fins.end(), kCrdCleanupFinalizer) == fins.end()) fins.push_back(kCrdCleanupFinalizer);
    crd["metadata"]["finalizers"] = fins;
  }
  json stored_versions = crd.contains("status") ? crd["status"].value("storedVersions", json::array()) : json::array();
  if (std::find(stored_versions.begin(), stored_versions.end(), storage_version) == stored_versions.end())
    stored_versions.push_back(storage_version);
  json old_conditions = crd.contains("status") ? crd["status"].value("conditions", json::array()) : json::array();
  json conditions = json::array();
  for (auto c : {Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                 Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")}) {
    for (const auto& o : old_conditions)
      if (o.value("type", "") == c["type"] && o.value("status", "") == "True") c["lastTransitionTime"] = o["lastTransitionTime"];
    conditions.push_back(c);
  }
  crd["status"] = {{"conditions", conditions}, {"acceptedNames", names}, {"storedVersions", stored_versions}};
}

void Api::ServeCrd(const json& crd) {
  const json& spec = crd["spec"];
  std::string name = crd["metadata"]["name"];
  std::string group = spec["group"], plural = spec["names"]["plural"];
  std::string storage = CustomStorage(group, plural);
  bool served_before = TypeForStorage(storage) != nullptr;
  registry_.RemoveCrd(name);
  for (const auto& v : spec["versions"]) {
    if (!v.value("served", true)) continue;
    ResourceType t;
    t.group = group;
    t.version = v["name"];
    t.plural = plural;
    t.singular = spec["names"].value("singular", "");
    t.kind = spec["names"]["kind"];
    t.namespaced = spec.value("scope", "Namespaced") == "Namespaced";
    t.short_names = spec["names"].value("shortNames", std::vector<std::string>{});
    t.categories = spec["names"].value("categories", std::vector<std::string>{});
    t.status_subresource = v.contains("subresources") && v["subresources"].contains("status");
    t.has_generation = true;
    t.custom = true;
    t.crd_name = name;
    t.storage = storage;
    std::vector<FieldError> errs;
    t.schema = StructuralSchema::Compile(v["schema"]["openAPIV3Schema"], "", &errs);
    if (!t.schema) {
      spdlog::error("msg=\"cannot serve CRD version: schema does not compile\" crd={} version={}", name, t.version);
      continue;
    }
    t.printer_columns = v.value("additionalPrinterColumns", json::array());
    for (const auto& f : v.value("selectableFields", json::array()))
      if (f.contains("jsonPath")) {
        std::string path = f["jsonPath"];
        if (!path.empty() && path[0] == '.') path = path.substr(1);
        t.selectable_fields.push_back(path);
      }
    registry_.Put(std::make_shared<const ResourceType>(std::move(t)));
  }
  if (!served_before) store_.StartHistory(storage);
}

}  // namespace testapi
