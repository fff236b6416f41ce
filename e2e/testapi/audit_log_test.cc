#include "e2e/testapi/audit_log.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

TEST(RequestAttributes, NamespacedObjectWithSubresource) {
  auto a = ParseRequestAttributes("PATCH", "/apis/rdma.dev/v1alpha1/namespaces/ns1/rdmanetworks/net/status", {});
  EXPECT_TRUE(a.resource_request);
  EXPECT_EQ(a.verb, "patch");
  EXPECT_EQ(a.api_group, "rdma.dev");
  EXPECT_EQ(a.namespace_, "ns1");
  EXPECT_EQ(a.resource, "rdmanetworks");
  EXPECT_EQ(a.name, "net");
  EXPECT_EQ(a.subresource, "status");
}

TEST(RequestAttributes, ListAndWatchOfTheCoreGroup) {
  auto list = ParseRequestAttributes("GET", "/api/v1/nodes", {});
  EXPECT_EQ(list.verb, "list");
  EXPECT_EQ(list.api_group, "");
  EXPECT_EQ(list.resource, "nodes");
  auto watch = ParseRequestAttributes("GET", "/api/v1/nodes", {{"watch", "true"}});
  EXPECT_EQ(watch.verb, "watch");
  auto get = ParseRequestAttributes("GET", "/api/v1/nodes/n1", {});
  EXPECT_EQ(get.verb, "get");
  EXPECT_EQ(get.name, "n1");
}

TEST(RequestAttributes, ListPinnedToOneNameIsForThatName) {
  auto a = ParseRequestAttributes("GET", "/api/v1/nodes", {{"fieldSelector", "metadata.name=n1"}, {"watch", "1"}});
  EXPECT_EQ(a.verb, "watch");
  EXPECT_EQ(a.name, "n1");
  EXPECT_EQ(ParseRequestAttributes("GET", "/api/v1/pods", {{"fieldSelector", "spec.nodeName=a,metadata.name==p"}}).name,
            "p");
  EXPECT_EQ(ParseRequestAttributes("GET", "/api/v1/pods", {{"fieldSelector", "metadata.name!=p"}}).name, "");
  EXPECT_EQ(ParseRequestAttributes("GET", "/api/v1/pods", {{"fieldSelector", "spec.nodeName=a"}}).name, "");
}

TEST(RequestAttributes, NamespacesThemselves) {
  auto a = ParseRequestAttributes("GET", "/api/v1/namespaces/kube-system", {});
  EXPECT_EQ(a.resource, "namespaces");
  EXPECT_EQ(a.name, "kube-system");
  EXPECT_EQ(a.namespace_, "kube-system");
  auto f = ParseRequestAttributes("PUT", "/api/v1/namespaces/x/finalize", {});
  EXPECT_EQ(f.resource, "namespaces");
  EXPECT_EQ(f.subresource, "finalize");
  EXPECT_EQ(f.verb, "update");
}

TEST(RequestAttributes, CollectionVerbs) {
  EXPECT_EQ(ParseRequestAttributes("POST", "/apis/events.k8s.io/v1/namespaces/d/events", {}).verb, "create");
  EXPECT_EQ(ParseRequestAttributes("DELETE", "/api/v1/namespaces/d/pods", {}).verb, "deletecollection");
  EXPECT_EQ(ParseRequestAttributes("DELETE", "/api/v1/namespaces/d/pods/p", {}).verb, "delete");
}

TEST(RequestAttributes, NonResourcePaths) {
  EXPECT_FALSE(ParseRequestAttributes("GET", "/healthz", {}).resource_request);
  EXPECT_FALSE(ParseRequestAttributes("GET", "/apis", {}).resource_request);
  EXPECT_FALSE(ParseRequestAttributes("GET", "/apis/rdma.dev/v1alpha1", {}).resource_request);
  EXPECT_FALSE(ParseRequestAttributes("GET", "/api/v1", {}).resource_request);
}

}  // namespace
}  // namespace testapi
