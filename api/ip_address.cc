#include "api/ip_address.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

namespace api {

namespace {

constexpr uint64_t kSizeCap = uint64_t{1} << 62;

IpAddress::Value AllOnes(int bits) {
  return bits == 128 ? ~IpAddress::Value{0} : ((IpAddress::Value{1} << bits) - 1);
}

}  // namespace

std::optional<IpAddress> IpAddress::Parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  if (s.find(':') == std::string::npos) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return IpAddress(Family::kV4, ntohl(a.s_addr));
  }
  // IPv4-mapped addresses (::ffff:0:0/96, written "::ffff:10.0.0.1" or
  // "::ffff:a00:1") and dotted tails are rejected, as Kubernetes' CEL isIP()
  // rejects them: an address has one family.
  if (s.find('.') != std::string::npos) return std::nullopt;
  std::array<unsigned char, 16> b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) != 1) return std::nullopt;
  Value v = 0;
  for (unsigned char c : b) v = (v << 8) | c;
  if ((v >> 32) == 0xffff) return std::nullopt;
  return IpAddress(Family::kV6, v);
}

std::string IpAddress::ToString() const {
  if (family_ == Family::kV4) {
    char buf[INET_ADDRSTRLEN] = {};
    in_addr a{};
    a.s_addr = htonl(static_cast<uint32_t>(value_));
    inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
  }
  // RFC 5952 by hand, as Go prints addresses: lower-case hex, the longest
  // run of two or more zero groups (the first of equals) as "::", and never
  // glibc's dotted tail for ::/96 ("::0.68.0.5"), which Parse refuses.
  std::array<uint16_t, 8> groups{};
  for (int i = 0; i < 8; ++i) groups[i] = static_cast<uint16_t>(value_ >> (16 * (7 - i)));
  int best = -1, best_len = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string out;
  char hex[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    auto [end, ec] = std::to_chars(hex, hex + sizeof hex, groups[i], 16);
    out.append(hex, end);
  }
  return out;
}

std::optional<IpAddress> IpAddress::Plus(uint64_t n) const {
  Value max = AllOnes(bits());
  if (Value{n} > max - value_) return std::nullopt;
  return IpAddress(family_, value_ + n);
}

std::optional<Cidr> Cidr::Parse(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  std::string_view len = text.substr(slash + 1);
  int prefix = -1;
  auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (len.empty() || len.size() > 3 || ec != std::errc() || end != len.data() + len.size() ||
      prefix < 0 || prefix > ip->bits()) {
    return std::nullopt;
  }
  return Cidr{*ip, prefix};
}

IpAddress Cidr::First() const {
  int host_bits = address.bits() - prefix_length;
  IpAddress::Value mask = host_bits == 0 ? 0 : AllOnes(host_bits);
  return IpAddress::FromValue(address.family(), address.value() & ~mask);
}

IpAddress Cidr::Last() const {
  int host_bits = address.bits() - prefix_length;
  IpAddress::Value mask = host_bits == 0 ? 0 : AllOnes(host_bits);
  return IpAddress::FromValue(address.family(), (address.value() & ~mask) | mask);
}

bool Cidr::Contains(const IpAddress& ip) const {
  return ip.family() == address.family() && First() <= ip && ip <= Last();
}

std::string Cidr::ToString() const {
  return First().ToString() + "/" + std::to_string(prefix_length);
}

uint64_t IpRange::Size() const {
  if (end < start || end.family() != start.family()) return 0;
  IpAddress::Value n = end.value() - start.value();
  if (n >= kSizeCap) return kSizeCap;
  return static_cast<uint64_t>(n) + 1;
}

}  // namespace api
