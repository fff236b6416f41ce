// The Kubernetes REST API as kube-testapi answers it: discovery, OpenAPI,
// and create/get/list/watch/update/patch/delete of every served type, with
// kube-apiserver's rules for resourceVersions, generations, the status
// subresource, finalizers, graceful pod deletion, eviction and
// CustomResourceDefinitions. Transport-free: the HTTP layer turns requests
// into Request values and sends back what Handle returns.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "e2e/testapi/audit_log.h"  // RequestAttributes
#include "e2e/testapi/field_error.h"
#include "e2e/testapi/field_selector.h"
#include "e2e/testapi/resources.h"
#include "e2e/testapi/store.h"
#include "kube/labels.h"

namespace testapi {

using json = nlohmann::json;

struct Request {
  std::string method;
  std::string path;  // without the query string
  std::map<std::string, std::string> query;
  std::string content_type;
  std::string accept;
  std::string body;
  std::string user;  // the authenticated (or impersonated) user
  std::vector<std::string> groups;
};

struct Response {
  int code = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a watch request asks for, once validated.
struct WatchSpec {
  ResourceTypePtr type;
  std::string ns;  // empty: all namespaces
  kube::LabelSelector labels;
  FieldSelector fields;
  uint64_t since_rv = 0;       // replay changes after this resourceVersion
  bool expired = false;        // since_rv is compacted: send one 410 ERROR event and end
  bool initial_state = false;  // send the current objects as ADDED first
  bool initial_events_end = false;  // sendInitialEvents: mark the end with a BOOKMARK
  bool bookmarks = false;
  int timeout_seconds = 0;
};

struct Outcome {
  Response response;
  std::optional<WatchSpec> watch;  // set: stream this watch instead of `response`
};

// Faults a test can inject (flag or POST /admin/faults).
struct Faults {
  double error_rate = 0;  // fraction of API requests that fail
  int error_code = 500;   // 500 or 429
  int latency_ms = 0;     // added before every API request
};

// Things the API asks of the transport around it.
struct ServerHooks {
  std::function<void()> drop_watches;     // end every open watch now
  std::function<void(Faults)> set_faults;
  std::function<Faults()> get_faults;
  // Would this user be allowed this request (SelfSubjectAccessReview,
  // SubjectAccessReview)? Unset: the server authorizes nothing, every
  // authenticated user may do everything.
  std::function<bool(const std::string& user, const std::vector<std::string>& groups,
                     const RequestAttributes& request)>
      authorize;
};

struct ApiOptions {
  size_t max_body_bytes = 3 * 1024 * 1024;
  std::string server_url;
};

class Api : public ChangeListener {
 public:
  Api(Store& store, ApiOptions options, ServerHooks hooks);
  ~Api() override;

  // Answers one request. Never throws.
  Outcome Handle(const Request& request);

  // Runs deferred work (namespace and CRD cleanup, garbage collection of
  // ownerReferences, PodDisruptionBudget status). Returns true if more work
  // is queued.
  bool RunUpkeep();
  bool HasUpkeep() const { return !upkeep_.empty() || !dirty_pdb_namespaces_.empty(); }

  // The object as clients of `type` see it (apiVersion, event conversion).
  json Present(const ResourceType& type, const json& stored) const;
  // One watch event line (with trailing newline) for a change seen by `type`.
  std::string EventLine(const ResourceType& type, const char* event_type, const json& stored);
  // A BOOKMARK event line at the current resourceVersion.
  std::string BookmarkLine(const ResourceType& type, bool initial_events_end) const;

  Store& store() { return store_; }
  void SetServerUrl(std::string url) { options_.server_url = std::move(url); }
  const Registry& registry() const { return registry_; }

  void OnChange(const Change& change) override;

 private:
  // Routing
  Outcome Dispatch(const Request& r);
  Outcome HandleResource(const Request& r, const std::vector<std::string>& segs, const std::string& group,
                         const std::string& version);
  Response HandleAdmin(const Request& r);
  // POST .../selfsubjectaccessreviews (self) or .../subjectaccessreviews (access_review.cc).
  Response AccessReview(const Request& r, bool self);
  // POST /apis/authentication.k8s.io/v1/selfsubjectreviews: who the request acts as.
  Response WhoAmI(const Request& r);

