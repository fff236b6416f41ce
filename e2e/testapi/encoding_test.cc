// Base64 as continue tokens, kubeconfigs and Secrets use it.
#include "e2e/testapi/encoding.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

TEST(EncodingTest, KnownVectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xfb\xff", 2)), "+/8=");
}

TEST(EncodingTest, RoundTripOfEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n <= all.size(); n += 37) {
    auto back = Base64Decode(Base64Encode(all.substr(0, n)));
    ASSERT_TRUE(back.has_value()) << n;
    EXPECT_EQ(*back, all.substr(0, n));
  }
}

TEST(EncodingTest, InvalidInputIsRejected) {
  for (std::string bad : {"Zg", "Zg=", "Z===", "Zg==Zg==", "Zm9*", "Zm=v", "%%%%"})
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace testapi
