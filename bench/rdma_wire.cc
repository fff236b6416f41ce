#include "bench/rdma_wire.h"

namespace bench {
namespace {

constexpr uint32_t kMagic = 0x52424231;  // "RBB1"

void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

uint32_t Get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

}  // namespace

std::vector<uint8_t> EncodeRingInfo(const RingInfo& ring) {
  std::vector<uint8_t> out;
  out.reserve(kRingInfoBytes);
  Put32(out, kMagic);
  Put32(out, static_cast<uint32_t>(ring.addr >> 32));
  Put32(out, static_cast<uint32_t>(ring.addr));
  Put32(out, ring.rkey);
  Put32(out, ring.slot_size);
  Put32(out, ring.depth);
  return out;
}

std::optional<RingInfo> DecodeRingInfo(const uint8_t* data, size_t size) {
  if (data == nullptr || size < kRingInfoBytes || Get32(data) != kMagic) return std::nullopt;
  RingInfo ring;
  ring.addr = (uint64_t{Get32(data + 4)} << 32) | Get32(data + 8);
  ring.rkey = Get32(data + 12);
  ring.slot_size = Get32(data + 16);
  ring.depth = Get32(data + 20);
  if (ring.slot_size == 0 || ring.slot_size > kMaxSlotSize || ring.depth == 0 || ring.depth > kMaxCredits) {
    return std::nullopt;
  }
  return ring;
}

// Layout: kind in bits 31..30, credits in 29..20, length-1 in 19..0.
uint32_t EncodeImmediate(const Immediate& imm) {
  uint32_t length_field = imm.length == 0 ? 0 : imm.length - 1;
  return (static_cast<uint32_t>(imm.kind) << 30) | ((imm.credits & kMaxCredits) << 20) |
         (length_field & (kMaxSlotSize - 1));
}

Immediate DecodeImmediate(uint32_t value) {
  Immediate imm;
  imm.kind = static_cast<MessageKind>(value >> 30);
  imm.credits = (value >> 20) & kMaxCredits;
  imm.length = imm.kind == MessageKind::kData ? (value & (kMaxSlotSize - 1)) + 1 : 0;
  return imm;
}

}  // namespace bench
