#include "e2e/testapi/quantity.h"

#include <gtest/gtest.h>

namespace testapi {
namespace {

// What a client reads back after writing each quantity (the real server's
// canonical encoding).
TEST(QuantityTest, CanonicalFormIsWhatTheRealServerWritesBack) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"1", "1"},          {"0", "0"},           {"-0", "0"},          {"0.5", "500m"},    {"1.0", "1"},
      {"1000m", "1"},      {"1500m", "1500m"},   {"2000", "2k"},       {"1500", "1500"},   {"12000", "12k"},
      {"1024Mi", "1Gi"},   {"512Mi", "512Mi"},   {"1.5Ki", "1536"},    {"0.5Ki", "512"},   {"1Ki", "1Ki"},
      {"1e3", "1e3"},      {"1E3", "1e3"},       {"1500e0", "1500"},   {"2E", "2E"},       {"100u", "100u"},
      {" 4 ", "4"},        {"+3", "3"},          {"-2", "-2"},         {"-0.5", "-500m"},  {"1n", "1n"},
      {"0.1n", "1n"},      {"3Gi", "3Gi"},       {"1073741824", "1073741824"},
  };
  for (const auto& c : cases) {
    auto q = Quantity::Parse(c.in);
    ASSERT_TRUE(q) << c.in;
    EXPECT_EQ(q->ToString(), c.out) << c.in;
  }
}

TEST(QuantityTest, RefusesWhatTheRealParserRefuses) {
  // Out of this type's range (documented in quantity.h), refused rather than overflowing.
  EXPECT_FALSE(Quantity::Parse("99999999999999999999999999Ei"));
  EXPECT_FALSE(Quantity::Parse("1e200"));
  for (const char* bad : {"", "m", ".", "1..2", "1.2.3", "abc", "1x", "1kk", "1e", "1e+", "1Kii", "--1", "1 m"})
    EXPECT_FALSE(Quantity::Parse(bad)) << bad;
}

TEST(QuantityTest, ComparesByValueAcrossFormats) {
  EXPECT_EQ(*Quantity::Parse("1"), *Quantity::Parse("1000m"));
  EXPECT_EQ(*Quantity::Parse("1Ki"), *Quantity::Parse("1024"));
  EXPECT_EQ(*Quantity::Parse("1k"), *Quantity::Parse("1e3"));
  EXPECT_LT(*Quantity::Parse("1"), *Quantity::Parse("2"));
  EXPECT_GT(*Quantity::Parse("1Ki"), *Quantity::Parse("1k"));
}

TEST(QuantityTest, WholeNumbersAsTheRealValidationCountsThem) {
  EXPECT_TRUE(Quantity::Parse("2")->IsWholeInMilli());
  EXPECT_TRUE(Quantity::Parse("3000m")->IsWholeInMilli());
  EXPECT_TRUE(Quantity::Parse("3Ki")->IsWholeInMilli());
  EXPECT_FALSE(Quantity::Parse("500m")->IsWholeInMilli());
  EXPECT_FALSE(Quantity::Parse("1500m")->IsWholeInMilli());
  EXPECT_FALSE(Quantity::Parse("0.5")->IsWholeInMilli());
  // MilliValue() rounds up, so a value within one milli of a whole number passes, as it does there.
  EXPECT_TRUE(Quantity::Parse("1.9999")->IsWholeInMilli());
}

TEST(QuantityTest, JsonNumbersAreReadAsTheirDecimalText) {
  EXPECT_EQ(Quantity::FromJson(nlohmann::json(2))->ToString(), "2");
  EXPECT_EQ(Quantity::FromJson(nlohmann::json(0.5))->ToString(), "500m");
  EXPECT_FALSE(Quantity::FromJson(nlohmann::json::array()));
  EXPECT_FALSE(Quantity::FromJson(nlohmann::json(true)));
}

}  // namespace
}  // namespace testapi
