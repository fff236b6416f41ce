#include "api/guid.h"

#include <gtest/gtest.h>

namespace api {
namespace {

TEST(GuidTest, ParsesAndFormats) {
  EXPECT_EQ(ParseGuid("02:00:00:00:00:00:00:01"), 0x0200000000000001u);
  EXPECT_EQ(ParseGuid("B8:CE:F6:03:00:12:34:56"), 0xb8cef60300123456u);
  EXPECT_EQ(FormatGuid(0xb8cef60300123456u), "b8:ce:f6:03:00:12:34:56");
  EXPECT_EQ(FormatGuid(0), "00:00:00:00:00:00:00:00");
  for (const char* bad : {"", "b8cef60300123456", "b8ce:f603:0012:3456", "b8:ce:f6:03:00:12:34",
                          "b8:ce:f6:03:00:12:34:5g", "b8-ce-f6-03-00-12-34-56", "b8:ce:f6:03:00:12:34:567"}) {
    EXPECT_FALSE(ParseGuid(bad)) << bad;
  }
}

}  // namespace
}  // namespace api
