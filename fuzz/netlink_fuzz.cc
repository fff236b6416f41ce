// Netlink replies as the agent decodes them (agent/host/netlink_message.h,
// rtnetlink_codec.h): a malformed buffer from the kernel — lengths that
// overrun, attributes cut short, nested attributes that lie — is an Error,
// never a read out of bounds.
#include <cstddef>
#include <cstdint>
#include <span>

#include "agent/host/netlink_message.h"
#include "agent/host/rtnetlink_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto messages = host::ParseNetlinkMessages(std::span<const uint8_t>(data, size));
  if (!messages.ok()) return 0;
  for (const auto& msg : *messages) {
    (void)host::ParseNetlinkAck(msg);
    (void)host::DecodeLink(msg);
    (void)host::DecodeRdmaDevice(msg);
    (void)host::DecodeRdmaNetnsMode(msg);
    (void)host::ParseAttributes(msg.payload);
  }
  return 0;
}
