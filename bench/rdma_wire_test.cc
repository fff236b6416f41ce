#include "bench/rdma_wire.h"

#include <gtest/gtest.h>

namespace bench {
namespace {

TEST(RingInfoTest, RoundTripsThroughPrivateData) {
  RingInfo ring{0x00007f1234567000ull, 0xabcdef01u, 65536, 16};
  std::vector<uint8_t> bytes = EncodeRingInfo(ring);
  ASSERT_EQ(bytes.size(), kRingInfoBytes);
  // rdma_cm may hand back more private data than was sent (padding).
  bytes.resize(56, 0);
  std::optional<RingInfo> back = DecodeRingInfo(bytes.data(), bytes.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->addr, ring.addr);
  EXPECT_EQ(back->rkey, ring.rkey);
  EXPECT_EQ(back->slot_size, ring.slot_size);
  EXPECT_EQ(back->depth, ring.depth);
}

TEST(RingInfoTest, RejectsForeignOrTruncatedData) {
  std::vector<uint8_t> bytes = EncodeRingInfo(RingInfo{1, 2, 64, 16});
  EXPECT_FALSE(DecodeRingInfo(bytes.data(), bytes.size() - 1).has_value());
  EXPECT_FALSE(DecodeRingInfo(nullptr, 0).has_value());
  bytes[0] ^= 0xff;
  EXPECT_FALSE(DecodeRingInfo(bytes.data(), bytes.size()).has_value());
  std::vector<uint8_t> zero_depth = EncodeRingInfo(RingInfo{1, 2, 64, 0});
  EXPECT_FALSE(DecodeRingInfo(zero_depth.data(), zero_depth.size()).has_value());
}

TEST(ImmediateTest, RoundTripsKindCreditsAndLengthAtTheLimits) {
  for (Immediate imm : {Immediate{MessageKind::kData, 0, 1}, Immediate{MessageKind::kData, kMaxCredits, kMaxSlotSize},
                        Immediate{MessageKind::kData, 8, 4096}}) {
    Immediate back = DecodeImmediate(EncodeImmediate(imm));
    EXPECT_EQ(back.kind, imm.kind);
    EXPECT_EQ(back.credits, imm.credits);
    EXPECT_EQ(back.length, imm.length);
  }
  Immediate credit = DecodeImmediate(EncodeImmediate(Immediate{MessageKind::kCredit, 8, 0}));
  EXPECT_EQ(credit.kind, MessageKind::kCredit);
  EXPECT_EQ(credit.credits, 8u);
  EXPECT_EQ(credit.length, 0u);
  EXPECT_EQ(DecodeImmediate(EncodeImmediate(Immediate{MessageKind::kEnd, 0, 0})).kind, MessageKind::kEnd);
}

}  // namespace
}  // namespace bench
