#include "agent/guid_assignment.h"

#include <gtest/gtest.h>

#include <set>

#include "api/guid.h"

namespace agent {
namespace {

TEST(GuidAssignment, DerivedGuidsFollowThePfAndIndex) {
  struct Case {
    uint64_t pf;
    int vf;
    std::string want;
  } cases[] = {
      {0xb8cef60300410000, 0, "ba:ce:f6:00:01:41:00:00"},
      {0xb8cef60300410000, 1, "ba:ce:f6:00:02:41:00:00"},
      {0xb8cef60300410000, 255, "ba:ce:f6:01:00:41:00:00"},
      {0xb8cef60300420000, 0, "ba:ce:f6:00:01:42:00:00"},  // another PF of the same vendor
  };
  for (const auto& c : cases) {
    auto g = DeriveVfGuid(c.pf, c.vf);
    ASSERT_TRUE(g.ok()) << g.error().message;
    EXPECT_EQ(api::FormatGuid(*g), c.want) << "vf " << c.vf;
  }
}

TEST(GuidAssignment, DerivedGuidsAreNonZeroAndUniqueAcrossPfsAndVfs) {
  std::set<uint64_t> seen;
  for (uint64_t pf : {0xb8cef60300410000ull, 0xb8cef60300410001ull, 0x0c42a10300123456ull}) {
    for (int vf = 0; vf < 128; ++vf) {
      auto g = DeriveVfGuid(pf, vf);
      ASSERT_TRUE(g.ok());
      EXPECT_NE(*g, 0u);
      EXPECT_TRUE(seen.insert(*g).second) << "duplicate for vf " << vf;
    }
  }
}

TEST(GuidAssignment, ClearErrors) {
  EXPECT_EQ(DeriveVfGuid(0, 3).error().message, "derive GUID of VF 3: the PF's node GUID is 0");
  EXPECT_FALSE(DeriveVfGuid(1, 70000).ok());
  api::GuidRange block{"02:00:00:00:00:00:00:10", "02:00:00:00:00:00:00:11", {}};
  EXPECT_EQ(api::FormatGuid(*GuidFromBlock(block, 1)), "02:00:00:00:00:00:00:11");
  EXPECT_EQ(GuidFromBlock(block, 2).error().message,
            "GUID block 02:00:00:00:00:00:00:10-02:00:00:00:00:00:00:11: too small for VF 2");
  api::GuidRange bad{"zz", "02:00:00:00:00:00:00:11", {}};
  EXPECT_FALSE(GuidFromBlock(bad, 0).ok());
  api::GuidRange zero{"00:00:00:00:00:00:00:00", "00:00:00:00:00:00:00:10", {}};
  EXPECT_FALSE(GuidFromBlock(zero, 0).ok());
}

TEST(GuidAssignment, BlockWinsOverDerivation) {
  api::GuidRange block{"02:00:00:00:00:00:01:00", "02:00:00:00:00:00:01:ff", {}};
  EXPECT_EQ(api::FormatGuid(*VfGuid(block, 0xb8cef60300410000, 5)), "02:00:00:00:00:00:01:05");
  EXPECT_EQ(api::FormatGuid(*VfGuid(std::nullopt, 0xb8cef60300410000, 5)), "ba:ce:f6:00:06:41:00:00");
}

TEST(GuidAssignment, MacIsLocallyAdministeredAndPerVf) {
  EXPECT_EQ(VfMacFromGuid(0xbacef60001410000), "02:00:01:41:00:00");
  EXPECT_NE(VfMacFromGuid(*DeriveVfGuid(0xb8cef60300410000, 0)), VfMacFromGuid(*DeriveVfGuid(0xb8cef60300410000, 1)));
}

}  // namespace
}  // namespace agent
