// OpenAPI v3 documents, one per group-version, as kubectl reads them:
// `--validate=strict` looks for the fieldValidation parameter on each
// kind's PATCH operation (then leaves validation to the server), and
// `kubectl explain` renders the component schemas. Custom resources carry
// their CRD schema; built-in kinds get a permissive schema, since this
// server does not ship Kubernetes' built-in schemas.
#include <functional>
#include <sstream>

#include "e2e/testapi/api.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

const char kObjectMetaRef[] = "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

std::string SchemaName(const ResourceType& t) {
  if (t.group.empty()) return "io.k8s.api.core." + t.version + "." + t.kind;
  // Reverse the DNS group: conformance.rdma-test.io -> io.rdma-test.conformance
  std::vector<std::string> parts;
  std::stringstream ss(t.group);
  for (std::string p; std::getline(ss, p, '.');) parts.insert(parts.begin(), p);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ".") + p;
  return out + "." + t.version + "." + t.kind;
}

json Gvk(const ResourceType& t) { return {{"group", t.group}, {"version", t.version}, {"kind", t.kind}}; }

json ObjectMetaSchema() {
  auto str = [](const char* d) { return json{{"type", "string"}, {"description", d}}; };
  json map = {{"type", "object"}, {"additionalProperties", {{"type", "string"}, {"default", ""}}}};
  json labels = map, annotations = map;
  labels["description"] = "Map of string keys and values that can be used to organize and categorize objects.";
  annotations["description"] = "Unstructured key value map stored with a resource for arbitrary metadata.";
  return {{"type", "object"},
          {"description",
           "ObjectMeta is metadata that all persisted resources must have, which includes all objects users must "
           "create."},
          {"properties",
           {{"name", str("Name must be unique within a namespace.")},
            {"generateName", str("Optional prefix used by the server to generate a unique name.")},
            {"namespace", str("Namespace defines the space within which each name must be unique.")},
            {"uid", str("UID is the unique in time and space value for this object.")},
            {"resourceVersion", str("An opaque value that represents the internal version of this object.")},
            {"generation", {{"type", "integer"}, {"format", "int64"},
                            {"description", "A sequence number representing a specific generation of the desired state."}}},
            {"creationTimestamp", str("Time when this object was created (RFC 3339).")},
            {"deletionTimestamp", str("Time at which this resource will be deleted (RFC 3339).")},
            {"labels", labels},
            {"annotations", annotations},
            {"finalizers", {{"type", "array"}, {"items", {{"type", "string"}, {"default", ""}}},
                            {"description", "Must be empty before the object is deleted from the registry."}}},
            {"ownerReferences", {{"type", "array"}, {"items", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                                 {"description", "List of objects depended by this object."}}}}}};
}

json KindSchema(const ResourceType& t) {
  json s;
  if (t.custom && t.schema) {
    s = t.schema->Raw();
  } else {
    s = {{"type", "object"},
         {"description", t.kind + " (served by kube-testapi without its built-in schema)"},
         {"x-kubernetes-preserve-unknown-fields", true}};
  }
  if (!s.contains("properties")) s["properties"] = json::object();
  s["properties"]["apiVersion"] = {
      {"type", "string"},
      {"description", "APIVersion defines the versioned schema of this representation of an object."}};
  s["properties"]["kind"] = {{"type", "string"},
                             {"description", "Kind is a string value representing the REST resource this object represents."}};
  s["properties"]["metadata"] = {{"allOf", {{{"$ref", kObjectMetaRef}}}},
                                 {"default", json::object()},
                                 {"description", "Standard object's metadata."}};
  s["x-kubernetes-group-version-kind"] = {Gvk(t)};
  return s;
}

json Operation(const ResourceType& t, const std::string& action, const std::string& schema_ref) {
  json ok_response = {{"description", "OK"},
                      {"content", {{"application/json", {{"schema", {{"$ref", schema_ref}}}}}}}};
  json op = {{"operationId", action + t.kind},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind", Gvk(t)},
             {"parameters", json::array()},
             {"responses", {{"200", ok_response}}}};
  auto query = [&](const char* name, const char* desc) {
    op["parameters"].push_back(
        {{"name", name}, {"in", "query"}, {"description", desc}, {"schema", {{"type", "string"}, {"uniqueItems", true}}}});
  };
  if (action == "patch" || action == "put" || action == "post") {
    query("dryRun", "When present, indicates that modifications should not be persisted.");
    query("fieldManager", "A name associated with the actor or entity that is making these changes.");
    query("fieldValidation", "How the server handles unknown or duplicate fields: Ignore, Warn or Strict.");
  }
  if (action == "patch") {
    json body = {{"schema", {{"type", "object"}}}};
    op["requestBody"] = {{"content",
                          {{"application/json-patch+json", body},
                           {"application/merge-patch+json", body},
                           {"application/apply-patch+yaml", body}}}};
  }
  return op;
}

}  // namespace

Response Api::OpenApiGroupVersion(const std::string& group, const std::string& version) const {
  auto types = registry_.TypesIn(group, version);
  if (types.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  json paths = json::object();
  json schemas = {{"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", ObjectMetaSchema()}};
  std::string prefix = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  for (const auto& t : types) {
    std::string name = SchemaName(*t);
    schemas[name] = KindSchema(*t);
    std::string ref = "#/components/schemas/" + name;
    std::string base = prefix + (t->namespaced ? "/namespaces/{namespace}/" : "/") + t->plural;
    paths[base] = {{"get", Operation(*t, "list", ref)}, {"post", Operation(*t, "post", ref)}};
    paths[base + "/{name}"] = {{"get", Operation(*t, "get", ref)},
                               {"put", Operation(*t, "put", ref)},
                               {"patch", Operation(*t, "patch", ref)},
                               {"delete", Operation(*t, "delete", ref)}};
  }
  json doc = {{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.6+testapi"}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
  Response r;
  r.body = doc.dump();
  return r;
}

Response Api::OpenApiIndex() const {
  json paths = json::object();
  for (const auto& g : registry_.Groups()) {
    for (const auto& v : g.versions) {
      std::string key = g.name.empty() ? "api/" + v : "apis/" + g.name + "/" + v;
      // The hash lets kubectl cache a document until it changes.
      std::string doc = OpenApiGroupVersion(g.name, v).body;
      std::ostringstream hash;
      hash << std::hex << std::hash<std::string>{}(doc);
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash.str()}};
    }
  }
  Response r;
  r.body = json{{"paths", paths}}.dump();
  return r;
}

}  // namespace testapi
