#include "operator/nic_selection.h"

#include <gtest/gtest.h>

#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using testing::Pf;
using testing::Policy;
using Ranges = std::vector<std::optional<api::VfRange>>;

nlohmann::json J(const char* text) { return nlohmann::json::parse(text); }

TEST(SelectsNode, LabelSelectorAgainstNodeLabels) {
  struct Case {
    const char* name;
    nlohmann::json selector;
    std::map<std::string, std::string> labels;
    bool selected;
  };
  const Case cases[] = {
      {"empty selector selects every node", J("{}"), {}, true},
      {"matchLabels equal", J(R"({"matchLabels": {"rdma.dev/roce": "true"}})"), {{"rdma.dev/roce", "true"}}, true},
      {"matchLabels other value", J(R"({"matchLabels": {"rdma.dev/roce": "true"}})"), {{"rdma.dev/roce", "no"}}, false},
      {"matchLabels missing", J(R"({"matchLabels": {"rdma.dev/roce": "true"}})"), {}, false},
      {"In",
       J(R"({"matchExpressions": [{"key": "pool", "operator": "In", "values": ["ib", "x"]}]})"),
       {{"pool", "ib"}},
       true},
      {"NotIn without the label",
       J(R"({"matchExpressions": [{"key": "pool", "operator": "NotIn", "values": ["ib"]}]})"),
       {},
       true},
      {"DoesNotExist",
       J(R"({"matchExpressions": [{"key": "pool", "operator": "DoesNotExist"}]})"),
       {{"pool", "ib"}},
       false},
  };

  for (const Case& c : cases) {
    auto p = Policy("p", {{"nodeSelector", c.selector},
                          {"nicSelector", nlohmann::json::object()},
                          {"numVfs", 1},
                          {"resourceName", "r"}});
    EXPECT_EQ(SelectsNode(p, c.labels), c.selected) << c.name;
  }
}

TEST(SelectedVfRanges, NicSelectorAgainstReportedPfs) {
  struct Case {
    const char* name;
    nlohmann::json selector;
    api::InterfaceStatus pf;
    Ranges want;
  };
  const auto cx5 = Pf("0000:41:00.0", "ens1f0", "15b3", "1017");
  const Case cases[] = {
      {"empty selector: whole PF", nlohmann::json::object(), cx5, {std::nullopt}},
      {"vendor matches, case-insensitive", {{"vendor", "15B3"}}, cx5, {std::nullopt}},
      {"vendor differs", {{"vendor", "8086"}}, cx5, {}},
      {"one of deviceIDs", {{"deviceIDs", {"101b", "1017"}}}, cx5, {std::nullopt}},
      {"deviceIDs miss", {{"deviceIDs", {"101b"}}}, cx5, {}},
      {"pciAddresses hit", {{"pciAddresses", {"0000:41:00.0"}}}, cx5, {std::nullopt}},
      {"pciAddresses miss", {{"pciAddresses", {"0000:41:00.1"}}}, cx5, {}},
      {"pfName without range", {{"pfNames", {"ens1f0"}}}, cx5, {std::nullopt}},
      {"pfName with range", {{"pfNames", {"ens1f0#0-7"}}}, cx5, {api::VfRange{0, 7}}},
      {"two ranges on one PF",
       {{"pfNames", {"ens1f0#0-1", "ens1f1#0-3", "ens1f0#4-5"}}},
       cx5,
       {api::VfRange{0, 1}, api::VfRange{4, 5}}},
      {"other PF's name", {{"pfNames", {"ens1f1#0-7"}}}, cx5, {}},
      {"all criteria AND: vendor ok, device wrong", {{"vendor", "15b3"}, {"deviceIDs", {"101b"}}}, cx5, {}},
  };
  for (const Case& c : cases) {
    auto p = Policy("p", {{"nodeSelector", nlohmann::json::object()},
                          {"nicSelector", c.selector},
                          {"numVfs", 8},
                          {"resourceName", "r"}});
    EXPECT_EQ(SelectedVfRanges(*p.spec.nic_selector, c.pf), c.want) << c.name;
  }
}

}  // namespace
}  // namespace rdma_operator
