// SelfSubjectAccessReview and SubjectAccessReview (authorization.k8s.io/v1):
// "may this user do this?", answered by the server's authorizer (the
// ServerHooks::authorize hook; without --rbac everyone may do everything);
// and SelfSubjectReview (authentication.k8s.io/v1): "who am I?". Nothing is
// stored: the answer is the review with its status filled in.
#include "e2e/testapi/api.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

constexpr const char* kAuthzGroup = "authorization.k8s.io";

std::string Field(const json& obj, const char* key) {
  return obj.contains(key) && obj[key].is_string() ? obj[key].get<std::string>() : "";
}

// The attributes a review's spec asks about, as the authorizer reads them.
RequestAttributes SpecAttributes(const json& spec) {
  RequestAttributes a;
  if (spec.contains("resourceAttributes") && spec["resourceAttributes"].is_object()) {
    const json& r = spec["resourceAttributes"];
    a.resource_request = true;
    a.verb = Field(r, "verb");
    a.api_group = Field(r, "group");
    a.api_version = Field(r, "version");
    a.resource = Field(r, "resource");
    a.subresource = Field(r, "subresource");
    a.namespace_ = Field(r, "namespace");
    a.name = Field(r, "name");
  } else {
    const json& n = spec["nonResourceAttributes"];
    a.verb = Field(n, "verb");
    a.path = Field(n, "path");
  }
  return a;
}

}  // namespace

Response Api::AccessReview(const Request& r, bool self) {
  const std::string kind = self ? "SelfSubjectAccessReview" : "SubjectAccessReview";
  if (r.method != "POST")
    ThrowStatus(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  json review = DecodeBody(r);
  if (!review.is_object()) ThrowBadRequest("the request body is not a " + kind);
  json spec = review.value("spec", json::object());
  if (!spec.is_object()) ThrowBadRequest("spec must be an object");
  bool res = spec.contains("resourceAttributes") && !spec["resourceAttributes"].is_null();
  bool nonres = spec.contains("nonResourceAttributes") && !spec["nonResourceAttributes"].is_null();
  std::vector<FieldError> errors;
  if (res && nonres)
    errors.push_back(field::InvalidPreformatted("spec.nonResourceAttributes", "{...}",
                                                "cannot be specified in combination with resourceAttributes"));
  if (!res && !nonres)
    errors.push_back(field::InvalidPreformatted("spec.resourceAttributes", "null",
                                                "exactly one of nonResourceAttributes or resourceAttributes must be "
                                                "specified"));
  std::string user = r.user;
  std::vector<std::string> groups = r.groups;
  if (!self) {
    user = Field(spec, "user");
    groups.clear();
    if (spec.contains("groups") && spec["groups"].is_array())
      for (const auto& g : spec["groups"])
        if (g.is_string()) groups.push_back(g.get<std::string>());
    if (user.empty() && groups.empty())
      errors.push_back(field::Invalid("spec.user", "", "at least one of user or group must be specified"));
  }
  if (!errors.empty()) ThrowInvalid(kAuthzGroup, kind, "", errors);

  bool allowed = !hooks_.authorize || hooks_.authorize(user, groups, SpecAttributes(spec));
  json out = {{"kind", kind},
              {"apiVersion", std::string(kAuthzGroup) + "/v1"},
              {"metadata", review.value("metadata", json::object())},
              {"spec", spec},
              {"status", {{"allowed", allowed}}}};
  out["metadata"]["creationTimestamp"] = nullptr;
  if (self) out["spec"].erase("user"), out["spec"].erase("groups");
  Response resp;
  resp.code = 201;
  resp.body = out.dump();
  return resp;
}

Response Api::WhoAmI(const Request& r) {
  if (r.method != "POST")
    ThrowStatus(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  json review = DecodeBody(r);
  json meta = review.is_object() ? review.value("metadata", json::object()) : json::object();
  meta["creationTimestamp"] = nullptr;
  json user = {{"username", r.user}};
  if (!r.groups.empty()) user["groups"] = r.groups;
  json out = {{"kind", "SelfSubjectReview"},
              {"apiVersion", "authentication.k8s.io/v1"},
              {"metadata", meta},
              {"status", {{"userInfo", user}}}};
  Response resp;
  resp.code = 201;
  resp.body = out.dump();
  return resp;
}

}  // namespace testapi
