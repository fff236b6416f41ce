// What two rdma-bench peers tell each other on an RDMA connection: the
// description of each side's receive ring (carried in the rdma_cm connect and
// accept private data) and the 32-bit immediate value on every message,
// which says what the message is, how long it is, and how many receive slots
// the sender has freed since it last said so (credit-based flow control, so
// a sender never overwrites a slot the receiver has not consumed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace bench {

struct RingInfo {
  uint64_t addr = 0;       // start of the receive ring (RDMA WRITE target)
  uint32_t rkey = 0;
  uint32_t slot_size = 0;  // bytes per slot
  uint32_t depth = 0;      // slots, i.e. data messages in flight
};

constexpr size_t kRingInfoBytes = 24;
std::vector<uint8_t> EncodeRingInfo(const RingInfo& ring);
// nullopt when the data is too short or does not start with our magic (the
// peer is not rdma-bench, or a different version).
std::optional<RingInfo> DecodeRingInfo(const uint8_t* data, size_t size);

enum class MessageKind : uint32_t { kData = 0, kCredit = 1, kEnd = 2 };

constexpr uint32_t kMaxSlotSize = 1u << 20;  // length-1 must fit in 20 bits
constexpr uint32_t kMaxCredits = (1u << 10) - 1;

struct Immediate {
  MessageKind kind = MessageKind::kData;
  uint32_t credits = 0;  // slots freed by the sender of this message
  uint32_t length = 0;   // payload bytes (data only), 1..kMaxSlotSize
};

// Host byte order; the transport converts with htonl/ntohl. Requires
// credits <= kMaxCredits and length <= kMaxSlotSize.
uint32_t EncodeImmediate(const Immediate& imm);
Immediate DecodeImmediate(uint32_t value);

}  // namespace bench
