#include "api/pf_name_selector.h"

#include <gtest/gtest.h>

namespace api {
namespace {

TEST(PfNameSelectorTest, ParsesNamesWithAndWithoutRanges) {
  std::string error;
  auto all = ParsePfNameSelector("ens1f0", &error);
  ASSERT_TRUE(all) << error;
  EXPECT_EQ(all->pf_name, "ens1f0");
  EXPECT_FALSE(all->vfs);

  auto some = ParsePfNameSelector("enp65s0np0#2-7", &error);
  ASSERT_TRUE(some) << error;
  EXPECT_EQ(some->pf_name, "enp65s0np0");
  EXPECT_EQ(some->vfs, (VfRange{2, 7}));
  EXPECT_EQ(ToString(*some), "enp65s0np0#2-7");

  auto one = ParsePfNameSelector("ib0#5-5", &error);
  ASSERT_TRUE(one) << error;
  EXPECT_TRUE(one->vfs->Contains(5));
  EXPECT_FALSE(one->vfs->Contains(4));
}

TEST(PfNameSelectorTest, RejectsMalformedInputWithAReason) {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {
           Case{"", "1 to 15 characters"},
           Case{"#0-3", "1 to 15 characters"},
           Case{"a-name-too-long-x", "1 to 15 characters"},
           Case{"ens1/f0", "must not contain"},
           Case{"ens 1", "must not contain"},
           Case{"ens1f0#", "name#first-last"},
           Case{"ens1f0#3", "name#first-last"},
           Case{"ens1f0#-3", "name#first-last"},
           Case{"ens1f0#1-", "name#first-last"},
           Case{"ens1f0#0-1000", "name#first-last"},
           Case{"ens1f0#0-3#4-5", "name#first-last"},
           Case{"ens1f0#+1-2", "name#first-last"},
           Case{"ens1f0#7-3", "ends before it starts"},
       }) {
    std::string error;
    EXPECT_FALSE(ParsePfNameSelector(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.message), std::string::npos) << c.text << ": " << error;
  }
}

TEST(PfNameSelectorTest, RangesOverlap) {
  EXPECT_TRUE((VfRange{0, 3}).Overlaps({3, 5}));
  EXPECT_FALSE((VfRange{0, 3}).Overlaps({4, 5}));
  EXPECT_TRUE((VfRange{2, 2}).Overlaps({0, 7}));
}

}  // namespace
}  // namespace api
