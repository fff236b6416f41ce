// The REST verbs: list/watch, get, create, update, patch, delete,
// deletecollection and pod eviction, with kube-apiserver's semantics.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>

#include "e2e/testapi/api.h"
#include "kube/base64.h"
#include "e2e/testapi/events.h"
#include "e2e/testapi/field_error.h"
#include "e2e/testapi/patch.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

std::string Query(const Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

bool QueryTrue(const Request& r, const std::string& key) {
  auto v = Query(r, key);
  return v == "true" || v == "1";
}

std::string KeyOf(const json& o) {
  return o["metadata"].value("namespace", "") + "/" + o["metadata"].value("name", "");
}

uint64_t ParseRv(const std::string& s, const char* what) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
    ThrowBadRequest(std::string(what) + ": invalid resource version \"" + s + "\"");
  try {
    size_t used = 0;
    uint64_t v = std::stoull(s, &used);
    if (used == s.size()) return v;
  } catch (...) {
  }
  ThrowBadRequest(std::string(what) + ": invalid resource version \"" + s + "\"");
}

bool IsDryRun(const Request& r) { return Query(r, "dryRun") == "All"; }

}  // namespace

// ---- list and watch --------------------------------------------------------

Outcome Api::List(const Request& r, const ResourceType& t, const std::string& ns) {
  std::string error;
  auto labels = kube::LabelSelector::Parse(Query(r, "labelSelector"), &error);
  if (!labels) ThrowBadRequest("unable to parse requirement: " + error);
  auto fields = FieldSelector::Parse(Query(r, "fieldSelector"), t.selectable_fields, &error);
  if (!fields) ThrowBadRequest(error);

  if (QueryTrue(r, "watch")) {
    WatchSpec w;
    w.type = registry_.Find(t.group, t.version, t.plural);
    w.ns = ns;
    w.labels = *labels;
    w.fields = *fields;
    w.bookmarks = QueryTrue(r, "allowWatchBookmarks");
    std::string rv = Query(r, "resourceVersion");
    std::string sie = Query(r, "sendInitialEvents");
    if (!sie.empty()) {
      if (sie == "true" && (Query(r, "resourceVersionMatch") != "NotOlderThan" || !w.bookmarks))
        ThrowStatus(422, "Invalid",
                    "ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: Forbidden: sendInitialEvents "
                    "is only supported with resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true",
                    json{{"kind", "ListOptions"}, {"group", "meta.k8s.io"}});
      w.initial_state = sie == "true";
      w.initial_events_end = sie == "true";
      w.since_rv = rv.empty() || rv == "0" ? store_.CurrentRv() : ParseRv(rv, "watch");
    } else if (rv.empty() || rv == "0") {
      w.initial_state = true;
      w.since_rv = store_.CurrentRv();
    } else {
      w.since_rv = ParseRv(rv, "watch");
      if (w.since_rv < store_.OldestWatchableRv(t.storage)) w.expired = true;
      if (w.since_rv > store_.CurrentRv()) w.since_rv = store_.CurrentRv();
    }
    std::string timeout = Query(r, "timeoutSeconds");
    if (!timeout.empty()) {
      try {
        w.timeout_seconds = std::stoi(timeout);
      } catch (...) {
        ThrowBadRequest("timeoutSeconds: invalid value \"" + timeout + "\"");
      }
    } else {
      // kube-apiserver's default: a random time between 30 and 60 minutes.
      w.timeout_seconds = 1800 + static_cast<int>(std::random_device{}() % 1800);
    }
    Outcome o;
    o.watch = std::move(w);
    return o;
  }

  // A list is served from the current state; a continue token pins the
  // resourceVersion reported for every page and where to resume.
  uint64_t list_rv = store_.CurrentRv();
  std::string start_after;
  std::string cont = Query(r, "continue");
  if (!cont.empty()) {
    auto raw = kube::DecodeBase64(cont);
    json tok = raw ? json::parse(*raw, nullptr, false) : json();
    if (!raw || tok.is_discarded() || !tok.is_object() || !tok.contains("rv") || !tok.contains("start") ||
        !tok["rv"].is_number_unsigned() || !tok["start"].is_string())
      ThrowBadRequest("continue key is not valid: the continue token is malformed");
    list_rv = tok["rv"].get<uint64_t>();
    start_after = tok["start"].get<std::string>();
    if (list_rv < store_.OldestWatchableRv(t.storage))
      ThrowStatus(410, "Expired",
                  "The provided continue parameter is too old to display a consistent list result. You can start "
                  "a new list without the continue parameter.");
  }
  std::string rv_param = Query(r, "resourceVersion");
  if (!rv_param.empty() && rv_param != "0" && cont.empty()) {
    uint64_t want = ParseRv(rv_param, "list");
    if (want > store_.CurrentRv())
      ThrowStatus(504, "Timeout",
                  "Too large resource version: " + rv_param + ", current: " + std::to_string(store_.CurrentRv()),
                  json{{"causes", {{{"reason", "ResourceVersionTooLarge"},
                                    {"message", "Too large resource version"}}}},
                       {"retryAfterSeconds", 1}});
  }
  long limit = 0;
  if (!Query(r, "limit").empty()) {
    try {
      limit = std::stol(Query(r, "limit"));
    } catch (...) {
      ThrowBadRequest("limit: invalid value \"" + Query(r, "limit") + "\"");
    }
  }

  std::vector<ObjectPtr> selected;
  bool filtered = !labels->MatchesEverything() || !fields->Empty();
  for (const auto& o : store_.List(t.storage, ns)) {
    if (!start_after.empty() && KeyOf(*o) <= start_after) continue;
    const json& meta = (*o)["metadata"];
    if (!labels->Matches(meta.contains("labels") ? meta["labels"] : json())) continue;
    if (!fields->Matches(*o)) continue;
    selected.push_back(o);
  }
  std::string next;
  size_t remaining = 0;
  if (limit > 0 && selected.size() > static_cast<size_t>(limit)) {
    remaining = selected.size() - limit;
    selected.resize(limit);
    json tok = {{"rv", list_rv}, {"start", KeyOf(*selected.back())}};
    next = kube::EncodeBase64(tok.dump());
  }

  Outcome out;
  if (WantsTable(r)) {
    out.response = TableResponse(r, t, selected, std::to_string(list_rv), next);
    return out;
  }
  json list = {{"kind", t.ListKind()},
               {"apiVersion", t.ApiVersion()},
               {"metadata", {{"resourceVersion", std::to_string(list_rv)}}},
               {"items", json::array()}};
  if (!next.empty()) {
    list["metadata"]["continue"] = next;
    if (!filtered) list["metadata"]["remainingItemCount"] = remaining;
  }
  auto& items = list["items"];
  for (const auto& o : selected) {
    json item = Present(t, *o);
    if (!t.custom) {
      // Built-in lists carry kind and apiVersion only on the list itself.
      item.erase("kind");
      item.erase("apiVersion");
    }
    items.push_back(std::move(item));
  }
  out.response.body = list.dump();
  return out;
}

