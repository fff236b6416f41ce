#include "kube/client.h"

#include <spdlog/spdlog.h>

#include "kube/http_transport.h"

namespace kube {

namespace {

std::string PatchContentType(PatchType t) {
  switch (t) {
    case PatchType::kMerge: return "application/merge-patch+json";
    case PatchType::kJson: return "application/json-patch+json";
    case PatchType::kStrategicMerge: return "application/strategic-merge-patch+json";
    case PatchType::kApply: return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

// Stops when either token does.
class EitherStop {
 public:
  EitherStop(std::stop_token a, std::stop_token b)
      : cb_a_(a, [this] { src_.request_stop(); }), cb_b_(b, [this] { src_.request_stop(); }) {}
  std::stop_token token() const { return src_.get_token(); }

 private:
  std::stop_source src_;
  std::stop_callback<std::function<void()>> cb_a_, cb_b_;
};

}  // namespace

Client::Client(std::shared_ptr<Transport> transport, ClientOptions options)
    : transport_(std::move(transport)), options_(options), limiter_(options.qps, options.burst) {}

Result<std::shared_ptr<Client>> Client::FromConfig(const Config& config) {
  auto t = HttpTransport::Create(config);
  if (!t) return t.error();
  ClientOptions o;
  o.qps = config.qps;
  o.burst = config.burst;
  o.timeout = config.timeout;
  return std::make_shared<Client>(std::shared_ptr<Transport>(std::move(*t)), o);
}

Result<json> Client::Do(HttpRequest req, bool safe, std::stop_token caller_stop, bool retry_throttled) {
  EitherStop either(caller_stop, shutdown_.get_token());
  auto stop = either.token();
  Backoff backoff(options_.retry_initial, options_.retry_max);
  for (int attempt = 0;; ++attempt) {
    auto before = SteadyClock::now();
    if (!limiter_.Wait(stop)) return ApiError::Transport(req.operation, "cancelled");
    stats_.throttled_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - before).count();
    stats_.requests++;
    auto r = transport_->Send(req, stop);
    ApiError err;
    if (r.ok()) {
      if (r->status >= 200 && r->status < 300) {
        if (r->body.empty()) return json::object();
        auto j = json::parse(r->body, nullptr, false);
        if (j.is_discarded())
          return ApiError::Transport(req.operation, "response is not JSON: " + r->body.substr(0, 100));
        return j;
      }
      err = ApiError::FromResponse(r->status, r->body, req.operation);
      if (r->retry_after && !err.retry_after) err.retry_after = r->retry_after;
    } else {
      err = r.error();
    }
    // Writes are retried only on 429 (the server did not act on them); reads
    // on anything that might go away.
    bool retry = attempt < options_.max_retries && !stop.stop_requested() &&
                 ((retry_throttled && IsTooManyRequests(err)) || (safe && IsRetryable(err)));
    if (!retry) return err;
    auto delay = err.retry_after ? SteadyClock::duration(*err.retry_after) : backoff.Next();
    spdlog::debug("kube: retrying op=\"{}\" attempt={} delay_ms={} error=\"{}\"", req.operation, attempt + 1,
                  std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(), err.ToString());
    stats_.retries++;
    if (!SleepFor(delay, stop)) return err;
  }
}

Result<json> Client::Raw(HttpRequest req, bool safe, std::stop_token stop) {
  if (req.operation.empty()) req.operation = req.method + " " + req.path;
  return Do(std::move(req), safe, stop);
}

Result<json> Client::Get(const Resource& r, const std::string& ns, const std::string& name,
                         const RequestOptions& o) {
  HttpRequest req;
  req.path = r.ObjectPath(ns, name);
  req.timeout = o.timeout.value_or(options_.timeout);
  req.operation = "get " + DescribeObject(r, ns, name);
  return Do(std::move(req), true, {});
}

Result<json> Client::List(const Resource& r, const std::string& ns, const ListOptions& o) {
  HttpRequest req;
  req.path = r.CollectionPath(ns);
  req.timeout = o.timeout.value_or(options_.timeout);
  if (!o.label_selector.empty()) req.query.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) req.query.emplace_back("fieldSelector", o.field_selector);
  if (o.limit > 0) req.query.emplace_back("limit", std::to_string(o.limit));
  if (!o.continue_token.empty()) req.query.emplace_back("continue", o.continue_token);
  if (!o.resource_version.empty()) req.query.emplace_back("resourceVersion", o.resource_version);
  req.operation = "list " + r.Describe() + (ns.empty() || !r.namespaced ? "" : " in namespace " + ns);
  return Do(std::move(req), true, {});
}

Result<json> Client::ListAll(const Resource& r, const std::string& ns, ListOptions o) {
  if (o.limit <= 0) o.limit = 500;
  json all;
  bool restarted = false;
  o.continue_token.clear();
  for (;;) {
    auto page = List(r, ns, o);
    if (!page) {
      if (IsGone(page.error()) && !o.continue_token.empty() && !restarted) {
        // The continue token expired mid-list: start over in one request.
        restarted = true;
        o.continue_token.clear();
        o.limit = 0;
        all = json();
        continue;
      }
      return page.error();
    }
    json& p = *page;
    if (all.is_null()) {
      all = json::object();
      all["apiVersion"] = p.value("apiVersion", r.ApiVersion());
      all["kind"] = p.value("kind", r.kind + "List");
      all["items"] = json::array();
      all["metadata"] = json::object();
    }
    if (p.contains("items") && p["items"].is_array())
      for (auto& it : p["items"]) all["items"].push_back(std::move(it));
    std::string cont;
    if (p.contains("metadata") && p["metadata"].is_object()) {
      all["metadata"]["resourceVersion"] = p["metadata"].value("resourceVersion", "");
      cont = p["metadata"].value("continue", "");
    }
    if (cont.empty()) return all;
    o.continue_token = cont;
  }
}

Result<json> Client::Write(const std::string& method, const Resource& r, const std::string& ns,
                           const std::string& name, const std::string& subresource, const json& body,
                           const std::string& content_type, const RequestOptions& o, const std::string& verb) {
  HttpRequest req;
  req.method = method;
  req.path = name.empty() ? r.CollectionPath(ns) : r.ObjectPath(ns, name, subresource);
  req.body = body.is_null() ? std::string() : body.dump();
  req.content_type = content_type;
  req.timeout = o.timeout.value_or(options_.timeout);
  if (!o.field_manager.empty()) req.query.emplace_back("fieldManager", o.field_manager);
  if (o.dry_run) req.query.emplace_back("dryRun", "All");
  req.operation = verb + " " + DescribeObject(r, ns, name.empty() ? NameOf(body) : name) +
                  (subresource.empty() ? "" : " (" + subresource + ")");
  return Do(std::move(req), false, {}, o.retry_throttled);
}

Result<json> Client::Create(const Resource& r, const json& obj, const RequestOptions& o) {
  json body = obj;
  if (!body.is_object()) return ApiError::FromResponse(400, "", "create " + r.Describe() + ": object is not a JSON object");
  if (!body.contains("apiVersion")) body["apiVersion"] = r.ApiVersion();
  if (!body.contains("kind") && !r.kind.empty()) body["kind"] = r.kind;
  return Write("POST", r, NamespaceOf(body), "", "", body, "application/json", o, "create");
}

Result<json> Client::Update(const Resource& r, const json& obj, const RequestOptions& o) {
  return Write("PUT", r, NamespaceOf(obj), NameOf(obj), "", obj, "application/json", o, "update");
}

Result<json> Client::UpdateStatus(const Resource& r, const json& obj, const RequestOptions& o) {
  return Write("PUT", r, NamespaceOf(obj), NameOf(obj), "status", obj, "application/json", o, "update");
}

Result<json> Client::Patch(const Resource& r, const std::string& ns, const std::string& name, PatchType type,
                           const json& patch, const RequestOptions& o) {
  return Write("PATCH", r, ns, name, "", patch, PatchContentType(type), o, "patch");
}

Result<json> Client::PatchStatus(const Resource& r, const std::string& ns, const std::string& name,
                                 PatchType type, const json& patch, const RequestOptions& o) {
  return Write("PATCH", r, ns, name, "status", patch, PatchContentType(type), o, "patch");
}

Result<json> Client::Delete(const Resource& r, const std::string& ns, const std::string& name,
                            const DeleteOptions& d, const RequestOptions& o) {
  json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (!d.precondition_uid.empty()) body["preconditions"]["uid"] = d.precondition_uid;
  if (!d.precondition_resource_version.empty())
    body["preconditions"]["resourceVersion"] = d.precondition_resource_version;
  if (!d.propagation_policy.empty()) body["propagationPolicy"] = d.propagation_policy;
  if (d.grace_period_seconds) body["gracePeriodSeconds"] = *d.grace_period_seconds;
  return Write("DELETE", r, ns, name, "", body, "application/json", o, "delete");
}

Result<json> Client::Evict(const std::string& ns, const std::string& name, const RequestOptions& o) {
  const json body = {{"apiVersion", "policy/v1"},
                     {"kind", "Eviction"},
                     {"metadata", {{"name", name}, {"namespace", ns}}}};
  RequestOptions once = o;
  once.retry_throttled = false;
  return Write("POST", resources::Pods(), ns, name, "eviction", body, "application/json", once, "evict");
}

Status Client::Watch(const Resource& r, const std::string& ns, const WatchOptions& o,
                     const std::function<bool(WatchEvent&&)>& on_event, std::stop_token stop) {
  HttpRequest req;
  req.path = r.CollectionPath(ns);
  req.query.emplace_back("watch", "true");
  if (!o.resource_version.empty()) req.query.emplace_back("resourceVersion", o.resource_version);
  if (o.allow_bookmarks) req.query.emplace_back("allowWatchBookmarks", "true");
  req.query.emplace_back("timeoutSeconds", std::to_string(o.timeout_seconds.count()));
  if (!o.label_selector.empty()) req.query.emplace_back("labelSelector", o.label_selector);
  if (!o.field_selector.empty()) req.query.emplace_back("fieldSelector", o.field_selector);
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(o.inactivity_timeout);
  req.operation = "watch " + r.Describe() + (ns.empty() || !r.namespaced ? "" : " in namespace " + ns) +
                  " from resourceVersion " + (o.resource_version.empty() ? "\"\"" : o.resource_version);

  EitherStop either(stop, shutdown_.get_token());
  if (!limiter_.Wait(either.token())) return {};
  stats_.requests++;
  stats_.watches++;
  std::optional<ApiError> failure;
  auto resp = transport_->Stream(
      req,
      [&](std::string_view line) {
        auto event = DecodeWatchEvent(line, req.operation);
        if (!event) {
          failure = event.error();
          return false;
        }
        return on_event(std::move(*event));
      },
      either.token());
  if (!resp) return resp.error();
  if (resp->status != 200) {
    auto e = ApiError::FromResponse(resp->status, resp->body, req.operation);
    if (resp->retry_after && !e.retry_after) e.retry_after = resp->retry_after;
    return e;
  }
  if (failure) return *failure;
  return {};
}

}  // namespace kube
