// What kube-apiserver's controller manager would do, done here since there
// is none: namespace deletion, CRD deletion, garbage collection by
// ownerReferences, and PodDisruptionBudget status.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "e2e/testapi/api.h"
#include "e2e/testapi/status.h"

namespace testapi {

namespace {
const char kCrdCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

json Without(json list, const std::string& item) {
  json out = json::array();
  for (const auto& e : list)
    if (e != item) out.push_back(e);
  return out;
}

bool IsDeleting(const json& o) { return o["metadata"].contains("deletionTimestamp"); }
}  // namespace

void Api::QueueUpkeep(std::function<void()> task) { upkeep_.push_back(std::move(task)); }

bool Api::RunUpkeep() {
  size_t n = upkeep_.size();
  for (size_t i = 0; i < n && !upkeep_.empty(); ++i) {
    auto task = std::move(upkeep_.front());
    upkeep_.pop_front();
    try {
      task();
    } catch (const StatusError& e) {
      spdlog::warn("msg=\"background task failed\" status={}", e.body.value("message", ""));
    } catch (const std::exception& e) {
      spdlog::error("msg=\"background task failed\" error=\"{}\"", e.what());
    }
  }
  auto dirty = std::move(dirty_pdb_namespaces_);
  dirty_pdb_namespaces_.clear();
  for (const auto& ns : dirty) {
    try {
      UpdatePdbStatuses(ns);
    } catch (const std::exception& e) {
      // A malformed pod or budget must not stop the server; say which namespace.
      spdlog::error("msg=\"cannot compute PodDisruptionBudget status\" namespace={} error=\"{}\"", ns, e.what());
    }
  }
  return HasUpkeep();
}

void Api::OnChange(const Change& c) {
  const json& meta = (*c.object)["metadata"];
  std::string ns = meta.value("namespace", ""), name = meta.value("name", "");

  // Keep the ownerReferences index current.
  auto unindex = [&](const ObjectPtr& o) {
    if (!o) return;
    for (const auto& ref : (*o)["metadata"].value("ownerReferences", json::array())) {
      auto range = dependents_.equal_range(ref.value("uid", ""));
      for (auto it = range.first; it != range.second;) {
        if (it->second.storage == c.storage && it->second.ns == ns && it->second.name == name) it = dependents_.erase(it);
        else ++it;
      }
    }
  };
  unindex(c.old);
  if (c.type != EventType::kDeleted) {
    for (const auto& ref : meta.value("ownerReferences", json::array()))
      if (ref.is_object() && ref.contains("uid")) dependents_.insert({ref.value("uid", ""), {c.storage, ns, name}});
  }

  if (c.type == EventType::kDeleted) {
    std::string uid = meta.value("uid", "");
    if (dependents_.count(uid)) {
      json owner = *c.object;
      QueueUpkeep([this, owner] { CollectDependents(owner); });
    }
    if (!ns.empty()) {
      auto nsobj = store_.Get("/namespaces", "", ns);
      if (nsobj && IsDeleting(*nsobj)) QueueUpkeep([this, ns] { CleanupNamespace(ns); });
    }
    if (auto t = TypeForStorage(c.storage); t && t->custom) {
      auto crd = store_.Get("apiextensions.k8s.io/customresourcedefinitions", "", t->crd_name);
      if (crd && IsDeleting(*crd)) {
        std::string crd_name = t->crd_name;
        QueueUpkeep([this, crd_name] { CleanupCrd(crd_name); });
      }
    }
  }
  // A dependent removed from an owner that waits for it (foreground).
  if (c.old && c.type == EventType::kDeleted) {
    for (const auto& ref : (*c.old)["metadata"].value("ownerReferences", json::array())) {
      std::string owner_uid = ref.value("uid", "");
      if (!dependents_.count(owner_uid) && ref.value("blockOwnerDeletion", false)) {
        // Find the owner cheaply by kind: only foreground-deleting owners care.
        for (const auto& t : registry_.All()) {
          if (t->kind != ref.value("kind", "") || t->ApiVersion() != ref.value("apiVersion", "")) continue;
          auto owner = store_.Get(t->storage, t->namespaced ? ns : "", ref.value("name", ""));
          if (owner && IsDeleting(*owner)) {
            json o = *owner;
            QueueUpkeep([this, o] { CollectDependents(o); });
          }
        }
      }
    }
  }
  if (c.storage == "/pods" || c.storage == "policy/poddisruptionbudgets") dirty_pdb_namespaces_.insert(ns);
}

void Api::CleanupNamespace(const std::string& ns) {
  auto nsobj = store_.Get("/namespaces", "", ns);
  if (!nsobj || !IsDeleting(*nsobj)) return;
  bool remaining = false;
  for (const auto& storage : store_.StorageKeys()) {
    auto t = TypeForStorage(storage);
    if (!t || !t->namespaced) continue;
    for (const auto& o : store_.List(storage, ns)) {
      remaining = true;
      bool is_pod = t->group.empty() && t->plural == "pods";
      if (IsDeleting(*o) && !is_pod) continue;  // waiting for its finalizers
      // There are no kubelets to finish graceful pod deletion: pods go at once.
      json opts = is_pod ? json{{"gracePeriodSeconds", 0}} : json::object();
      DeleteObject(*t, o, opts, false);
    }
  }
  if (remaining) {
    // Check again: everything may have gone just now.
    for (const auto& storage : store_.StorageKeys()) {
      auto t = TypeForStorage(storage);
      if (t && t->namespaced && !store_.List(storage, ns).empty()) return;  // re-queued on the next deletion
    }
  }
  nsobj = store_.Get("/namespaces", "", ns);
  json next = *nsobj;
  next["spec"]["finalizers"] = Without(next["spec"].value("finalizers", json::array()), "kubernetes");
  if (next["metadata"].value("finalizers", json::array()).empty() && next["spec"]["finalizers"].empty()) {
    store_.Delete("/namespaces", nsobj);
  } else if (next != *nsobj) {
    store_.Update("/namespaces", next, nsobj);
  }
}

void Api::CleanupCrd(const std::string& name) {
  const std::string crd_storage = "apiextensions.k8s.io/customresourcedefinitions";
  auto crd = store_.Get(crd_storage, "", name);
  if (!crd || !IsDeleting(*crd)) return;
  std::string group = (*crd)["spec"].value("group", ""), plural = (*crd)["spec"]["names"].value("plural", "");
  std::string storage = CustomStorage(group, plural);
  auto t = TypeForStorage(storage);
  if (t) {
    for (const auto& o : store_.List(storage))
      if (!IsDeleting(*o)) DeleteObject(*t, o, json::object(), false);
    if (!store_.List(storage).empty()) return;  // waiting for finalizers; re-queued on deletions
  }
  crd = store_.Get(crd_storage, "", name);
  json next = *crd;
  next["metadata"]["finalizers"] = Without(next["metadata"].value("finalizers", json::array()), kCrdCleanupFinalizer);
  if (next["metadata"]["finalizers"].empty()) {
    store_.Delete(crd_storage, crd);
    registry_.RemoveCrd(name);
  } else {
    store_.Update(crd_storage, next, crd);
  }
}

void Api::CollectDependents(const json& owner) {
  const json& ometa = owner["metadata"];
  std::string uid = ometa.value("uid", "");
  auto finalizers = ometa.value("finalizers", json::array());
  bool orphan = std::find(finalizers.begin(), finalizers.end(), "orphan") != finalizers.end();
  bool foreground = std::find(finalizers.begin(), finalizers.end(), "foregroundDeletion") != finalizers.end();
  auto owner_t = registry_.FindKind(owner.value("apiVersion", ""), owner.value("kind", ""));
  ObjectPtr current = owner_t ? store_.Get(owner_t->storage, ometa.value("namespace", ""), ometa.value("name", ""))
                              : nullptr;
  bool owner_gone = !current || (*current)["metadata"].value("uid", "") != uid;

  std::vector<ObjectRef> deps;
  auto range = dependents_.equal_range(uid);
  for (auto it = range.first; it != range.second; ++it) deps.push_back(it->second);

  for (const auto& d : deps) {
    auto obj = store_.Get(d.storage, d.ns, d.name);
    auto t = TypeForStorage(d.storage);
    if (!obj || !t) continue;
    // Drops this owner from the dependent's ownerReferences.
    auto release = [&] {
      json next = *obj;
      json refs = json::array();
      for (const auto& ref : next["metadata"].value("ownerReferences", json::array()))
        if (ref.value("uid", "") != uid) refs.push_back(ref);
      next["metadata"]["ownerReferences"] = refs;
      store_.Update(d.storage, next, obj);
    };
    if (!owner_gone && orphan) {
      release();
      continue;
    }
    if (!owner_gone && !foreground) continue;
    // Delete the dependent only if none of its other owners remain.
    bool other_owner_alive = false;
    for (const auto& ref : (*obj)["metadata"].value("ownerReferences", json::array())) {
      if (ref.value("uid", "") == uid) continue;
      auto rt = registry_.FindKind(ref.value("apiVersion", ""), ref.value("kind", ""));
      if (!rt) continue;
      auto o = store_.Get(rt->storage, rt->namespaced ? d.ns : "", ref.value("name", ""));
      if (o && (*o)["metadata"].value("uid", "") == ref.value("uid", "")) other_owner_alive = true;
    }
    if (other_owner_alive) {
      release();
    } else if (!IsDeleting(*obj)) {
      json opts = t->group.empty() && t->plural == "pods" ? json{{"gracePeriodSeconds", 0}} : json::object();
      if (foreground && !owner_gone) opts["propagationPolicy"] = "Foreground";
      DeleteObject(*t, obj, opts, false);
    }
  }

  // An owner waiting on its dependents (orphan done, or foreground with none left).
  if (!owner_gone && (orphan || foreground)) {
    bool left = false;
    auto r2 = dependents_.equal_range(uid);
    for (auto it = r2.first; it != r2.second; ++it)
      if (store_.Get(it->second.storage, it->second.ns, it->second.name)) left = true;
    if (orphan || !left) {
      json next = *current;
      auto f = Without(next["metadata"].value("finalizers", json::array()), orphan ? "orphan" : "foregroundDeletion");
      next["metadata"]["finalizers"] = f;
      if (f.empty() && IsDeleting(next)) FinishDeletion(*owner_t, current);
      else store_.Update(owner_t->storage, next, current);
    }
  }
}

json Api::PdbStatus(const json& pdb, const std::vector<ObjectPtr>& pods) const {
  const json spec = pdb.value("spec", json::object());
  std::string err;
  auto sel = kube::LabelSelector::FromJson(spec.value("selector", json()), &err);
  long expected = 0, healthy = 0;
  for (const auto& p : pods) {
    const json& meta = (*p)["metadata"];
    if (!sel || !sel->Matches(meta.contains("labels") ? meta["labels"] : json())) continue;
    if (IsDeleting(*p)) continue;
    ++expected;
    const json& conds = (*p)["status"].is_object() ? (*p)["status"].value("conditions", json::array()) : json::array();
    for (const auto& c : conds.is_array() ? conds : json::array())
      if (c.is_object() && c.value("type", "") == "Ready" && c.value("status", "") == "True") ++healthy;
  }
  auto resolve = [&](const json& v, bool round_up) -> long {
    if (v.is_number_integer()) return v.get<long>();
    if (v.is_string()) {
      std::string s = v.get<std::string>();
      if (!s.empty() && s.back() == '%') {
        double pct = std::atof(s.c_str()) / 100.0 * expected;
        return static_cast<long>(round_up ? std::ceil(pct) : std::floor(pct));
      }
      return std::atol(s.c_str());
    }
    return 0;
  };
  long desired = 1;
  if (spec.contains("minAvailable")) desired = resolve(spec["minAvailable"], true);
  else if (spec.contains("maxUnavailable")) desired = std::max(0L, expected - resolve(spec["maxUnavailable"], true));
  long allowed = std::max(0L, healthy - desired);
  json old_conds = pdb.contains("status") ? pdb["status"].value("conditions", json::array()) : json::array();
  std::string cond_status = allowed > 0 ? "True" : "False";
  std::string ltt = NowRfc3339();
  for (const auto& c : old_conds)
    if (c.value("type", "") == "DisruptionAllowed" && c.value("status", "") == cond_status)
      ltt = c.value("lastTransitionTime", ltt);
  return {{"observedGeneration", pdb["metadata"].value("generation", 1)},
          {"disruptionsAllowed", allowed},
          {"currentHealthy", healthy},
          {"desiredHealthy", desired},
          {"expectedPods", expected},
          {"conditions",
           {{{"type", "DisruptionAllowed"},
             {"status", cond_status},
             {"reason", allowed > 0 ? "SufficientPods" : "InsufficientPods"},
             {"message", ""},
             {"observedGeneration", pdb["metadata"].value("generation", 1)},
             {"lastTransitionTime", ltt}}}}};
}

void Api::UpdatePdbStatuses(const std::string& ns) {
  auto pdbs = store_.List("policy/poddisruptionbudgets", ns);
  if (pdbs.empty()) return;
  auto pods = store_.List("/pods", ns);
  for (const auto& pdb : pdbs) {
    json st = PdbStatus(*pdb, pods);
    if (pdb->contains("status") && (*pdb)["status"] == st) continue;
    json next = *pdb;
    next["status"] = st;
    store_.Update("policy/poddisruptionbudgets", next, pdb);
  }
}

}  // namespace testapi
