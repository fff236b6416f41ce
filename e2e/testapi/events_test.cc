// core/v1 <-> events.k8s.io/v1 Event conversion.
#include "e2e/testapi/events.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

using json = nlohmann::json;

json CoreEvent() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Event",
    "metadata": {"name": "e1", "namespace": "default"},
    "involvedObject": {"kind": "Pod", "name": "p", "namespace": "default"},
    "reason": "Started", "message": "Started container", "type": "Normal",
    "reportingComponent": "kubelet", "reportingInstance": "node-1",
    "source": {"component": "kubelet"}, "count": 3,
    "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:01:00Z",
    "eventTime": "2026-01-01T00:00:00.000000Z", "action": "Start"})");
}

TEST(EventsTest, CoreToV1RenamesFields) {
  json v1 = CoreEventToV1(CoreEvent());
  EXPECT_EQ(v1["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(v1["kind"], "Event");
  EXPECT_EQ(v1["note"], "Started container");
  EXPECT_EQ(v1["regarding"]["name"], "p");
  EXPECT_EQ(v1["reportingController"], "kubelet");
  EXPECT_EQ(v1["deprecatedSource"]["component"], "kubelet");
  EXPECT_EQ(v1["deprecatedCount"], 3);
  EXPECT_EQ(v1["deprecatedFirstTimestamp"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(v1["deprecatedLastTimestamp"], "2026-01-01T00:01:00Z");
  for (const char* k : {"message", "involvedObject", "reportingComponent", "source", "count"})
    EXPECT_FALSE(v1.contains(k)) << k;
  // Same-named fields are copied.
  EXPECT_EQ(v1["reason"], "Started");
  EXPECT_EQ(v1["reportingInstance"], "node-1");
  EXPECT_EQ(v1["action"], "Start");
  EXPECT_EQ(v1["metadata"]["name"], "e1");
}

TEST(EventsTest, V1ToCoreRenamesBack) {
  json core = V1EventToCore(json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e2"},
    "note": "n", "regarding": {"kind": "Node", "name": "n1"}, "reportingController": "c",
    "reason": "R", "type": "Warning"})"));
  EXPECT_EQ(core["apiVersion"], "v1");
  EXPECT_EQ(core["message"], "n");
  EXPECT_EQ(core["involvedObject"]["name"], "n1");
  EXPECT_EQ(core["reportingComponent"], "c");
  EXPECT_EQ(core["type"], "Warning");
  EXPECT_FALSE(core.contains("note"));
  EXPECT_FALSE(core.contains("regarding"));
}

TEST(EventsTest, RoundTripIsLossless) {
  json core = CoreEvent();
  EXPECT_EQ(V1EventToCore(CoreEventToV1(core)), core);
}

}  // namespace
}  // namespace testapi
