// SelfSubjectAccessReview and SubjectAccessReview through Api::Handle: who
// is asked about, what attributes reach the authorizer, and the answers.
#include <gtest/gtest.h>

#include "e2e/testapi/api.h"

namespace testapi {
namespace {

const char kSsar[] = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
const char kSar[] = "/apis/authorization.k8s.io/v1/subjectaccessreviews";

class AccessReviewTest : public ::testing::Test {
 protected:
  // The authorizer: alice may list configmaps in ns1; everything is recorded.
  static ServerHooks Hooks(std::vector<std::pair<std::string, RequestAttributes>>* asked) {
    ServerHooks h;
    h.authorize = [asked](const std::string& user, const std::vector<std::string>& groups,
                          const RequestAttributes& a) {
      asked->emplace_back(user + "|" + (groups.empty() ? "" : groups[0]), a);
      return user == "alice" && a.verb == "list" && a.resource == "configmaps" && a.namespace_ == "ns1";
    };
    return h;
  }

  Response Post(Api& api, const char* path, const json& body, const std::string& user = "alice",
                std::vector<std::string> groups = {"system:authenticated"}) {
    Request r;
    r.method = "POST";
    r.path = path;
    r.content_type = "application/json";
    r.body = body.dump();
    r.user = user;
    r.groups = std::move(groups);
    return api.Handle(r).response;
  }

  static json Review(const char* kind, json spec) {
    return {{"apiVersion", "authorization.k8s.io/v1"}, {"kind", kind}, {"spec", std::move(spec)}};
  }

  Store store_{100};
  std::vector<std::pair<std::string, RequestAttributes>> asked_;
  Api api_{store_, ApiOptions{}, Hooks(&asked_)};
};

TEST_F(AccessReviewTest, SelfReviewAsksAboutTheRequestingUser) {
  json spec = {{"resourceAttributes", {{"namespace", "ns1"}, {"verb", "list"}, {"resource", "configmaps"}}}};
  auto r = Post(api_, kSsar, Review("SelfSubjectAccessReview", spec));
  ASSERT_EQ(r.code, 201) << r.body;
  json b = json::parse(r.body);
  EXPECT_EQ(b["kind"], "SelfSubjectAccessReview");
  EXPECT_EQ(b["status"]["allowed"], true);
  EXPECT_EQ(b["spec"], spec);
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].first, "alice|system:authenticated");
  EXPECT_TRUE(asked_[0].second.resource_request);

  spec["resourceAttributes"]["verb"] = "delete";
  EXPECT_EQ(json::parse(Post(api_, kSsar, Review("SelfSubjectAccessReview", spec)).body)["status"]["allowed"], false);
  EXPECT_EQ(json::parse(Post(api_, kSsar, Review("SelfSubjectAccessReview", {{"resourceAttributes",
                                                                             {{"namespace", "ns1"},
                                                                              {"verb", "list"},
                                                                              {"resource", "configmaps"}}}}),
                             "bob")
                            .body)["status"]["allowed"],
            false);
}

TEST_F(AccessReviewTest, SubjectReviewAsksAboutTheSpecUser) {
  json spec = {{"user", "alice"},
               {"groups", {"g"}},
               {"resourceAttributes", {{"namespace", "ns1"}, {"verb", "list"}, {"resource", "configmaps"}}}};
  auto r = Post(api_, kSar, Review("SubjectAccessReview", spec), "admin", {"system:masters"});
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"]["allowed"], true);
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].first, "alice|g");
}

TEST_F(AccessReviewTest, NonResourceAttributes) {
  Post(api_, kSsar, Review("SelfSubjectAccessReview", {{"nonResourceAttributes", {{"path", "/metrics"}, {"verb", "get"}}}}));
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_FALSE(asked_[0].second.resource_request);
  EXPECT_EQ(asked_[0].second.path, "/metrics");
  EXPECT_EQ(asked_[0].second.verb, "get");
}

TEST_F(AccessReviewTest, BadSpecsAreInvalid) {
  auto neither = Post(api_, kSsar, Review("SelfSubjectAccessReview", json::object()));
  EXPECT_EQ(neither.code, 422) << neither.body;
  EXPECT_NE(neither.body.find("exactly one of nonResourceAttributes or resourceAttributes must be specified"),
            std::string::npos);
  auto nobody = Post(api_, kSar, Review("SubjectAccessReview", {{"nonResourceAttributes", {{"path", "/x"}}}}));
  EXPECT_EQ(nobody.code, 422) << nobody.body;
  EXPECT_NE(nobody.body.find("at least one of user or group must be specified"), std::string::npos);
  EXPECT_TRUE(asked_.empty());
  Request get;
  get.method = "GET";
  get.path = kSsar;
  EXPECT_EQ(api_.Handle(get).response.code, 405);
}

TEST_F(AccessReviewTest, SelfSubjectReviewNamesTheUserAndGroups) {
  auto r = Post(api_, "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}}, "bob", {"g1", "g2"});
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"]["userInfo"], json::parse(R"({"username":"bob","groups":["g1","g2"]})"));
}

TEST_F(AccessReviewTest, WithoutAnAuthorizerEverythingIsAllowed) {
  Store store(100);
  Api open(store, ApiOptions{}, ServerHooks{});
  auto r = Post(open, kSsar, Review("SelfSubjectAccessReview", {{"resourceAttributes", {{"verb", "delete"}, {"resource", "nodes"}}}}));
  ASSERT_EQ(r.code, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"]["allowed"], true);
}

}  // namespace
}  // namespace testapi
