// IP addresses, CIDRs and inclusive address ranges, IPv4 and IPv6, for
// RdmaNetwork IPAM: validating ranges against the subnet and each other,
// and the arithmetic the operator needs to cut per-node blocks.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace api {

class IpAddress {
 public:
  enum class Family { kV4, kV6 };
  using Value = unsigned __int128;  // IPv4 uses the low 32 bits

  // "192.168.1.10", "fd00::1". IPv6 zones ("%eth0") and IPv4-mapped IPv6
  // ("::ffff:10.0.0.1") are rejected, as Kubernetes' CEL isIP() does.
  static std::optional<IpAddress> Parse(std::string_view text);
  static IpAddress FromValue(Family family, Value value) { return IpAddress(family, value); }

  Family family() const { return family_; }
  Value value() const { return value_; }
  int bits() const { return family_ == Family::kV4 ? 32 : 128; }
  // Canonical text ("fd00::1", lower case, shortest form).
  std::string ToString() const;

  // This address plus n; nullopt past the family's last address.
  std::optional<IpAddress> Plus(uint64_t n) const;

  // IPv4 sorts before IPv6; within a family, numerically.
  auto operator<=>(const IpAddress&) const = default;

 private:
  IpAddress(Family family, Value value) : family_(family), value_(value) {}
  Family family_ = Family::kV4;
  Value value_ = 0;
};

struct Cidr {
  IpAddress address;  // as written; may have host bits set
  int prefix_length = 0;

  // "10.0.0.0/24", "fd00::/64". Host bits may be set ("10.0.0.5/24").
  static std::optional<Cidr> Parse(std::string_view text);

  IpAddress First() const;  // network address
  IpAddress Last() const;   // broadcast address for IPv4
  bool Contains(const IpAddress& ip) const;
  std::string ToString() const;
};

// Inclusive range start..end of one family.
struct IpRange {
  IpAddress start;
  IpAddress end;

  bool Contains(const IpAddress& ip) const { return start <= ip && ip <= end; }
  bool Overlaps(const IpRange& other) const { return start <= other.end && other.start <= end; }
  // Number of addresses, capped at 2^62 (a big IPv6 range is "a lot").
  uint64_t Size() const;
};

}  // namespace api
