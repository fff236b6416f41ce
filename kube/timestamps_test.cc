#include "kube/timestamps.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(TimestampsTest, RoundTripsAndParsesOffsets) {
  auto t = ParseTime("2024-01-02T03:04:05Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(FormatTime(*t), "2024-01-02T03:04:05Z");
  auto m = ParseTime("2024-01-02T03:04:05.123456Z");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(FormatMicroTime(*m), "2024-01-02T03:04:05.123456Z");
  auto o = ParseTime("2024-01-02T05:04:05+02:00");
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(*o, *t);
  EXPECT_FALSE(ParseTime("yesterday").has_value());
  EXPECT_FALSE(ParseTime("2024-01-02T03:04:05").has_value());
}

}  // namespace
}  // namespace kube
