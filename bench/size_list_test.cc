#include "bench/size_list.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(ParseSizeTest, AcceptsBytesAndBinaryUnits) {
  EXPECT_EQ(ParseSize("1").value(), 1u);
  EXPECT_EQ(ParseSize("64").value(), 64u);
  EXPECT_EQ(ParseSize("4K").value(), 4096u);
  EXPECT_EQ(ParseSize("4k").value(), 4096u);
  EXPECT_EQ(ParseSize("8MiB").value(), 8u << 20);
  EXPECT_EQ(ParseSize("1G").value(), 1u << 30);
}

TEST(ParseSizeTest, RejectsNonsenseWithTheInputInTheMessage) {
  for (const char* bad : {"", "0", "-1", "1.5K", "12Q", "K", "99999999999999999999999"}) {
    Result<size_t> r = ParseSize(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos) << r.status().message();
  }
}

TEST(ParseSizeSweepTest, RangeIsEveryPowerOfTwoFromOneByteToEightMiB) {
  std::vector<size_t> sizes = ParseSizeSweep("1-8M").value();
  ASSERT_EQ(sizes.size(), 24u);
  EXPECT_EQ(sizes.front(), 1u);
  EXPECT_EQ(sizes[10], 1024u);
  EXPECT_EQ(sizes.back(), 8u << 20);
}

TEST(ParseSizeSweepTest, ListKeepsTheGivenOrder) {
  EXPECT_EQ(ParseSizeSweep("64K,1,4K").value(), (std::vector<size_t>{65536, 1, 4096}));
  EXPECT_EQ(ParseSizeSweep("512").value(), (std::vector<size_t>{512}));
}

TEST(ParseSizeSweepTest, RejectsRangesThatAreNotPowersOfTwoOrBackwards) {
  EXPECT_FALSE(ParseSizeSweep("3-64").ok());
  EXPECT_FALSE(ParseSizeSweep("64-1").ok());
  EXPECT_FALSE(ParseSizeSweep("64,,1K").ok());
  EXPECT_FALSE(ParseSizeSweep("").ok());
}

TEST(FormatSizeTest, UsesTheLargestExactUnit) {
  EXPECT_EQ(FormatSize(1), "1");
  EXPECT_EQ(FormatSize(1536), "1536");
  EXPECT_EQ(FormatSize(4096), "4K");
  EXPECT_EQ(FormatSize(8u << 20), "8M");
}

}  // namespace
}  // namespace bench
