// Netlink message encoding and decoding, without libnl.
//
// NetlinkRequest builds one request (header, family header, attributes,
// nested attributes); ParseNetlinkMessages and ParseAttributes split a
// received buffer back into messages and attributes, checking every length so
// that a short or corrupt buffer is an Error, never an out-of-bounds read.
// Pure code: the socket lives in netlink_socket.h.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/host/result.h"

namespace host {

class NetlinkRequest {
 public:
  NetlinkRequest(uint16_t type, uint16_t flags);

  // Appends a fixed family header (e.g. struct ifinfomsg) right after the
  // netlink header; call before any attribute.
  template <typename T>
  void AddHeader(const T& header) {
    Append(&header, sizeof(header));
  }
  void AddAttr(uint16_t type, const void* data, size_t len);
  void AddU8(uint16_t type, uint8_t v) { AddAttr(type, &v, sizeof(v)); }
  void AddU32(uint16_t type, uint32_t v) { AddAttr(type, &v, sizeof(v)); }
  void AddU64(uint16_t type, uint64_t v) { AddAttr(type, &v, sizeof(v)); }
  void AddString(uint16_t type, const std::string& s) { AddAttr(type, s.c_str(), s.size() + 1); }
  template <typename T>
  void AddStruct(uint16_t type, const T& v) {
    AddAttr(type, &v, sizeof(v));
  }
  // Nested attributes: everything added between Begin and End goes inside.
  size_t BeginNested(uint16_t type);
  void EndNested(size_t token);

  // The finished message with length and sequence number filled in.
  std::vector<uint8_t> Finish(uint32_t seq);
  uint16_t type() const;

 private:
  void Append(const void* data, size_t len);
  void Pad();
  std::vector<uint8_t> buf_;
};

struct NetlinkMessage {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t seq = 0;
  uint32_t pid = 0;
  std::span<const uint8_t> payload;  // after the netlink header; points into the parsed buffer
};

struct NetlinkAttr {
  uint16_t type = 0;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  std::span<const uint8_t> data;

  std::optional<uint8_t> U8() const;
  std::optional<uint16_t> U16() const;
  std::optional<uint32_t> U32() const;
  std::optional<uint64_t> U64() const;
  std::string String() const;  // up to the first NUL
  template <typename T>
  std::optional<T> As() const {
    if (data.size() < sizeof(T)) return std::nullopt;
    T v;
    std::memcpy(&v, data.data(), sizeof(T));
    return v;
  }
};

// Splits a datagram into messages; an Error on any inconsistent length.
Result<std::vector<NetlinkMessage>> ParseNetlinkMessages(std::span<const uint8_t> buf);

// Splits an attribute area; an Error on any inconsistent length.
Result<std::vector<NetlinkAttr>> ParseAttributes(std::span<const uint8_t> area);

// The first attribute of `type`, or nullptr.
const NetlinkAttr* FindAttr(const std::vector<NetlinkAttr>& attrs, uint16_t type);

// For an NLMSG_ERROR payload: the errno (0 for an ACK) and the kernel's
// extended-ack message when present.
struct NetlinkAck {
  int error = 0;  // positive errno, 0 on success
  std::string message;
};
Result<NetlinkAck> ParseNetlinkAck(const NetlinkMessage& msg);

}  // namespace host
