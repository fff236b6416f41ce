// Api::Handle driven directly (no sockets): the semantics the conformance
// suite does not reach. Background work (namespace and CRD cleanup, garbage
// collection, PDB status) runs when Settle() drains the upkeep queue, as the
// server's event loop does between requests.
#include "e2e/testapi/api.h"

#include <gtest/gtest.h>

#include <sstream>

namespace testapi {
namespace {

const char kCm[] = "/api/v1/namespaces/default/configmaps";

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() : api_(store_, ApiOptions{}, Hooks()) {}

  ServerHooks Hooks() {
    ServerHooks h;
    h.drop_watches = [this] { ++dropped_; };
    h.set_faults = [this](Faults f) { faults_ = f; };
    h.get_faults = [this] { return faults_; };
    return h;
  }

  // `target` may carry a query string (values are taken literally).
  Outcome Send(const std::string& method, const std::string& target, const std::string& body = "",
               const std::string& content_type = "application/json") {
    Request r;
    r.method = method;
    auto q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) {
      std::stringstream ss(target.substr(q + 1));
      for (std::string kv; std::getline(ss, kv, '&');) {
        auto eq = kv.find('=');
        r.query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      }
    }
    r.body = body;
    r.content_type = content_type;
    r.user = "admin";
    return api_.Handle(r);
  }

  Response Call(const std::string& method, const std::string& target, const json& body = nullptr,
                const std::string& content_type = "application/json") {
    return Send(method, target, body.is_null() ? "" : body.dump(), content_type).response;
  }

  // The response body as JSON; fails the test on an unexpected status.
  json Expect(int code, const Response& r) {
    EXPECT_EQ(r.code, code) << r.body;
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  void Settle() {
    for (int i = 0; i < 1000 && api_.RunUpkeep(); ++i) {
    }
    ASSERT_FALSE(api_.HasUpkeep()) << "background work did not settle";
  }

  static json Cm(const std::string& name, json labels = json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}, {"labels", labels}}},
            {"data", {{"k", "v"}}}};
  }

  static json OwnedCm(const std::string& name, const json& owner, bool block = false) {
    json o = Cm(name);
    o["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                         {"kind", "ConfigMap"},
                                         {"name", owner["metadata"]["name"]},
                                         {"uid", owner["metadata"]["uid"]},
                                         {"blockOwnerDeletion", block}}};
    return o;
  }

  static json Pod(const std::string& name, json labels = json::object()) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"labels", labels}}},
            {"spec",
             {{"containers",
               {{{"name", "main"}, {"image", "img:1"}}, {{"name", "side"}, {"image", "side:1"}}}}}}};
  }

  Store store_{1000};
  Faults faults_;
  int dropped_ = 0;
  Api api_;
};

// ---- names, dry run, selectors ---------------------------------------------

TEST_F(ApiTest, GenerateNameGivesDistinctNamesWithThePrefix) {
  json a = Cm("");
  a["metadata"].erase("name");
  a["metadata"]["generateName"] = "gen-";
  json first = Expect(201, Call("POST", kCm, a));
  json second = Expect(201, Call("POST", kCm, a));
  std::string n1 = first["metadata"]["name"], n2 = second["metadata"]["name"];
  EXPECT_TRUE(n1.starts_with("gen-")) << n1;
  EXPECT_EQ(n1.size(), 9u) << n1;
  EXPECT_NE(n1, n2);
  EXPECT_EQ(first["metadata"]["generateName"], "gen-");
  Expect(200, Call("GET", std::string(kCm) + "/" + n1));
}

TEST_F(ApiTest, DryRunDoesNotPersist) {
  uint64_t rv = store_.CurrentRv();
  json created = Expect(201, Call("POST", std::string(kCm) + "?dryRun=All", Cm("dry")));
  EXPECT_EQ(created["metadata"]["name"], "dry");
  Expect(404, Call("GET", std::string(kCm) + "/dry"));

  json live = Expect(201, Call("POST", kCm, Cm("live")));
  json changed = live;
  changed["data"]["k"] = "changed";
  json answer = Expect(200, Call("PUT", std::string(kCm) + "/live?dryRun=All", changed));
  EXPECT_EQ(answer["data"]["k"], "changed");
  Expect(200, Call("PATCH", std::string(kCm) + "/live?dryRun=All", json{{"data", {{"k", "patched"}}}},
                   "application/merge-patch+json"));
  Expect(200, Call("DELETE", std::string(kCm) + "/live?dryRun=All"));
  json after = Expect(200, Call("GET", std::string(kCm) + "/live"));
  EXPECT_EQ(after["data"]["k"], "v");
  EXPECT_EQ(after["metadata"]["resourceVersion"], live["metadata"]["resourceVersion"]);
  EXPECT_EQ(store_.CurrentRv(), rv + 1);  // only the real create wrote
}

