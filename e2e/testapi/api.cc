#include "e2e/testapi/api.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <ctime>
#include <random>

#include "e2e/testapi/events.h"
#include "e2e/testapi/protobuf.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

std::mt19937_64& Rng() {
  static std::mt19937_64 rng(std::random_device{}());
  return rng;
}

// YAML (as kubectl and people write it) to JSON. Scalars keep YAML's
// meaning: unquoted numbers and booleans become JSON numbers and booleans.
json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(YamlToJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "True") return true;
      if (s == "false" || s == "False") return false;
      if (s == "null" || s == "~") return nullptr;
      json num = json::parse(s, nullptr, false);
      if (!num.is_discarded() && num.is_number()) return num;
      return s;
    }
  }
  return nullptr;
}

}  // namespace

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string NowRfc3339Micro() {
  auto now = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", std::gmtime(&t));
  char out[64];
  std::snprintf(out, sizeof out, "%s.%06ldZ", buf, static_cast<long>(us));
  return out;
}

std::string RandomSuffix(size_t n) {
  // kube-apiserver's alphabet for generated names: no vowels, no 0/1/3.
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += kAlphabet[Rng()() % (sizeof kAlphabet - 1)];
  return s;
}

std::string NewUid() {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) s += '-';
    s += kHex[Rng()() % 16];
  }
  return s;
}

