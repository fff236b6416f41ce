#include "agent/host/netlink_message.h"

#include <linux/netlink.h>

#include <cerrno>

namespace host {

NetlinkRequest::NetlinkRequest(uint16_t type, uint16_t flags) {
  nlmsghdr h{};
  h.nlmsg_type = type;
  h.nlmsg_flags = flags;
  Append(&h, sizeof(h));
}

void NetlinkRequest::Append(const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + len);
  Pad();
}

void NetlinkRequest::Pad() {
  while (buf_.size() % NLA_ALIGNTO != 0) buf_.push_back(0);
}

void NetlinkRequest::AddAttr(uint16_t type, const void* data, size_t len) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  const auto* hp = reinterpret_cast<const uint8_t*>(&a);
  buf_.insert(buf_.end(), hp, hp + sizeof(a));
  const auto* p = static_cast<const uint8_t*>(data);
  buf_.insert(buf_.end(), p, p + len);
  Pad();
}

size_t NetlinkRequest::BeginNested(uint16_t type) {
  size_t at = buf_.size();
  AddAttr(type, nullptr, 0);
  return at;
}

void NetlinkRequest::EndNested(size_t token) {
  uint16_t len = static_cast<uint16_t>(buf_.size() - token);
  std::memcpy(buf_.data() + token, &len, sizeof(len));
}

std::vector<uint8_t> NetlinkRequest::Finish(uint32_t seq) {
  nlmsghdr h;
  std::memcpy(&h, buf_.data(), sizeof(h));
  h.nlmsg_len = static_cast<uint32_t>(buf_.size());
  h.nlmsg_seq = seq;
  std::memcpy(buf_.data(), &h, sizeof(h));
  return buf_;
}

uint16_t NetlinkRequest::type() const {
  nlmsghdr h;
  std::memcpy(&h, buf_.data(), sizeof(h));
  return h.nlmsg_type;
}

std::optional<uint8_t> NetlinkAttr::U8() const { return As<uint8_t>(); }
std::optional<uint16_t> NetlinkAttr::U16() const { return As<uint16_t>(); }
std::optional<uint32_t> NetlinkAttr::U32() const { return As<uint32_t>(); }
std::optional<uint64_t> NetlinkAttr::U64() const { return As<uint64_t>(); }

std::string NetlinkAttr::String() const {
  const char* p = reinterpret_cast<const char*>(data.data());
  size_t n = 0;
  while (n < data.size() && p[n] != '\0') ++n;
  return std::string(p, n);
}

Result<std::vector<NetlinkMessage>> ParseNetlinkMessages(std::span<const uint8_t> buf) {
  std::vector<NetlinkMessage> out;
  size_t off = 0;
  while (off < buf.size()) {
    if (buf.size() - off < sizeof(nlmsghdr)) {
      return Error{"netlink: truncated message header at offset " + std::to_string(off), EPROTO};
    }
    nlmsghdr h;
    std::memcpy(&h, buf.data() + off, sizeof(h));
    if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > buf.size() - off) {
      return Error{"netlink: message length " + std::to_string(h.nlmsg_len) + " at offset " + std::to_string(off) +
                       " does not fit the " + std::to_string(buf.size()) + "-byte buffer",
                   EPROTO};
    }
    NetlinkMessage m;
    m.type = h.nlmsg_type;
    m.flags = h.nlmsg_flags;
    m.seq = h.nlmsg_seq;
    m.pid = h.nlmsg_pid;
    m.payload = buf.subspan(off + NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
    out.push_back(m);
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return out;
}

Result<std::vector<NetlinkAttr>> ParseAttributes(std::span<const uint8_t> area) {
  std::vector<NetlinkAttr> out;
  size_t off = 0;
  while (off + NLA_HDRLEN <= area.size()) {
    nlattr a;
    std::memcpy(&a, area.data() + off, sizeof(a));
    if (a.nla_len < NLA_HDRLEN || a.nla_len > area.size() - off) {
      return Error{"netlink: attribute type " + std::to_string(a.nla_type & NLA_TYPE_MASK) + " has length " +
                       std::to_string(a.nla_len) + " but only " + std::to_string(area.size() - off) + " bytes remain",
                   EPROTO};
    }
    NetlinkAttr attr;
    attr.type = a.nla_type & NLA_TYPE_MASK;
    attr.data = area.subspan(off + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
    out.push_back(attr);
    off += NLA_ALIGN(a.nla_len);
  }
  // Fewer bytes than an attribute header left over: the kernel never sends
  // that (except as alignment padding), so the buffer is corrupt.
  for (size_t i = off; i < area.size(); ++i) {
    if (area[i] != 0) return Error{"netlink: trailing bytes after the last attribute", EPROTO};
  }
  return out;
}

const NetlinkAttr* FindAttr(const std::vector<NetlinkAttr>& attrs, uint16_t type) {
  for (const auto& a : attrs)
    if (a.type == type) return &a;
  return nullptr;
}

Result<NetlinkAck> ParseNetlinkAck(const NetlinkMessage& msg) {
  if (msg.type != NLMSG_ERROR) return Error{"netlink: expected an acknowledgement", EPROTO};
  if (msg.payload.size() < sizeof(nlmsgerr)) return Error{"netlink: truncated acknowledgement", EPROTO};
  nlmsgerr e;
  std::memcpy(&e, msg.payload.data(), sizeof(e));
  // The kernel sends 0 or a negative errno (MAX_ERRNO is 4095); anything
  // else is a broken message, and negating INT_MIN would overflow.
  if (e.error > 0 || e.error < -4095) {
    return Error{"netlink: acknowledgement carries " + std::to_string(e.error) + ", not 0 or a negative errno", EPROTO};
  }
  NetlinkAck ack;
  ack.error = -e.error;
  if (msg.flags & NLM_F_ACK_TLVS) {
    // With NLM_F_CAPPED only the request's header is echoed back.
    size_t echoed = (msg.flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : e.msg.nlmsg_len;
    size_t off = sizeof(int) + echoed;
    if (NLMSG_ALIGN(off) <= msg.payload.size()) {
      auto attrs = ParseAttributes(msg.payload.subspan(NLMSG_ALIGN(off)));
      if (attrs.ok()) {
        if (const NetlinkAttr* m = FindAttr(*attrs, NLMSGERR_ATTR_MSG)) ack.message = m->String();
      }
    }
  }
  return ack;
}

}  // namespace host
