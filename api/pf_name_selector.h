// PF name selectors: the entries of RdmaNodePolicy.spec.nicSelector.pfNames,
// a netdev name with an optional VF range ("ens1f0", "ens1f0#0-7"), with
// which several policies split one PF's VFs between resources.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace api {

// VF indices first..last, both inclusive.
struct VfRange {
  int32_t first = 0;
  int32_t last = 0;

  bool Contains(int32_t vf) const { return first <= vf && vf <= last; }
  bool Overlaps(const VfRange& other) const { return first <= other.last && other.first <= last; }
  bool operator==(const VfRange&) const = default;
};

struct PfNameSelector {
  std::string pf_name;
  std::optional<VfRange> vfs;  // unset: every VF of the PF

  bool operator==(const PfNameSelector&) const = default;
};

// Parses "ens1f0" or "ens1f0#0-7". On bad input returns nullopt and sets
// *error to what is wrong ("VF range 7-3 in \"ens1f0#7-3\" ends before it
// starts"). Names follow the kernel's rules: 1 to 15 characters, no '/',
// ':', '#' or whitespace.
std::optional<PfNameSelector> ParsePfNameSelector(std::string_view text, std::string* error);

// "ens1f0" or "ens1f0#0-7".
std::string ToString(const PfNameSelector& selector);

}  // namespace api
