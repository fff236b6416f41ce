#include "kube/memory_api_server.h"

#include <sstream>

#include "kube/labels.h"
#include "kube/resource.h"
#include "kube/timestamps.h"

namespace kube {

namespace {

using json = nlohmann::json;

HttpResponse StatusResponse(int code, const std::string& reason, const std::string& message) {
  json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
            {"code", code},     {"reason", reason},   {"message", message}};
  return {code, s.dump(), std::nullopt};
}

HttpResponse Ok(const json& j, int code = 200) { return {code, j.dump(), std::nullopt}; }

bool Selected(const json& obj, const std::optional<LabelSelector>& sel) {
  if (!sel) return true;
  const json* labels = nullptr;
  if (obj.contains("metadata") && obj["metadata"].contains("labels")) labels = &obj["metadata"]["labels"];
  return sel->Matches(labels ? *labels : json());
}

}  // namespace

MemoryApiServer::Target MemoryApiServer::ParsePath(const std::string& path) {
  std::vector<std::string> seg;
  std::stringstream ss(path);
  std::string s;
  while (std::getline(ss, s, '/'))
    if (!s.empty()) seg.push_back(s);
  Target t;
  size_t i = 0;
  std::string group;
  if (seg.size() >= 2 && seg[0] == "api") {
    i = 2;
  } else if (seg.size() >= 3 && seg[0] == "apis") {
    group = seg[1];
    i = 3;
  } else {
    return t;
  }
  std::vector<std::string> rest(seg.begin() + static_cast<long>(i), seg.end());
  if (rest.empty()) return t;
  size_t j = 0;
  if (rest[0] == "namespaces" && rest.size() >= 3) {
    t.ns = rest[1];
    j = 2;
  }
  t.resource = group + "/" + rest[j];
  if (rest.size() > j + 1) t.name = rest[j + 1];
  if (rest.size() > j + 2) t.subresource = rest[j + 2];
  t.ok = rest.size() <= j + 3;
  return t;
}

void MemoryApiServer::SetFault(Fault f) {
  std::lock_guard<std::mutex> lock(mu_);
  fault_ = std::move(f);
}

void MemoryApiServer::DropWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++watch_epoch_;
  changed_.notify_all();
}

void MemoryApiServer::Compact() {
  std::lock_guard<std::mutex> lock(mu_);
  compacted_rv_ = rv_;
  history_.clear();
}

int64_t MemoryApiServer::RequestCount(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = requests_.find(method);
  return it == requests_.end() ? 0 : it->second;
}

int64_t MemoryApiServer::CurrentResourceVersion() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rv_;
}

void MemoryApiServer::RecordLocked(const Target& t, const std::string& ns, const std::string& type, const json& obj) {
  history_.push_back({t.resource, ns, type, obj, rv_});
  changed_.notify_all();
}

Result<HttpResponse> MemoryApiServer::Send(const HttpRequest& req, std::stop_token) {
  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_[req.method]++;
    fault = fault_;
  }
  if (fault)
    if (auto r = fault(req)) return *r;
  auto t = ParsePath(req.path);
  if (!t.ok) return StatusResponse(404, "NotFound", "the server could not find the requested resource");
  std::lock_guard<std::mutex> lock(mu_);
  return Handle(req, t);
}

