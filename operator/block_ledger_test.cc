#include "operator/block_ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace rdma_operator {
namespace {

using ::testing::ElementsAre;

TEST(FirstFit, LowestFreeRun) {
  struct Case {
    const char* name;
    std::vector<BlockRun> taken;
    uint64_t size, count;
    std::optional<BlockRun> want;
  };
  const Case cases[] = {
      {"empty pool", {}, 10, 1, BlockRun{0, 1}},
      {"after the first", {{0, 1}}, 10, 1, BlockRun{1, 1}},
      {"into a hole", {{0, 1}, {2, 1}}, 10, 1, BlockRun{1, 1}},
      {"hole too small for 4", {{0, 1}, {3, 2}}, 10, 4, BlockRun{5, 4}},
      {"exactly fills the end", {{0, 6}}, 10, 4, BlockRun{6, 4}},
      {"exhausted", {{0, 10}}, 10, 1, std::nullopt},
      {"bigger than the pool", {}, 3, 4, std::nullopt},
      {"zero-sized request", {}, 3, 0, std::nullopt},
  };
  for (const Case& c : cases) {
    std::map<uint64_t, BlockRun> taken;
    for (const BlockRun& r : c.taken) taken[r.first] = r;
    EXPECT_EQ(FirstFit(taken, c.size, c.count), c.want) << c.name;
  }
}

TEST(BlockLedger, ClaimsAreUniqueStableAndFirstFit) {
  BlockLedger l;
  EXPECT_EQ(l.Claim("ip:a/n", 3, "node-a", 1), (BlockRun{0, 1}));
  EXPECT_EQ(l.Claim("ip:a/n", 3, "node-b", 1), (BlockRun{1, 1}));
  EXPECT_EQ(l.Claim("ip:a/n", 3, "node-a", 1), (BlockRun{0, 1}));      // stable
  EXPECT_EQ(l.Claim("ip:other/n", 3, "node-b", 1), (BlockRun{0, 1}));  // pools are independent
  l.Release("ip:a/n", "node-a");
  EXPECT_EQ(l.Claim("ip:a/n", 3, "node-c", 1), (BlockRun{0, 1}));  // released block is reused
  EXPECT_EQ(l.Find("ip:a/n", "node-b"), (BlockRun{1, 1}));         // others keep theirs
}

TEST(BlockLedger, ExhaustionListsWaitingOwnersUntilTheyGetABlockOrGo) {
  BlockLedger l;
  ASSERT_TRUE(l.Claim("p", 2, "n1", 1));
  ASSERT_TRUE(l.Claim("p", 2, "n2", 1));
  EXPECT_FALSE(l.Claim("p", 2, "n4", 1));
  EXPECT_FALSE(l.Claim("p", 2, "n3", 1));
  PoolUsage u = l.Usage("p");
  EXPECT_EQ(u.allocated_owners, 2u);
  EXPECT_THAT(u.waiting, ElementsAre("n3", "n4"));

  l.Release("p", "n1");  // a node went away
  EXPECT_EQ(l.Claim("p", 2, "n3", 1), (BlockRun{0, 1}));
  l.Release("p", "n4");  // the waiting node went away too
  EXPECT_TRUE(l.Usage("p").waiting.empty());
}

TEST(BlockLedger, SeedRebuildsRecordedAllocationsAndRefusesOverlaps) {
  BlockLedger l;
  EXPECT_TRUE(l.Seed("guid", 64, "n1/pf0", {8, 8}));
  EXPECT_FALSE(l.Seed("guid", 64, "n2/pf0", {12, 8}));            // overlaps n1's run
  EXPECT_FALSE(l.Seed("guid", 64, "n3/pf0", {60, 8}));            // outside the pool
  EXPECT_EQ(l.Claim("guid", 64, "n1/pf0", 8), (BlockRun{8, 8}));  // the seeded run is kept
  EXPECT_EQ(l.Claim("guid", 64, "n2/pf0", 8), (BlockRun{0, 8}));
  EXPECT_EQ(l.Claim("guid", 64, "n3/pf0", 8), (BlockRun{16, 8}));
}

TEST(BlockLedger, ARunThatNoLongerFitsIsReplaced) {
  BlockLedger l;
  ASSERT_TRUE(l.Seed("guid", 64, "n1/pf0", {8, 8}));
  // numVfs grew to 16: a new run of 16.
  EXPECT_EQ(l.Claim("guid", 64, "n1/pf0", 16), (BlockRun{0, 16}));
  // The pool shrank below the run.
  EXPECT_EQ(l.Claim("guid", 12, "n1/pf0", 8), (BlockRun{0, 8}));
}

TEST(BlockLedger, ReleaseOwnedByDropsWhatANodeNoLongerUses) {
  BlockLedger l;
  ASSERT_TRUE(l.Claim("ip:a/x", 10, "node-1", 1));
  ASSERT_TRUE(l.Claim("ip:a/y", 10, "node-1", 1));
  ASSERT_TRUE(l.Claim("ip:a/y", 10, "node-10", 1));
  ASSERT_TRUE(l.Claim("guid:1", 10, "node-1/0000:41:00.0", 2));
  auto changed = l.ReleaseOwnedBy("node-1", {{"ip:a/x", "node-1"}});
  EXPECT_THAT(changed, ElementsAre("guid:1", "ip:a/y"));
  EXPECT_TRUE(l.Find("ip:a/x", "node-1"));
  EXPECT_FALSE(l.Find("ip:a/y", "node-1"));
  EXPECT_FALSE(l.Find("guid:1", "node-1/0000:41:00.0"));
  EXPECT_TRUE(l.Find("ip:a/y", "node-10"));  // another node with a longer name
  // A deleted node keeps nothing.
  l.ReleaseOwnedBy("node-1", {});
  EXPECT_FALSE(l.Find("ip:a/x", "node-1"));
}

TEST(BlockLedger, ClaimAllIsTheNodesWholeSetOfBlocks) {
  BlockLedger l;
  ASSERT_TRUE(l.Claim("ip:a/x", 10, "node-1", 1));
  ASSERT_TRUE(l.Claim("ip:a/old", 10, "node-1", 1));
  ASSERT_TRUE(l.Seed("guid:1", 4, "node-1/0000:41:00.0", {0, 2}));
  ASSERT_TRUE(l.Seed("guid:1", 4, "node-2/0000:41:00.0", {2, 2}));
  Claims c = l.ClaimAll("node-1", {{"ip:a/x", 10, "node-1", 1, {}},
                                   {"ip:a/y", 10, "node-1", 1, {}},
                                   // wants 4 of a full pool: keeps its 2 through the fallback
                                   {"guid:1", 4, "node-1/0000:41:00.0", 4, BlockRun{0, 2}}});
  ASSERT_EQ(c.claims.size(), 3u);
  EXPECT_EQ(c.claims[0], (BlockClaim{BlockRun{0, 1}, false}));  // held: unchanged
  EXPECT_EQ(c.claims[1], (BlockClaim{BlockRun{0, 1}, true}));   // new
  EXPECT_EQ(c.claims[2], (BlockClaim{std::nullopt, true}));     // exhausted
  EXPECT_EQ(l.Find("guid:1", "node-1/0000:41:00.0"), (BlockRun{0, 2}));
  EXPECT_THAT(l.Usage("guid:1").waiting, ElementsAre("node-1/0000:41:00.0"));
  EXPECT_THAT(c.released, ElementsAre("ip:a/old"));  // not asked for any more
  EXPECT_FALSE(l.Find("ip:a/old", "node-1"));
}

}  // namespace
}  // namespace rdma_operator
