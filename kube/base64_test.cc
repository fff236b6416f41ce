#include "kube/base64.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

TEST(Base64Test, RoundTripsEveryLength) {
  // RFC 4648 section 10's test vectors.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(EncodeBase64(plain), encoded);
    EXPECT_EQ(DecodeBase64(encoded), plain) << encoded;
  }
  EXPECT_EQ(EncodeBase64(std::string("\xfb\xff", 2)), "+/8=");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(DecodeBase64(EncodeBase64(all)), all);
}

TEST(Base64Test, IgnoresLineBreaksOfWrappedData) { EXPECT_EQ(DecodeBase64("Zm9v\nYmFy\r\n"), "foobar"); }

TEST(Base64Test, RejectsWhatIsNotBase64) {
  for (const char* bad : {"Zm9", "Zm9v!", "Z=9v", "Zg=a", "Zg==Zg==", "=Zg=", "Zm9vY===", "Zg", "Zg=", "Z===", "Zm9*",
                          "Zm=v", "%%%%", "Zm9v YmFy"})
    EXPECT_EQ(DecodeBase64(bad), std::nullopt) << bad;
}

}  // namespace
}  // namespace kube