HttpResponse MemoryApiServer::Handle(const HttpRequest& req, const Target& t) {
  auto& coll = objects_[t.resource];
  std::string key = MakeKey(t.ns, t.name);
  auto describe = [&] { return t.resource + " \"" + t.name + "\""; };

  if (req.method == "GET" && t.name.empty()) {
    std::optional<LabelSelector> sel;
    if (auto ls = req.QueryValue("labelSelector"); !ls.empty()) {
      std::string err;
      sel = LabelSelector::Parse(ls, &err);
      if (!sel) return StatusResponse(400, "BadRequest", "unable to parse labelSelector: " + err);
    }
    int64_t limit = req.QueryValue("limit").empty() ? 0 : std::stoll(req.QueryValue("limit"));
    std::string cont = req.QueryValue("continue");
    json items = json::array();
    std::string next;
    for (auto it = cont.empty() ? coll.begin() : coll.upper_bound(cont); it != coll.end(); ++it) {
      if (!t.ns.empty() && NamespaceOf(it->second) != t.ns) continue;
      if (!Selected(it->second, sel)) continue;
      if (limit > 0 && static_cast<int64_t>(items.size()) == limit) {
        next = std::prev(it)->first;
        break;
      }
      items.push_back(it->second);
    }
    json meta = {{"resourceVersion", std::to_string(rv_)}};
    if (!next.empty()) meta["continue"] = next;
    return Ok({{"kind", "List"}, {"apiVersion", "v1"}, {"metadata", meta}, {"items", items}});
  }

  auto existing = coll.find(key);
  if (req.method == "GET") {
    if (existing == coll.end()) return StatusResponse(404, "NotFound", describe() + " not found");
    return Ok(existing->second);
  }

  json body;
  if (!req.body.empty()) {
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return StatusResponse(400, "BadRequest", "request body is not JSON");
  }

  if (req.method == "POST") {
    if (!body.is_object() || NameOf(body).empty())
      return StatusResponse(422, "Invalid", "metadata.name: Required value");
    std::string ns = NamespaceOf(body).empty() ? t.ns : NamespaceOf(body);
    if (!t.ns.empty() && ns != t.ns)
      return StatusResponse(400, "BadRequest", "the namespace of the object does not match the request");
    key = MakeKey(ns, NameOf(body));
    if (coll.count(key)) return StatusResponse(409, "AlreadyExists", t.resource + " \"" + NameOf(body) + "\" already exists");
    ++rv_;
    auto& m = body["metadata"];
    if (!ns.empty()) m["namespace"] = ns;
    m["resourceVersion"] = std::to_string(rv_);
    m["uid"] = "uid-" + std::to_string(++uid_counter_);
    m["generation"] = 1;
    m["creationTimestamp"] = FormatTime(Clock::now());
    coll[key] = body;
    RecordLocked(t, ns, "ADDED", body);
    return Ok(body, 201);
  }

  if (existing == coll.end()) return StatusResponse(404, "NotFound", describe() + " not found");
  json& cur = existing->second;

  if (req.method == "DELETE") {
    if (body.is_object() && body.contains("preconditions")) {
      const auto& p = body["preconditions"];
      if (p.contains("uid") && p["uid"] != UidOf(cur))
        return StatusResponse(409, "Conflict", "Precondition failed: UID in precondition: " + p["uid"].get<std::string>() +
                                                   ", UID in object meta: " + UidOf(cur));
      if (p.contains("resourceVersion") && p["resourceVersion"] != ResourceVersionOf(cur))
        return StatusResponse(409, "Conflict", "Precondition failed: resourceVersion mismatch");
    }
    json gone = cur;
    ++rv_;
    gone["metadata"]["resourceVersion"] = std::to_string(rv_);
    coll.erase(existing);
    RecordLocked(t, t.ns, "DELETED", gone);
    return Ok(gone);
  }

  json next;
  if (req.method == "PUT") {
    if (!body.is_object()) return StatusResponse(400, "BadRequest", "body is not an object");
    std::string want = ResourceVersionOf(body);
    if (!want.empty() && want != ResourceVersionOf(cur))
      return StatusResponse(409, "Conflict", "Operation cannot be fulfilled on " + describe() +
                                                 ": the object has been modified; please apply your changes to the "
                                                 "latest version and try again");
    next = body;
  } else if (req.method == "PATCH") {
    next = cur;
    try {
      if (req.content_type.find("json-patch") != std::string::npos)
        next = cur.patch(body);
      else
        next.merge_patch(body);
    } catch (const std::exception& ex) {
      return StatusResponse(422, "Invalid", std::string("the patch could not be applied: ") + ex.what());
    }
  } else {
    return StatusResponse(405, "MethodNotAllowed", req.method + " is not supported");
  }
  // The status subresource only changes status; the main resource never does.
  if (t.subresource == "status") {
    json merged = cur;
    if (next.contains("status")) merged["status"] = next["status"];
    next = merged;
  } else if (cur.contains("status")) {
    next["status"] = cur["status"];
  } else {
    next.erase("status");
  }
  json meta = cur["metadata"];
  for (const char* k : {"labels", "annotations", "finalizers", "ownerReferences"}) {
    if (next.contains("metadata") && next["metadata"].contains(k))
      meta[k] = next["metadata"][k];
    else
      meta.erase(k);
  }
  bool spec_changed = next.value("spec", json()) != cur.value("spec", json());
  ++rv_;
  meta["resourceVersion"] = std::to_string(rv_);
  if (spec_changed) meta["generation"] = meta.value("generation", 1) + 1;
  next["metadata"] = meta;
  cur = next;
  RecordLocked(t, NamespaceOf(cur), "MODIFIED", cur);
  return Ok(cur);
}