// ---- get ---------------------------------------------------------------------

Response Api::Get(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name) {
  if (t.namespaced && ns.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  auto o = store_.Get(t.storage, ns, name);
  if (!o) ThrowNotFound(t.group, t.plural, name);
  if (WantsTable(r)) return TableResponse(r, t, {o}, (*o)["metadata"]["resourceVersion"], "");
  return ObjectResponse(200, t, *o);
}

// ---- create ------------------------------------------------------------------

Response Api::Create(const Request& r, const ResourceType& t, const std::string& ns) {
  if (t.namespaced && ns.empty())
    ThrowStatus(405, "MethodNotAllowed", "create of namespaced " + t.plural + " needs a namespace in the path");
  json obj = DecodeBody(r);
  std::string want_api = t.ApiVersion();
  if (obj.contains("apiVersion") && obj["apiVersion"] != want_api)
    ThrowBadRequest("the API version in the data (" + obj["apiVersion"].dump() +
                    ") does not match the expected API version (" + want_api + ")");
  if (obj.contains("kind") && obj["kind"] != t.kind)
    ThrowBadRequest("the kind in the data (" + obj["kind"].dump() + ") does not match the expected kind (" + t.kind +
                    ")");
  obj["apiVersion"] = want_api;
  obj["kind"] = t.kind;
  if (!obj.contains("metadata") || obj["metadata"].is_null()) obj["metadata"] = json::object();
  if (!obj["metadata"].is_object()) ThrowBadRequest("metadata must be an object");
  json& meta = obj["metadata"];
  if (t.namespaced) {
    if (meta.contains("namespace") && meta["namespace"] != "" && meta["namespace"] != ns)
      ThrowBadRequest("the namespace of the provided object does not match the namespace sent on the request");
    meta["namespace"] = ns;
    auto nsobj = store_.Get("/namespaces", "", ns);
    if (!nsobj) ThrowNotFound("", "namespaces", ns);
    if ((*nsobj)["metadata"].contains("deletionTimestamp"))
      ThrowStatus(403, "Forbidden",
                  QualifiedResource(t.group, t.plural) + " \"" + meta.value("name", "") +
                      "\" is forbidden: unable to create new content in namespace " + ns +
                      " because it is being terminated",
                  json{{"name", meta.value("name", "")},
                       {"kind", t.plural},
                       {"causes",
                        {{{"reason", "NamespaceTerminating"},
                          {"message", "namespace " + ns + " is being terminated"},
                          {"field", "metadata.namespace"}}}}});
  } else {
    meta.erase("namespace");
  }
  if (t.group == "events.k8s.io") obj = V1EventToCore(obj);

  std::vector<std::string> warnings;
  auto stored = CommitCreate(r, t, std::move(obj), &warnings);
  return ObjectResponse(201, t, *stored, warnings);
}

ObjectPtr Api::CommitCreate(const Request& r, const ResourceType& t, json obj, std::vector<std::string>* warnings) {
  json& meta = obj["metadata"];
  if ((!meta.contains("name") || meta["name"] == "") && meta.contains("generateName") &&
      meta["generateName"].is_string() && meta["generateName"] != "") {
    std::string ns = meta.value("namespace", "");
    for (int attempt = 0; attempt < 8; ++attempt) {
      meta["name"] = meta["generateName"].get<std::string>() + RandomSuffix(5);
      if (!store_.Get(t.storage, ns, meta["name"])) break;
    }
  }
  // Server-owned fields start fresh, whatever the client sent.
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields"})
    meta.erase(f);
  if (t.custom && t.status_subresource) obj.erase("status");

  AdmitObject(r, t, obj, nullptr, warnings);

  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");
  if (store_.Get(t.storage, ns, name)) ThrowAlreadyExists(t.group, t.plural, name);

  meta["uid"] = NewUid();
  meta["creationTimestamp"] = NowRfc3339();
  if (t.has_generation || t.custom) meta["generation"] = 1;
  if (t.plural == "namespaces" && t.group.empty()) {
    obj["spec"]["finalizers"] = {"kubernetes"};
    obj["status"] = {{"phase", "Active"}};
    meta["labels"]["kubernetes.io/metadata.name"] = name;
  } else if (t.plural == "pods" && t.group.empty()) {
    obj["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
    if (!obj["spec"].contains("terminationGracePeriodSeconds")) obj["spec"]["terminationGracePeriodSeconds"] = 30;
  } else if (t.plural == "customresourcedefinitions") {
    PrepareCrd(obj, true);
  } else if (t.plural == "secrets" && t.group.empty() && (!obj.contains("type") || obj["type"] == "")) {
    obj["type"] = "Opaque";
  }
  if (IsDryRun(r)) {
    meta["resourceVersion"] = "";
    return std::make_shared<const json>(std::move(obj));
  }
  auto stored = store_.Create(t.storage, std::move(obj));
  if (t.plural == "customresourcedefinitions") ServeCrd(*stored);
  return stored;
}

// ---- update ------------------------------------------------------------------

Response Api::Update(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name,
                     const std::string& sub) {
  if (t.namespaced && ns.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  json obj = DecodeBody(r);
  auto old = store_.Get(t.storage, ns, name);
  if (!old) ThrowNotFound(t.group, t.plural, name);
  if (obj.contains("apiVersion") && obj["apiVersion"] != t.ApiVersion())
    ThrowBadRequest("the API version in the data (" + obj["apiVersion"].dump() +
                    ") does not match the expected API version (" + t.ApiVersion() + ")");
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  // Without a resourceVersion the update is unconditional where
  // kube-apiserver's strategy allows it (AllowUnconditionalUpdate: built-in
  // kinds, e.g. the Secret Helm keeps its release in) and refused for custom
  // resources and CRDs.
  bool has_rv = obj["metadata"].contains("resourceVersion") && obj["metadata"]["resourceVersion"] != "";
  if (!has_rv && !t.custom && t.plural != "customresourcedefinitions") {
    obj["metadata"].erase("resourceVersion");
  } else if (!has_rv) {
    ThrowInvalid(t.group, t.kind, name,
                 {{"FieldValueInvalid", "metadata.resourceVersion",
                   "Invalid value: 0x0: must be specified for an update"}});
  }
  if (t.group == "events.k8s.io") obj = V1EventToCore(obj);
  std::vector<std::string> warnings;
  auto stored = CommitUpdate(r, t, std::move(obj), old, sub, &warnings);
  return ObjectResponse(200, t, *stored, warnings);
}

ObjectPtr Api::CommitUpdate(const Request& r, const ResourceType& t, json desired, const ObjectPtr& old,
                            const std::string& sub, std::vector<std::string>* warnings) {
  const json& old_meta = (*old)["metadata"];
  std::string name = old_meta["name"];
  json& dmeta = desired["metadata"];
  if (dmeta.contains("name") && dmeta["name"] != name)
    ThrowBadRequest("the name of the object (" + dmeta["name"].dump() + ") does not match the name on the URL (" +
                    name + ")");
  if (dmeta.contains("resourceVersion") && dmeta["resourceVersion"] != old_meta["resourceVersion"])
    ThrowConflict(t.group, t.plural, name,
                  "the object has been modified; please apply your changes to the latest version and try again");

  json next;
  if (sub == "status") {
    // A status write changes status only.
    next = *old;
    if (desired.contains("status")) next["status"] = desired["status"];
    else next.erase("status");
  } else {
    next = std::move(desired);
    next["apiVersion"] = (*old)["apiVersion"];
    next["kind"] = (*old)["kind"];
    json& meta = next["metadata"];
    for (const char* f : {"uid", "creationTimestamp", "namespace", "name", "generation", "deletionTimestamp",
                          "deletionGracePeriodSeconds"}) {
      if (old_meta.contains(f)) meta[f] = old_meta[f];
      else meta.erase(f);
    }
    meta.erase("managedFields");
    if (t.status_subresource && !(t.plural == "namespaces" && sub == "finalize")) {
      if (old->contains("status")) next["status"] = (*old)["status"];
      else next.erase("status");
    }
    if (sub == "finalize") {
      // Namespace finalize: only spec.finalizers changes.
      json f = next.contains("spec") ? next["spec"].value("finalizers", json::array()) : json::array();
      next = *old;
      next["spec"]["finalizers"] = f;
    }
  }
  next["metadata"]["resourceVersion"] = old_meta["resourceVersion"];
  if (t.plural == "customresourcedefinitions" && sub.empty()) PrepareCrd(next, false);

  AdmitObject(r, t, next, old, warnings);

  json& meta = next["metadata"];
  if (old_meta.contains("deletionTimestamp")) {
    // While deleting, finalizers may only go away.
    std::vector<std::string> added;
    json old_fin = old_meta.value("finalizers", json::array());
    for (const auto& f : meta.value("finalizers", json::array()))
      if (std::find(old_fin.begin(), old_fin.end(), f) == old_fin.end()) added.push_back(f.get<std::string>());
    if (!added.empty()) {
      std::string list;
      for (const auto& a : added) list += (list.empty() ? "" : ", ") + std::string("\"") + a + "\"";
      FieldError e{"FieldValueForbidden", "metadata.finalizers",
                   "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
                   "[]string{" + list + "}"};
      ThrowInvalid(t.group, t.kind, name, {e});
    }
  }

  if (t.has_generation || t.custom) {
    auto without = [&](const json& o) {
      json c = o;
      c.erase("metadata");
      if (t.status_subresource) c.erase("status");
      return c;
    };
    if (without(next) != without(*old)) meta["generation"] = old_meta.value("generation", 1) + 1;
  }

  if (next == *old) return old;  // no-op: same resourceVersion, no event
  if (IsDryRun(r)) return std::make_shared<const json>(std::move(next));

  if (meta.contains("deletionTimestamp") && meta.value("finalizers", json::array()).empty() &&
      !(t.plural == "pods" && t.group.empty() && meta.value("deletionGracePeriodSeconds", 0) > 0) &&
      !(t.plural == "namespaces" && t.group.empty() && !next["spec"].value("finalizers", json::array()).empty())) {
    auto last = std::make_shared<const json>(std::move(next));
    FinishDeletion(t, last);
    return last;
  }
  auto stored = store_.Update(t.storage, std::move(next), old);
  if (t.plural == "customresourcedefinitions") ServeCrd(*stored);
  return stored;
}

// ---- patch -------------------------------------------------------------------

Response Api::Patch(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name,
                    const std::string& sub) {
  if (t.namespaced && ns.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  std::string ct = r.content_type.substr(0, r.content_type.find(';'));
  bool apply = ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json";
  if (ct != "application/merge-patch+json" && ct != "application/json-patch+json" &&
      ct != "application/strategic-merge-patch+json" && !apply)
    ThrowStatus(415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml" +
                    std::string(t.custom ? "" : ", application/strategic-merge-patch+json"));
  if (ct == "application/strategic-merge-patch+json" && t.custom)
    ThrowStatus(415, "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  if (r.body.size() > options_.max_body_bytes)
    ThrowStatus(413, "RequestEntityTooLarge",
                "Request entity too large: limit is " + std::to_string(options_.max_body_bytes));
  if (apply && r.query.count("fieldManager") == 0)
    ThrowStatus(422, "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                json{{"group", "meta.k8s.io"},
                     {"kind", "PatchOptions"},
                     {"causes",
                      {{{"reason", "FieldValueRequired"},
                        {"message", "Required value: is required for apply patch"},
                        {"field", "fieldManager"}}}}});

  auto old = store_.Get(t.storage, ns, name);
  if (!old && apply && sub.empty()) {
    // Server-side apply of a missing object creates it.
    Request create = r;
    create.content_type = "application/yaml";
    return Create(create, t, ns);
  }
  if (!old) ThrowNotFound(t.group, t.plural, name);

  json current = Present(t, *old);
  json patched;
  if (ct == "application/json-patch+json") {
    json ops = json::parse(r.body, nullptr, false);
    if (ops.is_discarded() || !ops.is_array()) ThrowBadRequest("json patch: the body must be a JSON array of operations");
    try {
      patched = current.patch(ops);
    } catch (const json::exception& e) {
      ThrowStatus(422, "Invalid", std::string("the server rejected our request due to an error in our request: ") +
                                      e.what());
    }
  } else {
    json p = DecodeBody(r);
    if (ct == "application/merge-patch+json") {
      patched = current;
      patched.merge_patch(p);
    } else if (ct == "application/strategic-merge-patch+json") {
      std::string err;
      auto out = StrategicMergePatch(current, p, &err);
      if (!out) ThrowStatus(422, "Invalid", "strategic merge patch: " + err);
      patched = std::move(*out);
    } else {
      patched = ApplyPatch(current, p);
    }
  }
  if (!patched.is_object()) ThrowBadRequest("the patch turned the object into a non-object");
  if (patched.contains("metadata") && !patched["metadata"].is_object() && !patched["metadata"].is_null())
    ThrowBadRequest("the patch made metadata a " + std::string(patched["metadata"].type_name()) +
                    "; metadata must be an object");
  if (!patched.contains("metadata") || !patched["metadata"].is_object()) patched["metadata"] = json::object();
  auto& pmeta = patched["metadata"];
  if (!pmeta.contains("resourceVersion") || pmeta["resourceVersion"] == "" || pmeta["resourceVersion"].is_null())
    pmeta["resourceVersion"] = (*old)["metadata"]["resourceVersion"];
  if (t.group == "events.k8s.io") patched = V1EventToCore(patched);

  std::vector<std::string> warnings;
  auto stored = CommitUpdate(r, t, std::move(patched), old, sub, &warnings);
  return ObjectResponse(200, t, *stored, warnings);
}

// ---- delete ------------------------------------------------------------------

Response Api::Delete(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name) {
  if (t.namespaced && ns.empty()) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  json opts = json::object();
  if (!r.body.empty()) opts = DecodeBody(r);
  if (r.query.count("gracePeriodSeconds")) {
    try {
      opts["gracePeriodSeconds"] = std::stol(r.query.at("gracePeriodSeconds"));
    } catch (...) {
      ThrowBadRequest("gracePeriodSeconds: invalid value \"" + r.query.at("gracePeriodSeconds") + "\"");
    }
  }
  if (r.query.count("propagationPolicy")) opts["propagationPolicy"] = r.query.at("propagationPolicy");
  if (opts.contains("gracePeriodSeconds") && !opts["gracePeriodSeconds"].is_number_integer() &&
      !opts["gracePeriodSeconds"].is_null())
    ThrowBadRequest("DeleteOptions: gracePeriodSeconds must be an integer");
  if (opts.contains("propagationPolicy") && !opts["propagationPolicy"].is_string())
    ThrowBadRequest("DeleteOptions: propagationPolicy must be a string");
  auto obj = store_.Get(t.storage, ns, name);
  if (!obj) ThrowNotFound(t.group, t.plural, name);
  if (opts.contains("preconditions") && opts["preconditions"].is_object()) {
    const auto& pre = opts["preconditions"];
    const auto& meta = (*obj)["metadata"];
    if (pre.contains("uid") && pre["uid"].is_string() && pre["uid"] != meta["uid"])
      ThrowConflict(t.group, t.plural, name,
                    "Precondition failed: UID in precondition: " + pre["uid"].get<std::string>() +
                        ", UID in object meta: " + meta["uid"].get<std::string>());
    if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string() &&
        pre["resourceVersion"] != meta["resourceVersion"])
      ThrowConflict(t.group, t.plural, name,
                    "Precondition failed: ResourceVersion in precondition: " +
                        pre["resourceVersion"].get<std::string>() +
                        ", ResourceVersion in object meta: " + meta["resourceVersion"].get<std::string>());
  }
  bool dry_run = IsDryRun(r);
  if (opts.contains("dryRun") && opts["dryRun"].is_array() && !opts["dryRun"].empty()) dry_run = true;
  json body = DeleteObject(t, obj, opts, dry_run);
  Response resp;
  resp.body = body.dump();
  return resp;
}

json Api::DeleteObject(const ResourceType& t, const ObjectPtr& obj, const json& opts, bool dry_run) {
  const json& meta = (*obj)["metadata"];
  std::string name = meta["name"];
  bool is_pod = t.plural == "pods" && t.group.empty();
  bool is_ns = t.plural == "namespaces" && t.group.empty();
  long grace = -1;
  if (opts.contains("gracePeriodSeconds") && opts["gracePeriodSeconds"].is_number_integer())
    grace = opts["gracePeriodSeconds"].get<long>();
  std::string policy = opts.value("propagationPolicy", "");
  if (!policy.empty() && policy != "Background" && policy != "Foreground" && policy != "Orphan")
    ThrowBadRequest("propagationPolicy: Unsupported value: \"" + policy +
                    "\": supported values: \"Background\", \"Foreground\", \"Orphan\"");

  auto deleted_body = [&](const json& last) {
    if (t.returns_deleted_object || is_ns) return Present(t, last);
    json d = {{"name", name}, {"kind", t.plural}, {"uid", meta["uid"]}};
    if (!t.group.empty()) d["group"] = t.group;
    return SuccessStatus(d);
  };

  json next = *obj;
  json& nmeta = next["metadata"];
  bool graceful_pod = is_pod && next["spec"].value("nodeName", "") != "" && grace != 0;
  if (is_pod && grace == 0 && meta.contains("deletionTimestamp") && meta.value("finalizers", json::array()).empty()) {
    if (!dry_run) FinishDeletion(t, obj);
    return deleted_body(*obj);
  }
  if (meta.contains("deletionTimestamp")) {
    // Already being deleted: nothing more to start.
    return Present(t, *obj);
  }
  if (policy == "Foreground" || policy == "Orphan") {
    std::string f = policy == "Foreground" ? "foregroundDeletion" : "orphan";
    auto fins = nmeta.value("finalizers", json::array());
    if (std::find(fins.begin(), fins.end(), f) == fins.end()) fins.push_back(f);
    nmeta["finalizers"] = fins;
  }
  bool has_finalizers = !nmeta.value("finalizers", json::array()).empty();
  if (is_ns) {
    nmeta["deletionTimestamp"] = NowRfc3339();
    nmeta["deletionGracePeriodSeconds"] = 0;
    next["status"]["phase"] = "Terminating";
    if (dry_run) return Present(t, next);
    auto stored = store_.Update(t.storage, std::move(next), obj);
    QueueUpkeep([this, name] { CleanupNamespace(name); });
    return Present(t, *stored);
  }
  if (graceful_pod) {
    long g = grace > 0 ? grace : (*obj)["spec"].value("terminationGracePeriodSeconds", 30L);
    auto when = std::chrono::system_clock::now() + std::chrono::seconds(g);
    std::time_t tt = std::chrono::system_clock::to_time_t(when);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    nmeta["deletionTimestamp"] = buf;
    nmeta["deletionGracePeriodSeconds"] = g;
    if (dry_run) return Present(t, next);
    auto stored = store_.Update(t.storage, std::move(next), obj);
    if (policy == "Foreground" || policy == "Orphan") CollectDependents(*stored);
    return Present(t, *stored);
  }
  if (has_finalizers) {
    nmeta["deletionTimestamp"] = NowRfc3339();
    nmeta["deletionGracePeriodSeconds"] = 0;
    if (dry_run) return Present(t, next);
    auto stored = store_.Update(t.storage, std::move(next), obj);
    if (t.plural == "customresourcedefinitions") {
      QueueUpkeep([this, name] { CleanupCrd(name); });
    }
    if (policy == "Foreground" || policy == "Orphan") {
      json owner = *stored;
      QueueUpkeep([this, owner] { CollectDependents(owner); });
    }
    return Present(t, *stored);
  }
  if (!dry_run) FinishDeletion(t, obj);
  return deleted_body(*obj);
}

void Api::FinishDeletion(const ResourceType& t, const ObjectPtr& obj) {
  store_.Delete(t.storage, obj);
  if (t.plural == "customresourcedefinitions") {
    std::string name = (*obj)["metadata"]["name"];
    registry_.RemoveCrd(name);
  }
}

Response Api::DeleteCollection(const Request& r, const ResourceType& t, const std::string& ns) {
  std::string error;
  auto labels = kube::LabelSelector::Parse(Query(r, "labelSelector"), &error);
  if (!labels) ThrowBadRequest("unable to parse requirement: " + error);
  auto fields = FieldSelector::Parse(Query(r, "fieldSelector"), t.selectable_fields, &error);
  if (!fields) ThrowBadRequest(error);
  json opts = r.body.empty() ? json::object() : DecodeBody(r);
  json list = {{"kind", t.ListKind()}, {"apiVersion", t.ApiVersion()}, {"metadata", json::object()},
               {"items", json::array()}};
  for (const auto& o : store_.List(t.storage, ns)) {
    const json& meta = (*o)["metadata"];
    if (!labels->Matches(meta.contains("labels") ? meta["labels"] : json()) || !fields->Matches(*o)) continue;
    DeleteObject(t, o, opts, IsDryRun(r));
    list["items"].push_back(Present(t, *o));
  }
  list["metadata"]["resourceVersion"] = std::to_string(store_.CurrentRv());
  Response resp;
  resp.body = list.dump();
  return resp;
}

// ---- eviction ----------------------------------------------------------------

Response Api::Evict(const Request& r, const ResourceType& t, const std::string& ns, const std::string& name) {
  json ev = DecodeBody(r);
  auto pod = store_.Get(t.storage, ns, name);
  if (!pod) ThrowNotFound("", "pods", name);
  if (ev.contains("metadata") && ev["metadata"].is_object() && ev["metadata"].contains("name") &&
      ev["metadata"]["name"] != name)
    ThrowBadRequest("name in URL does not match name in Eviction object");

  if (!(*pod)["metadata"].contains("deletionTimestamp")) {
    std::string phase = (*pod)["status"].value("phase", "");
    bool terminal = phase == "Succeeded" || phase == "Failed";
    const json& labels = (*pod)["metadata"].contains("labels") ? (*pod)["metadata"]["labels"] : json();
    std::vector<ObjectPtr> pdbs;
    for (const auto& pdb : store_.List("policy/poddisruptionbudgets", ns)) {
      std::string err;
      auto sel = kube::LabelSelector::FromJson((*pdb)["spec"].value("selector", json()), &err);
      if (sel && sel->Matches(labels)) pdbs.push_back(pdb);
    }
    if (pdbs.size() > 1)
      ThrowStatus(500, "InternalError",
                  "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
    if (!pdbs.empty() && !terminal) {
      const json& pdb = *pdbs.front();
      json st = PdbStatus(pdb, store_.List("/pods", ns));
      bool healthy = false;
      for (const auto& c : (*pod)["status"].value("conditions", json::array()))
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") healthy = true;
      // An unhealthy pod may go as long as the budget is not already short.
      if (healthy && st["disruptionsAllowed"].get<long>() <= 0) {
        std::string pdb_name = pdb["metadata"]["name"];
        ThrowStatus(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.",
                    json{{"causes",
                          {{{"reason", "DisruptionBudget"},
                            {"message", "The disruption budget " + pdb_name + " needs " +
                                            std::to_string(st["desiredHealthy"].get<long>()) +
                                            " healthy pods and has " +
                                            std::to_string(st["currentHealthy"].get<long>()) + " currently"}}}}});
      }
    }
    json opts = ev.value("deleteOptions", json::object());
    if (!opts.is_object()) opts = json::object();
    DeleteObject(t, pod, opts, IsDryRun(r));
  }
  Response resp;
  resp.code = 201;
  resp.body = SuccessStatus().dump();
  return resp;
}

}  // namespace testapi
