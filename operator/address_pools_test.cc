#include "operator/address_pools.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/test_objects.h"

namespace rdma_operator {
namespace {

using ::testing::HasSubstr;
using testing::Network;

std::string Text(const api::IpRange& r) { return r.start.ToString() + "-" + r.end.ToString(); }

TEST(IpBlockPool, CutsUsableRangesIntoNodeBlocks) {
  struct Case {
    const char* name;
    nlohmann::json ipam;
    uint64_t capacity;
    uint64_t usable;
    std::vector<std::string> first_blocks;
  };
  const Case cases[] = {
      {"whole /24 less network and broadcast",
       {{"subnet", "10.56.0.0/24"}, {"nodeBlockSize", 64}},
       3,
       254,
       {"10.56.0.1-10.56.0.64", "10.56.0.65-10.56.0.128", "10.56.0.129-10.56.0.192"}},
      {"docs example: two ranges less excludes",
       {{"subnet", "192.168.100.0/24"},
        {"ranges",
         {{{"start", "192.168.100.16"}, {"end", "192.168.100.127"}},
          {{"start", "192.168.100.160"}, {"end", "192.168.100.250"}}}},
        {"excludes", {"192.168.100.100", "192.168.100.200/30"}}},
       // 16..99 (84: 5 blocks), 101..127 (27: 1), 160..199 (40: 2), 204..250 (47: 2)
       10,
       198,
       {"192.168.100.16-192.168.100.31", "192.168.100.32-192.168.100.47"}},
      {"block size 1",
       {{"subnet", "10.0.0.0/30"}, {"nodeBlockSize", 1}},
       2,
       2,
       {"10.0.0.1-10.0.0.1", "10.0.0.2-10.0.0.2"}},
      {"IPv6", {{"subnet", "fd00::/120"}, {"nodeBlockSize", 128}}, 1, 255, {"fd00::1-fd00::80"}},
  };
  for (const Case& c : cases) {
    auto pool = IpBlockPool::FromNetwork(Network("ns", "n", {{"resourceName", "r"}, {"ipam", c.ipam}}));
    ASSERT_TRUE(pool) << c.name;
    EXPECT_EQ(pool->capacity_blocks(), c.capacity) << c.name;
    EXPECT_EQ(pool->usable_addresses(), c.usable) << c.name;
    for (size_t i = 0; i < c.first_blocks.size(); ++i) {
      api::IpRange b = pool->Block(i);
      EXPECT_EQ(Text(b), c.first_blocks[i]) << c.name << " block " << i;
      EXPECT_EQ(pool->IndexOf(b.start.ToString(), b.end.ToString()), i) << c.name;
    }
  }
}

TEST(IpBlockPool, BlocksNeverCoverExcludedAddresses) {
  auto pool = IpBlockPool::FromNetwork(Network("ns", "n",
                                               {{"resourceName", "r"},
                                                {"ipam",
                                                 {{"subnet", "192.168.100.0/24"},
                                                  {"excludes", {"192.168.100.100", "192.168.100.200/30"}},
                                                  {"gateway", "192.168.100.1"},
                                                  {"nodeBlockSize", 8}}}}));
  ASSERT_TRUE(pool);
  for (const char* bad : {"192.168.100.0", "192.168.100.1", "192.168.100.100", "192.168.100.201", "192.168.100.255"})
    for (uint64_t i = 0; i < pool->capacity_blocks(); ++i)
      EXPECT_FALSE(pool->Block(i).Contains(*api::IpAddress::Parse(bad))) << bad << " in block " << Text(pool->Block(i));
}

TEST(IpBlockPool, RecordedBlocksThatNoLongerFitAreNotRecognised) {
  auto pool = IpBlockPool::FromNetwork(
      Network("ns", "n", {{"resourceName", "r"}, {"ipam", {{"subnet", "10.0.0.0/24"}, {"nodeBlockSize", 16}}}}));
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->IndexOf("10.0.0.17", "10.0.0.32"), 1u);
  EXPECT_FALSE(pool->IndexOf("10.0.0.18", "10.0.0.33"));  // not on a block boundary
  EXPECT_FALSE(pool->IndexOf("10.0.0.17", "10.0.0.40"));  // other block size
  EXPECT_FALSE(pool->IndexOf("10.0.1.1", "10.0.1.16"));   // outside the subnet
  EXPECT_FALSE(pool->IndexOf("garbage", "10.0.0.16"));
}

TEST(IpBlockPool, NoIpamNoPool) { EXPECT_FALSE(IpBlockPool::FromNetwork(Network("ns", "n", {{"resourceName", "r"}}))); }

TEST(ExhaustionMessage, GivesTheNumbers) {
  auto pool = IpBlockPool::FromNetwork(
      Network("ns", "n", {{"resourceName", "r"}, {"ipam", {{"subnet", "10.56.0.0/24"}, {"nodeBlockSize", 64}}}}));
  ASSERT_TRUE(pool);
  EXPECT_EQ(ExhaustionMessage("10.56.0.0/24", *pool, 4, {"node-d"}),
            "subnet 10.56.0.0/24 has 254 usable addresses (3 blocks), 4 nodes need 64 each: 1 node without a "
            "block (node-d); widen ipam.ranges, remove excludes or lower ipam.nodeBlockSize");
}

TEST(GuidPool, BlocksAndRecordedRuns) {
  auto pool = GuidPool::FromRange("02:00:00:00:00:01:00:00", "02:00:00:00:00:01:ff:ff");
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->size(), 65536u);
  api::GuidRange b = pool->Block({8, 8});
  EXPECT_EQ(b.start, "02:00:00:00:00:01:00:08");
  EXPECT_EQ(b.end, "02:00:00:00:00:01:00:0f");
  EXPECT_EQ(pool->RunOf(b), (BlockRun{8, 8}));
  api::GuidRange outside{"02:00:00:00:00:02:00:00", "02:00:00:00:00:02:00:07", {}};
  EXPECT_FALSE(pool->RunOf(outside));
  EXPECT_FALSE(GuidPool::FromRange("02:00:00:00:00:00:00:09", "02:00:00:00:00:00:00:01"));
}

}  // namespace
}  // namespace rdma_operator