TEST_F(ApiTest, DeleteCollectionWithLabelSelector) {
  Expect(201, Call("POST", kCm, Cm("a1", {{"app", "a"}})));
  Expect(201, Call("POST", kCm, Cm("a2", {{"app", "a"}})));
  Expect(201, Call("POST", kCm, Cm("b1", {{"app", "b"}})));
  Expect(201, Call("POST", "/api/v1/namespaces/kube-public/configmaps", Cm("a3", {{"app", "a"}})));
  Expect(200, Call("DELETE", std::string(kCm) + "?labelSelector=app=a"));
  json list = Expect(200, Call("GET", kCm));
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "b1");
  // Other namespaces are not touched.
  Expect(200, Call("GET", "/api/v1/namespaces/kube-public/configmaps/a3"));
}

// ---- namespace and CRD cleanup ---------------------------------------------

TEST_F(ApiTest, NamespaceDeletionRemovesItsObjectsThenItself) {
  Expect(201, Call("POST", "/api/v1/namespaces", json{{"metadata", {{"name", "doomed"}}}}));
  Expect(201, Call("POST", "/api/v1/namespaces/doomed/configmaps", Cm("c")));
  json pod = Pod("p");
  pod["spec"]["nodeName"] = "node-1";  // would wait for a kubelet if deleted gracefully
  Expect(201, Call("POST", "/api/v1/namespaces/doomed/pods", pod));
  json ns = Expect(200, Call("DELETE", "/api/v1/namespaces/doomed"));
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  // Until it is gone, nothing new may be created there.
  Expect(403, Call("POST", "/api/v1/namespaces/doomed/configmaps", Cm("late")));
  Settle();
  Expect(404, Call("GET", "/api/v1/namespaces/doomed"));
  EXPECT_TRUE(store_.List("/configmaps", "doomed").empty());
  EXPECT_TRUE(store_.List("/pods", "doomed").empty());
}

TEST_F(ApiTest, NamespaceWaitsForFinalizersOfItsObjects) {
  Expect(201, Call("POST", "/api/v1/namespaces", json{{"metadata", {{"name", "held"}}}}));
  json c = Cm("c");
  c["metadata"]["finalizers"] = {"example.com/hold"};
  Expect(201, Call("POST", "/api/v1/namespaces/held/configmaps", c));
  Expect(200, Call("DELETE", "/api/v1/namespaces/held"));
  Settle();
  json ns = Expect(200, Call("GET", "/api/v1/namespaces/held"));
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  Expect(200, Call("PATCH", "/api/v1/namespaces/held/configmaps/c", json{{"metadata", {{"finalizers", nullptr}}}},
                   "application/merge-patch+json"));
  Settle();
  Expect(404, Call("GET", "/api/v1/namespaces/held"));
}