  // Discovery and OpenAPI (discovery.cc, openapi.cc)
  Response Version() const;
  Response CoreVersions() const;
  Response GroupList(const Request& r) const;
  Response Group(const std::string& group) const;
  Response ResourceList(const std::string& group, const std::string& version) const;
  Response OpenApiIndex() const;
  Response OpenApiGroupVersion(const std::string& group, const std::string& version) const;

  // Verbs (handlers.cc)
  Outcome List(const Request& r, const ResourceType& t, const std::string& ns);
  Response Get(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name);
  Response Create(const Request& r, const ResourceType& t, const std::string& ns);
  Response Update(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name,
                  const std::string& sub);
  Response Patch(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name,
                 const std::string& sub);
  Response Delete(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name);
  Response DeleteCollection(const Request& r, const ResourceType& t, const std::string& ns);
  Response Evict(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name);

  // The shared write path: checks and commits `desired` as the new state of
  // `old` (null: create). Returns what was stored.
  ObjectPtr CommitCreate(const Request& r, const ResourceType& t, json obj, std::vector<std::string>* warnings);
  ObjectPtr CommitUpdate(const Request& r, const ResourceType& t, json desired, const ObjectPtr& old,
                         const std::string& sub, std::vector<std::string>* warnings);
  // Deletes `obj` following kube-apiserver's rules (finalizers, graceful
  // pods, propagation). Returns the response body.
  json DeleteObject(const ResourceType& t, const ObjectPtr& obj, const json& options, bool dry_run);
  void FinishDeletion(const ResourceType& t, const ObjectPtr& obj);

  // Checks shared by create and update (validation.cc)
  void AdmitObject(const Request& r, const ResourceType& t, json& obj, const ObjectPtr& old,
                   std::vector<std::string>* warnings);
  std::vector<FieldError> ValidateBuiltin(const ResourceType& t, const json& obj, const ObjectPtr& old) const;

  // CRDs (crd.cc)
  void PrepareCrd(json& crd, bool creating);
  void ServeCrd(const json& crd);

  // Lifecycle (lifecycle.cc)
  void QueueUpkeep(std::function<void()> task);
  void CleanupNamespace(const std::string& ns);
  void CleanupCrd(const std::string& name);
  void CollectDependents(const json& owner);
  void UpdatePdbStatuses(const std::string& ns);
  json PdbStatus(const json& pdb, const std::vector<ObjectPtr>& pods) const;

  // Helpers
  ResourceTypePtr TypeForStorage(const std::string& storage) const;
  json DecodeBody(const Request& r) const;
  Response ObjectResponse(int code, const ResourceType& t, const json& stored,
                          const std::vector<std::string>& warnings = {}) const;
  Response TableResponse(const Request& r, const ResourceType& t, const std::vector<ObjectPtr>& objs,
                         const std::string& rv, const std::string& cont) const;
  bool WantsTable(const Request& r) const;

  Store& store_;
  Registry registry_;
  ApiOptions options_;
  ServerHooks hooks_;
  std::deque<std::function<void()>> upkeep_;
  std::set<std::string> dirty_pdb_namespaces_;
  // ownerReferences index: owner uid -> dependents, for garbage collection.
  struct ObjectRef {
    std::string storage, ns, name;
  };
  std::multimap<std::string, ObjectRef> dependents_;
  // One-entry cache: consecutive watchers of the same change share a line.
  struct LineCache {
    uint64_t rv = 0;
    const ResourceType* type = nullptr;
    std::string event_type;
    std::string line;
  } line_cache_;
};

// Current time in RFC 3339 with second precision ("2026-01-01T00:00:00Z").
std::string NowRfc3339();
// RFC 3339 with microseconds, as MicroTime fields use.
std::string NowRfc3339Micro();
// A random lowercase alphanumeric suffix (generateName, uids).
std::string RandomSuffix(size_t n);
std::string NewUid();

}  // namespace testapi