Api::Api(Store& store, ApiOptions options, ServerHooks hooks)
    : store_(store), options_(std::move(options)), hooks_(std::move(hooks)) {
  store_.AddListener(this);
  // Built-in types' watch history starts now, as a fresh watch cache would.
  for (const auto& t : registry_.All()) store_.StartHistory(t->storage);
  // Serve the CRDs a data directory brought back.
  for (const auto& crd : store_.List("apiextensions.k8s.io/customresourcedefinitions")) {
    ServeCrd(*crd);
    if ((*crd)["metadata"].contains("deletionTimestamp")) {
      std::string name = (*crd)["metadata"]["name"];
      QueueUpkeep([this, name] { CleanupCrd(name); });
    }
  }
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (store_.Get("/namespaces", "", ns)) continue;
    json o = {{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata",
               {{"name", ns},
                {"uid", NewUid()},
                {"creationTimestamp", NowRfc3339()},
                {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
              {"spec", {{"finalizers", {"kubernetes"}}}},
              {"status", {{"phase", "Active"}}}};
    store_.Create("/namespaces", o);
  }
  for (const auto& ns : store_.List("/namespaces"))
    if ((*ns)["metadata"].contains("deletionTimestamp")) {
      std::string name = (*ns)["metadata"]["name"];
      QueueUpkeep([this, name] { CleanupNamespace(name); });
    }
}

Api::~Api() { store_.RemoveListener(this); }

Outcome Api::Handle(const Request& r) {
  try {
    return Dispatch(r);
  } catch (const StatusError& e) {
    Outcome o;
    o.response.code = e.code;
    // The message may quote the request (a selector, a name) in bytes that
    // are not UTF-8; Go's encoder writes U+FFFD for them, and so do we.
    o.response.body = e.body.dump(-1, ' ', false, json::error_handler_t::replace);
    if (e.code == 429) o.response.headers.emplace_back("Retry-After", "1");
    return o;
  } catch (const json::type_error& e) {
    // A field of the wrong JSON type that no check caught earlier: the
    // client's input, answered as kube-apiserver answers undecodable bodies.
    Outcome o;
    o.response.code = 400;
    o.response.body = FailureStatus(400, "BadRequest",
                                    std::string("the object has a field of the wrong type: ") + e.what())
                          .dump();
    return o;
  } catch (const std::exception& e) {
    // A bug in this server, not the client's fault; say so like the real one.
    spdlog::error("msg=\"internal error\" method={} path={} error=\"{}\"", r.method, r.path, e.what());
    Outcome o;
    o.response.code = 500;
    o.response.body = FailureStatus(500, "InternalError",
                                    std::string("Internal error occurred: ") + e.what())
                          .dump();
    return o;
  }
}

Outcome Api::Dispatch(const Request& r) {
  auto segs = SplitPath(r.path);
  auto respond = [](Response resp) { return Outcome{std::move(resp), std::nullopt}; };
  auto text = [](std::string body) {
    Response resp;
    resp.content_type = "text/plain; charset=utf-8";
    resp.body = std::move(body);
    return resp;
  };
  bool read = r.method == "GET" || r.method == "HEAD";

  if (segs.empty()) return respond(text("kube-testapi\n"));
  if (segs[0] == "healthz" || segs[0] == "livez" || segs[0] == "readyz") return respond(text("ok"));
  if (segs[0] == "version" && segs.size() == 1) return respond(Version());
  if (segs[0] == "admin") return respond(HandleAdmin(r));
  if (segs[0] == "openapi" && read) {
    if (segs.size() == 2 && segs[1] == "v3") return respond(OpenApiIndex());
    if (segs.size() == 4 && segs[1] == "v3" && segs[2] == "api") return respond(OpenApiGroupVersion("", segs[3]));
    if (segs.size() == 5 && segs[1] == "v3" && segs[2] == "apis") return respond(OpenApiGroupVersion(segs[3], segs[4]));
    ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  }
  if (segs[0] == "api") {
    if (segs.size() == 1 && read) return respond(CoreVersions());
    // Writes to the discovery documents (POST /api, /api/v1) are not found,
    // as for /apis/<group>.
    if (segs.size() < 2 || segs[1] != "v1")
      ThrowStatus(404, "NotFound", "the server could not find the requested resource");
    if (segs.size() == 2 && read) return respond(ResourceList("", "v1"));
    if (segs.size() > 2) return HandleResource(r, std::vector<std::string>(segs.begin() + 2, segs.end()), "", "v1");
  }
  if (segs.size() == 4 && segs[0] == "apis" && segs[1] == "authorization.k8s.io" && segs[2] == "v1" &&
      (segs[3] == "selfsubjectaccessreviews" || segs[3] == "subjectaccessreviews"))
    return respond(AccessReview(r, segs[3] == "selfsubjectaccessreviews"));
  if (segs.size() == 4 && segs[0] == "apis" && segs[1] == "authentication.k8s.io" && segs[2] == "v1" &&
      segs[3] == "selfsubjectreviews")
    return respond(WhoAmI(r));
  if (segs[0] == "apis") {
    if (segs.size() == 1 && read) return respond(GroupList(r));
    if (segs.size() == 2 && read) return respond(Group(segs[1]));
    if (segs.size() == 3 && read) return respond(ResourceList(segs[1], segs[2]));
    if (segs.size() > 3)
      return HandleResource(r, std::vector<std::string>(segs.begin() + 3, segs.end()), segs[1], segs[2]);
  }
  ThrowStatus(404, "NotFound", "the server could not find the requested resource");
}

Outcome Api::HandleResource(const Request& r, const std::vector<std::string>& segs, const std::string& group,
                            const std::string& version) {
  // Paths: {plural}[/{name}[/{sub}]] or namespaces/{ns}/{plural}[/{name}[/{sub}]].
  // namespaces/{name}/status and /finalize are the Namespace's own subresources.
  std::string ns, plural, name, sub;
  bool namespace_subresource =
      group.empty() && segs.size() == 3 && (segs[2] == "status" || segs[2] == "finalize");
  if (segs.size() >= 3 && segs[0] == "namespaces" && !namespace_subresource) {
    ns = segs[1];
    plural = segs[2];
    if (segs.size() > 3) name = segs[3];
    if (segs.size() > 4) sub = segs[4];
    if (segs.size() > 5) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  } else {
    plural = segs[0];
    if (segs.size() > 1) name = segs[1];
    if (segs.size() > 2) sub = segs[2];
    if (segs.size() > 3) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  }
  auto t = registry_.Find(group, version, plural);
  if (!t) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  if (!ns.empty() && !t->namespaced)
    ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  if (!sub.empty()) {
    bool known = (sub == "status" && t->status_subresource) || (sub == "eviction" && t->eviction_subresource) ||
                 (sub == "finalize" && t->plural == "namespaces");
    if (!known) ThrowStatus(404, "NotFound", "the server could not find the requested resource");
  }

  auto respond = [](Response resp) { return Outcome{std::move(resp), std::nullopt}; };
  const std::string& m = r.method;
  if (name.empty()) {
    if (m == "GET") return List(r, *t, ns);
    if (m == "POST") return respond(Create(r, *t, ns));
    if (m == "DELETE") return respond(DeleteCollection(r, *t, ns));
  } else {
    if (sub == "eviction") {
      if (m == "POST") return respond(Evict(r, *t, ns, name));
    } else if (m == "GET") {
      return respond(Get(r, *t, ns, name));
    } else if (m == "PUT") {
      return respond(Update(r, *t, ns, name, sub));
    } else if (m == "PATCH") {
      return respond(Patch(r, *t, ns, name, sub));
    } else if (m == "DELETE" && sub.empty()) {
      return respond(Delete(r, *t, ns, name));
    }
  }
  ThrowStatus(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

Response Api::HandleAdmin(const Request& r) {
  Response resp;
  resp.body = R"({"ok":true})";
  if (r.method != "POST") ThrowStatus(405, "MethodNotAllowed", "admin endpoints take POST");
  if (r.path == "/admin/drop-watches") {
    if (hooks_.drop_watches) hooks_.drop_watches();
  } else if (r.path == "/admin/compact") {
    store_.Compact();
  } else if (r.path == "/admin/faults") {
    json b = r.body.empty() ? json::object() : json::parse(r.body, nullptr, false);
    if (b.is_discarded() || !b.is_object()) ThrowBadRequest("faults: body must be a JSON object");
    for (const char* k : {"errorRate", "errorCode", "latencyMs"})
      if (b.contains(k) && !b[k].is_number()) ThrowBadRequest(std::string("faults: ") + k + " must be a number");
    if (b.contains("latencyMs") && (b["latencyMs"].get<double>() < 0 || b["latencyMs"].get<double>() > 600000))
      ThrowBadRequest("faults: latencyMs must be within 0..600000");
    Faults f;
    f.error_rate = b.value("errorRate", 0.0);
    f.error_code = b.value("errorCode", 500);
    f.latency_ms = b.value("latencyMs", 0);
    if (f.error_rate < 0 || f.error_rate > 1) ThrowBadRequest("faults: errorRate must be within 0..1");
    if (f.error_code != 500 && f.error_code != 429 && f.error_code != 503)
      ThrowBadRequest("faults: errorCode must be 500, 429 or 503");
    if (hooks_.set_faults) hooks_.set_faults(f);
  } else if (r.path == "/admin/checkpoint") {
    store_.Checkpoint();
  } else {
    ThrowStatus(404, "NotFound", "unknown admin endpoint " + r.path);
  }
  return resp;
}

json Api::DecodeBody(const Request& r) const {
  if (r.body.size() > options_.max_body_bytes)
    ThrowStatus(413, "RequestEntityTooLarge",
                "Request entity too large: limit is " + std::to_string(options_.max_body_bytes));
  std::string ct = r.content_type.substr(0, r.content_type.find(';'));
  if (ct.find("cbor") != std::string::npos)
    ThrowStatus(415, "UnsupportedMediaType",
                "kube-testapi does not decode " + ct + " request bodies; send application/json or application/yaml");
  json body;
  if (ct.find("protobuf") != std::string::npos) {
    // kubectl's typed commands (create namespace/configmap/secret/...) send protobuf.
    std::string error;
    auto decoded = DecodeKubernetesProtobuf(r.body, &error);
    if (!decoded) ThrowStatus(415, "UnsupportedMediaType", error);
    body = std::move(*decoded);
  } else if (ct.find("yaml") != std::string::npos) {
    try {
      body = YamlToJson(YAML::Load(r.body));
    } catch (const YAML::Exception& e) {
      ThrowBadRequest(std::string("error converting YAML to JSON: ") + e.what());
    }
  } else {
    body = json::parse(r.body, nullptr, false);
    if (body.is_discarded())
      ThrowBadRequest("the request body is not valid JSON: couldn't get version/kind; json parse error");
  }
  if (!body.is_object()) ThrowBadRequest("the request body must be a JSON object, got " + std::string(body.type_name()));
  return body;
}

ResourceTypePtr Api::TypeForStorage(const std::string& storage) const {
  for (const auto& t : registry_.All())
    if (t->storage == storage && t->group != "events.k8s.io") return t;
  return nullptr;
}

json Api::Present(const ResourceType& t, const json& stored) const {
  if (t.group == "events.k8s.io") return CoreEventToV1(stored);
  if (stored.value("apiVersion", "") == t.ApiVersion()) return stored;
  json o = stored;
  o["apiVersion"] = t.ApiVersion();
  return o;
}

std::string Api::EventLine(const ResourceType& t, const char* event_type, const json& stored) {
  uint64_t rv = std::stoull(stored["metadata"].value("resourceVersion", "0"));
  if (line_cache_.rv == rv && line_cache_.type == &t && line_cache_.event_type == event_type)
    return line_cache_.line;
  json ev = {{"type", event_type}, {"object", Present(t, stored)}};
  line_cache_ = {rv, &t, event_type, ev.dump() + "\n"};
  return line_cache_.line;
}

std::string Api::BookmarkLine(const ResourceType& t, bool initial_events_end) const {
  json meta = {{"resourceVersion", std::to_string(store_.CurrentRv())}};
  if (initial_events_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
  json ev = {{"type", "BOOKMARK"},
             {"object", {{"kind", t.kind}, {"apiVersion", t.ApiVersion()}, {"metadata", meta}}}};
  return ev.dump() + "\n";
}

Response Api::ObjectResponse(int code, const ResourceType& t, const json& stored,
                             const std::vector<std::string>& warnings) const {
  Response resp;
  resp.code = code;
  resp.body = Present(t, stored).dump();
  for (const auto& w : warnings) resp.headers.emplace_back("Warning", "299 - \"" + w + "\"");
  return resp;
}

}  // namespace testapi