TEST_F(ApiTest, CrdDeletionRemovesItsObjectsAndTheTypeFromDiscovery) {
  json crd = json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
             "versions": [{"name": "v1", "served": true, "storage": true,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": true}}}]}})");
  Expect(201, Call("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd));
  const std::string widgets = "/apis/example.com/v1/namespaces/default/widgets";
  json w = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w1"}}}, {"spec", {{"a", 1}}}};
  Expect(201, Call("POST", widgets, w));
  json resources = Expect(200, Call("GET", "/apis/example.com/v1"));
  ASSERT_FALSE(resources["resources"].empty());
  EXPECT_EQ(resources["resources"][0]["name"], "widgets");

  Expect(200, Call("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"));
  Settle();
  Expect(404, Call("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"));
  Expect(404, Call("GET", widgets));
  Expect(404, Call("GET", "/apis/example.com/v1"));
  json groups = Expect(200, Call("GET", "/apis"));
  for (const auto& g : groups["groups"]) EXPECT_NE(g["name"], "example.com");
  EXPECT_TRUE(store_.List("example.com/widgets").empty());
}

// ---- ownerReference garbage collection ---------------------------------------

TEST_F(ApiTest, BackgroundDeletionRemovesDependents) {
  json owner = Expect(201, Call("POST", kCm, Cm("owner")));
  Expect(201, Call("POST", kCm, OwnedCm("dep", owner)));
  Expect(200, Call("DELETE", std::string(kCm) + "/owner"));
  Expect(404, Call("GET", std::string(kCm) + "/owner"));
  Settle();
  Expect(404, Call("GET", std::string(kCm) + "/dep"));
}

TEST_F(ApiTest, DependentWithAnotherLiveOwnerSurvives) {
  json owner1 = Expect(201, Call("POST", kCm, Cm("owner1")));
  json owner2 = Expect(201, Call("POST", kCm, Cm("owner2")));
  json dep = OwnedCm("dep", owner1);
  dep["metadata"]["ownerReferences"].push_back(OwnedCm("x", owner2)["metadata"]["ownerReferences"][0]);
  Expect(201, Call("POST", kCm, dep));
  Expect(200, Call("DELETE", std::string(kCm) + "/owner1"));
  Settle();
  json got = Expect(200, Call("GET", std::string(kCm) + "/dep"));
  ASSERT_EQ(got["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(got["metadata"]["ownerReferences"][0]["name"], "owner2");
}

TEST_F(ApiTest, OrphanDeletionKeepsDependentsWithoutTheReference) {
  json owner = Expect(201, Call("POST", kCm, Cm("owner")));
  Expect(201, Call("POST", kCm, OwnedCm("dep", owner)));
  Expect(200, Call("DELETE", std::string(kCm) + "/owner?propagationPolicy=Orphan"));
  Settle();
  Expect(404, Call("GET", std::string(kCm) + "/owner"));
  json dep = Expect(200, Call("GET", std::string(kCm) + "/dep"));
  EXPECT_TRUE(dep["metadata"].value("ownerReferences", json::array()).empty()) << dep.dump();
  EXPECT_FALSE(dep["metadata"].contains("deletionTimestamp"));
}

TEST_F(ApiTest, ForegroundDeletionWaitsForDependents) {
  json owner = Expect(201, Call("POST", kCm, Cm("owner")));
  json dep = OwnedCm("dep", owner, /*block=*/true);
  dep["metadata"]["finalizers"] = {"example.com/hold"};  // keeps the dependent until released
  Expect(201, Call("POST", kCm, dep));

  json deleting = Expect(200, Call("DELETE", std::string(kCm) + "/owner?propagationPolicy=Foreground"));
  EXPECT_TRUE(deleting["metadata"].contains("deletionTimestamp"));
  EXPECT_EQ(deleting["metadata"]["finalizers"], json({"foregroundDeletion"}));
  Settle();
  // The dependent is being deleted; the owner waits for it.
  json d = Expect(200, Call("GET", std::string(kCm) + "/dep"));
  EXPECT_TRUE(d["metadata"].contains("deletionTimestamp")) << d.dump();
  Expect(200, Call("GET", std::string(kCm) + "/owner"));

  Expect(200, Call("PATCH", std::string(kCm) + "/dep", json{{"metadata", {{"finalizers", nullptr}}}},
                   "application/merge-patch+json"));
  Expect(404, Call("GET", std::string(kCm) + "/dep"));
  Settle();
  Expect(404, Call("GET", std::string(kCm) + "/owner"));
}

// ---- patches ------------------------------------------------------------------

TEST_F(ApiTest, StrategicMergePatchOnAPod) {
  const std::string pods = "/api/v1/namespaces/default/pods";
  Expect(201, Call("POST", pods, Pod("p")));
  json out = Expect(200, Call("PATCH", pods + "/p", json::parse(R"({"spec": {"containers": [
                                                     {"name": "side", "image": "side:2"},
                                                     {"name": "new", "image": "new:1"}]}})"),
                                   "application/strategic-merge-patch+json"));
  auto names = [](const json& pod) {
    std::vector<std::string> n;
    for (const auto& c : pod["spec"]["containers"]) n.push_back(c["name"].get<std::string>() + "=" +
                                                                 c["image"].get<std::string>());
    return n;
  };
  EXPECT_EQ(names(out), (std::vector<std::string>{"main=img:1", "side=side:2", "new=new:1"}));
  out = Expect(200, Call("PATCH", pods + "/p",
                         json::parse(R"({"spec": {"containers": [{"name": "main", "$patch": "delete"}]}})"),
                         "application/strategic-merge-patch+json"));
  EXPECT_EQ(names(out), (std::vector<std::string>{"side=side:2", "new=new:1"}));
  EXPECT_EQ(names(Expect(200, Call("GET", pods + "/p"))), names(out));
}

TEST_F(ApiTest, PatchErrors) {
  Expect(201, Call("POST", kCm, Cm("c")));
  Expect(415, Call("PATCH", std::string(kCm) + "/c", json::object(), "text/plain"));
  Expect(422, Call("PATCH", std::string(kCm) + "/c", Cm("c"), "application/apply-patch+yaml"));
  Expect(400, Send("PATCH", std::string(kCm) + "/c", "{", "application/merge-patch+json").response);
  Expect(422, Call("PATCH", std::string(kCm) + "/c", json::parse(R"([{"op": "remove", "path": "/nope"}])"),
                   "application/json-patch+json"));
  Expect(404, Call("PATCH", std::string(kCm) + "/missing", json::object(), "application/merge-patch+json"));
}

// Found by fuzz/testapi_request_fuzz: an error quoting a selector that is
// not UTF-8 ended the server with an uncaught exception.
TEST_F(ApiTest, AnErrorQuotingBytesThatAreNotUtf8IsA400WithReplacementCharacters) {
  json status = Expect(400, Send("GET", std::string(kCm) + "?labelSelector=\xe1*=b", "").response);
  EXPECT_EQ(status["reason"], "BadRequest");
  EXPECT_NE(status["message"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos) << status["message"];
}

// Found by fuzz/testapi_request_fuzz: these read past the path's segments.
TEST_F(ApiTest, WritesToDiscoveryPathsAreNotFound) {
  for (const char* path : {"/api", "/api/v1", "/apis/apps"}) {
    json status = Expect(404, Call("POST", path, Cm("c")));
    EXPECT_EQ(status["reason"], "NotFound") << path;
  }
}

TEST_F(ApiTest, ServerSideApplyCreatesThenMerges) {
  const std::string c = std::string(kCm) + "/applied?fieldManager=test";
  Expect(201, Call("PATCH", c, Cm("applied"), "application/apply-patch+yaml"));
  json again = Cm("applied");
  again["data"] = {{"k2", "v2"}};
  json out = Expect(200, Call("PATCH", c, again, "application/apply-patch+yaml"));
  EXPECT_EQ(out["data"]["k2"], "v2");
}

// ---- events ---------------------------------------------------------------------

TEST_F(ApiTest, EventsAreServedInBothApiVersions) {
  json v1 = json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "ev1"},
    "eventTime": "2026-01-01T00:00:00.000000Z", "reportingController": "example.com/ctl",
    "reportingInstance": "ctl-1", "action": "Bind", "reason": "Bound", "type": "Normal",
    "note": "bound it", "regarding": {"kind": "Pod", "name": "p", "namespace": "default"}})");
  json created = Expect(201, Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events", v1));
  EXPECT_EQ(created["note"], "bound it");
  EXPECT_EQ(created["apiVersion"], "events.k8s.io/v1");
  json core = Expect(200, Call("GET", "/api/v1/namespaces/default/events/ev1"));
  EXPECT_EQ(core["apiVersion"], "v1");
  EXPECT_EQ(core["message"], "bound it");
  EXPECT_EQ(core["involvedObject"]["name"], "p");
  EXPECT_EQ(core["reportingComponent"], "example.com/ctl");
  EXPECT_FALSE(core.contains("note"));

  json core_ev = {{"apiVersion", "v1"},
                  {"kind", "Event"},
                  {"metadata", {{"name", "ev2"}}},
                  {"involvedObject", {{"kind", "Node"}, {"name", "n1"}}},
                  {"reason", "Rebooted"},
                  {"message", "node rebooted"},
                  {"type", "Warning"}};
  Expect(201, Call("POST", "/api/v1/namespaces/default/events", core_ev));
  json as_v1 = Expect(200, Call("GET", "/apis/events.k8s.io/v1/namespaces/default/events/ev2"));
  EXPECT_EQ(as_v1["note"], "node rebooted");
  EXPECT_EQ(as_v1["regarding"]["name"], "n1");
  EXPECT_FALSE(as_v1.contains("message"));
  json list = Expect(200, Call("GET", "/apis/events.k8s.io/v1/namespaces/default/events"));
  EXPECT_EQ(list["items"].size(), 2u);
}

TEST_F(ApiTest, EventsV1ValidationNamesV1Fields) {
  json bad = {{"apiVersion", "events.k8s.io/v1"}, {"kind", "Event"}, {"metadata", {{"name", "bad"}}}};
  json st = Expect(422, Call("POST", "/apis/events.k8s.io/v1/namespaces/default/events", bad));
  EXPECT_NE(st["message"].get<std::string>().find("reportingController"), std::string::npos) << st.dump();
}

// ---- PodDisruptionBudget status ----------------------------------------------

class PdbTest : public ApiTest {
 protected:
  void ReadyPods(int total, int ready) {
    for (int i = 0; i < total; ++i) {
      std::string name = "web-" + std::to_string(i);
      Expect(201, Call("POST", "/api/v1/namespaces/default/pods", Pod(name, {{"app", "web"}})));
      if (i < ready)
        Expect(200, Call("PATCH", "/api/v1/namespaces/default/pods/" + name + "/status",
                         json{{"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}},
                         "application/merge-patch+json"));
    }
    // A pod of another app does not count.
    Expect(201, Call("POST", "/api/v1/namespaces/default/pods", Pod("other", {{"app", "db"}})));
  }

  json PdbStatusFor(const json& min_available) {
    json pdb = {{"apiVersion", "policy/v1"},
                {"kind", "PodDisruptionBudget"},
                {"metadata", {{"name", "web"}}},
                {"spec", {{"minAvailable", min_available}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}}};
    Expect(201, Call("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb));
    Settle();
    return Expect(200, Call("GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web"))["status"];
  }
};

TEST_F(PdbTest, MinAvailableInteger) {
  ReadyPods(3, 2);
  json st = PdbStatusFor(2);
  EXPECT_EQ(st["currentHealthy"], 2);
  EXPECT_EQ(st["desiredHealthy"], 2);
  EXPECT_EQ(st["expectedPods"], 3);
  EXPECT_EQ(st["disruptionsAllowed"], 0);
}

TEST_F(PdbTest, MinAvailablePercentRoundsUp) {
  ReadyPods(3, 2);
  json st = PdbStatusFor("50%");  // ceil(1.5) = 2
  EXPECT_EQ(st["currentHealthy"], 2);
  EXPECT_EQ(st["desiredHealthy"], 2);
  EXPECT_EQ(st["disruptionsAllowed"], 0);
}

TEST_F(PdbTest, StatusFollowsPodChanges) {
  ReadyPods(4, 4);
  json st = PdbStatusFor("25%");  // ceil(1) = 1
  EXPECT_EQ(st["currentHealthy"], 4);
  EXPECT_EQ(st["desiredHealthy"], 1);
  EXPECT_EQ(st["disruptionsAllowed"], 3);
  Expect(200, Call("DELETE", "/api/v1/namespaces/default/pods/web-0?gracePeriodSeconds=0"));
  Settle();
  st = Expect(200, Call("GET", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web"))["status"];
  EXPECT_EQ(st["currentHealthy"], 3);
  EXPECT_EQ(st["expectedPods"], 3);
  EXPECT_EQ(st["disruptionsAllowed"], 2);
}

// ---- watch requests, admin, bad input ------------------------------------------------

TEST_F(ApiTest, WatchFromACompactedResourceVersionIsExpired) {
  json c = Expect(201, Call("POST", kCm, Cm("c")));
  std::string rv = c["metadata"]["resourceVersion"];
  Expect(201, Call("POST", kCm, Cm("later")));  // a change after rv that compaction forgets
  auto fresh = Send("GET", std::string(kCm) + "?watch=true&resourceVersion=" + rv);
  ASSERT_TRUE(fresh.watch.has_value()) << fresh.response.body;
  EXPECT_FALSE(fresh.watch->expired);
  Expect(200, Call("POST", "/admin/compact"));
  auto old = Send("GET", std::string(kCm) + "?watch=true&resourceVersion=" + rv);
  ASSERT_TRUE(old.watch.has_value());
  EXPECT_TRUE(old.watch->expired);
}

TEST_F(ApiTest, WatchBeyondTheHistoryWindowIsExpired) {
  Store small(2);
  Api api(small, ApiOptions{}, ServerHooks{});  // creates the default namespaces: 4 changes
  Request r;
  r.method = "GET";
  r.path = kCm;
  r.query = {{"watch", "true"}, {"resourceVersion", "1"}};
  auto out = api.Handle(r);
  ASSERT_TRUE(out.watch.has_value());
  EXPECT_TRUE(out.watch->expired);
  r.query["resourceVersion"] = std::to_string(small.CurrentRv() - 1);
  out = api.Handle(r);
  ASSERT_TRUE(out.watch.has_value());
  EXPECT_FALSE(out.watch->expired);
}

TEST_F(ApiTest, SendInitialEvents) {
  Expect(422, Call("GET", std::string(kCm) + "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true"));
  Expect(422, Call("GET", std::string(kCm) + "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"));
  auto ok = Send("GET", std::string(kCm) +
                            "?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
  ASSERT_TRUE(ok.watch.has_value()) << ok.response.body;
  EXPECT_TRUE(ok.watch->initial_state);
  EXPECT_TRUE(ok.watch->initial_events_end);
  std::string line = api_.BookmarkLine(*ok.watch->type, true);
  json ev = json::parse(line);
  EXPECT_EQ(ev["type"], "BOOKMARK");
  EXPECT_EQ(ev["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_EQ(ev["object"]["kind"], "ConfigMap");
}

TEST_F(ApiTest, AdminFaultsReachTheTransport) {
  Expect(200, Call("POST", "/admin/faults", json{{"errorRate", 1}, {"errorCode", 429}, {"latencyMs", 50}}));
  EXPECT_EQ(faults_.error_rate, 1);
  EXPECT_EQ(faults_.error_code, 429);
  EXPECT_EQ(faults_.latency_ms, 50);
  Expect(200, Call("POST", "/admin/faults", json::object()));
  EXPECT_EQ(faults_.error_rate, 0);
  EXPECT_EQ(faults_.latency_ms, 0);
  Expect(400, Call("POST", "/admin/faults", json{{"errorRate", 2}}));
  Expect(400, Call("POST", "/admin/faults", json{{"errorCode", 404}}));
  Expect(200, Call("POST", "/admin/drop-watches"));
  EXPECT_EQ(dropped_, 1);
  Expect(405, Call("GET", "/admin/compact"));
  Expect(404, Call("POST", "/admin/nothing"));
}

TEST_F(ApiTest, BadBodiesAreClientErrors) {
  Expect(400, Send("POST", kCm, "{\"metadata\":").response);
  Expect(400, Send("POST", kCm, "metadata: [a\n", "application/yaml").response);
  Expect(400, Send("POST", kCm, "\"a string\"").response);
  Expect(400, Send("POST", kCm, R"({"metadata": "x"})").response);
  json wrong_kind = Cm("w");
  wrong_kind["kind"] = "Secret";
  Expect(400, Call("POST", kCm, wrong_kind));
  json wrong_version = Cm("w");
  wrong_version["apiVersion"] = "v2";
  Expect(400, Call("POST", kCm, wrong_version));
  Expect(404, Call("GET", "/api/v1/namespaces/default/gizmos"));
  Expect(404, Call("GET", "/api/v2/namespaces"));
  Expect(404, Call("POST", "/api/v1/namespaces/nowhere/configmaps", Cm("x")));
}

// BUG (kube-testapi): values of the wrong JSON type are answered 500
// InternalError (nlohmann type_error) instead of 400/422. Enable once fixed.
TEST_F(ApiTest, WrongJsonTypesAreClientErrorsNot500) {
  auto client_error = [](const Response& r) {
    EXPECT_TRUE(r.code == 400 || r.code == 422) << r.code << " " << r.body;
  };
  client_error(Call("POST", "/admin/faults", json{{"errorRate", "all"}}));
  client_error(Call("POST", "/admin/faults", json{{"errorCode", "429"}}));
  client_error(Call("POST", "/api/v1/namespaces", json{{"metadata", {{"name", "n"}}}, {"spec", "x"}}));
  // Accepted today, and then deleting the pod answers 500.
  json pod = Pod("tgps");
  pod["spec"]["nodeName"] = "node-1";
  pod["spec"]["terminationGracePeriodSeconds"] = "x";
  Response created = Call("POST", "/api/v1/namespaces/default/pods", pod);
  if (created.code == 201) EXPECT_EQ(Call("DELETE", "/api/v1/namespaces/default/pods/tgps").code, 200);
  else client_error(created);
  // A negative resourceVersion is not "too large" (504) but invalid.
  EXPECT_EQ(Call("GET", std::string(kCm) + "?resourceVersion=-1").code, 400);
}

// Quantities as a client reads them back, and what the decoder refuses.
TEST_F(ApiTest, PodAndNodeQuantitiesAreCanonicalAndBadOnesAreBadRequests) {
  json pod = Pod("res");
  pod["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "0.5"}, {"rdma.dev/roce", 1}}}};
  json created = Expect(201, Call("POST", "/api/v1/namespaces/default/pods", pod));
  EXPECT_EQ(created["spec"]["containers"][0]["resources"],
            json({{"limits", {{"cpu", "500m"}, {"rdma.dev/roce", "1"}}},
                  {"requests", {{"cpu", "500m"}, {"rdma.dev/roce", "1"}}}}));

  pod = Pod("bad-quantity");
  pod["spec"]["containers"][1]["resources"] = {{"limits", {{"memory", "lots"}}}};
  json bad = Expect(400, Call("POST", "/api/v1/namespaces/default/pods", pod));
  EXPECT_EQ(bad["reason"], "BadRequest");
  EXPECT_NE(bad["message"].get<std::string>().find("Pod in version \"v1\" cannot be handled as a Pod: quantities "
                                                   "must match the regular expression"),
            std::string::npos)
      << bad;

  Expect(201, Call("POST", "/api/v1/nodes", json{{"apiVersion", "v1"}, {"kind", "Node"},
                                                 {"metadata", {{"name", "n1"}}}}));
  json node = Expect(200, Call("PATCH", "/api/v1/nodes/n1/status",
                               json{{"status", {{"capacity", {{"rdma.dev/roce", "8"}, {"memory", "4096Mi"}}}}}},
                               "application/merge-patch+json"));
  EXPECT_EQ(node["status"]["capacity"], json({{"memory", "4Gi"}, {"rdma.dev/roce", "8"}}));
  json invalid = Expect(422, Call("PATCH", "/api/v1/nodes/n1/status",
                                  json{{"status", {{"allocatable", {{"rdma.dev/roce", "-2"}}}}}},
                                  "application/merge-patch+json"));
  EXPECT_EQ(invalid["details"]["causes"][0]["field"], "status.allocatable.rdma.dev/roce") << invalid;
}

// BUG (kube-testapi): a pod whose status.conditions is not a list (accepted
// by PATCH .../status) makes the PodDisruptionBudget status update throw out
// of RunUpkeep; in the server that exception escapes the event loop and the
// process aborts ("terminate called after throwing ... type_error.306").
TEST_F(ApiTest, MalformedPodConditionsDoNotBreakPdbUpkeep) {
  Expect(201, Call("POST", "/api/v1/namespaces/default/pods", Pod("p", {{"app", "web"}})));
  Response patched = Call("PATCH", "/api/v1/namespaces/default/pods/p/status",
                          json{{"status", {{"conditions", "x"}}}}, "application/merge-patch+json");
  EXPECT_TRUE(patched.code == 200 || patched.code == 422) << patched.body;
  json pdb = {{"apiVersion", "policy/v1"},
              {"kind", "PodDisruptionBudget"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"minAvailable", 1}, {"selector", {{"matchLabels", {{"app", "web"}}}}}}}};
  Expect(201, Call("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", pdb));
  EXPECT_NO_THROW(Settle());
}

TEST_F(ApiTest, BodyOverTheLimitIs413) {
  Store s(100);
  ApiOptions o;
  o.max_body_bytes = 100;
  Api small(s, o, ServerHooks{});
  Request r;
  r.method = "POST";
  r.path = kCm;
  r.content_type = "application/json";
  r.body = Cm("big").dump();
  r.body.insert(r.body.size() - 1, ",\"padding\":\"" + std::string(200, 'x') + "\"");
  EXPECT_EQ(small.Handle(r).response.code, 413);
}

}  // namespace
}  // namespace testapi