Result<HttpResponse> MemoryApiServer::Stream(const HttpRequest& req,
                                             const std::function<bool(std::string_view)>& on_line,
                                             std::stop_token stop) {
  Fault fault;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_["WATCH"]++;
    fault = fault_;
  }
  if (fault)
    if (auto r = fault(req)) return *r;
  auto t = ParsePath(req.path);
  if (!t.ok || !t.name.empty()) return StatusResponse(404, "NotFound", "not found");
  std::optional<LabelSelector> sel;
  if (auto ls = req.QueryValue("labelSelector"); !ls.empty()) {
    std::string err;
    sel = LabelSelector::Parse(ls, &err);
    if (!sel) return StatusResponse(400, "BadRequest", err);
  }
  bool bookmarks = req.QueryValue("allowWatchBookmarks") == "true";
  int timeout_s = req.QueryValue("timeoutSeconds").empty() ? 300 : std::stoi(req.QueryValue("timeoutSeconds"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::string rv_param = req.QueryValue("resourceVersion");

  std::unique_lock<std::mutex> lock(mu_);
  int64_t epoch = watch_epoch_;
  int64_t from = 0;
  std::vector<std::string> pending;
  auto line = [](const std::string& type, const json& obj) {
    return json{{"type", type}, {"object", obj}}.dump();
  };
  if (rv_param.empty() || rv_param == "0") {
    for (const auto& [k, obj] : objects_[t.resource])
      if ((t.ns.empty() || NamespaceOf(obj) == t.ns) && Selected(obj, sel)) pending.push_back(line("ADDED", obj));
    from = rv_;
  } else {
    from = std::stoll(rv_param);
    if (from < compacted_rv_) {
      lock.unlock();
      json st = json::parse(StatusResponse(410, "Expired", "too old resource version: " + rv_param + " (" +
                                                               std::to_string(compacted_rv_) + ")")
                                .body);
      on_line(line("ERROR", st));
      return HttpResponse{200, "", std::nullopt};
    }
  }
  size_t next = 0;
  for (;;) {
    for (; next < history_.size(); ++next) {
      const Event& e = history_[next];
      if (e.rv <= from || e.resource != t.resource) continue;
      if (!t.ns.empty() && e.ns != t.ns) continue;
      if (!Selected(e.object, sel)) continue;
      pending.push_back(line(e.type, e.object));
      from = e.rv;
    }
    if (!pending.empty()) {
      auto batch = std::move(pending);
      pending.clear();
      lock.unlock();
      for (const auto& l : batch)
        if (!on_line(l)) return HttpResponse{200, "", std::nullopt};
      lock.lock();
      continue;
    }
    if (stop.stop_requested() || watch_epoch_ != epoch) return HttpResponse{200, "", std::nullopt};
    if (std::chrono::steady_clock::now() >= deadline) {
      if (bookmarks) {
        json bm = {{"kind", "Bookmark"}, {"metadata", {{"resourceVersion", std::to_string(rv_)}}}};
        lock.unlock();
        on_line(line("BOOKMARK", bm));
      }
      return HttpResponse{200, "", std::nullopt};
    }
    size_t seen = history_.size();
    changed_.wait_until(lock, stop, deadline,
                        [&] { return history_.size() != seen || watch_epoch_ != epoch; });
    if (history_.size() < next) next = 0;  // compacted while we waited
  }
}

}  // namespace kube
