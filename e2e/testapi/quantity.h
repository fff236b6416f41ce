// Resource quantities ("1", "500m", "4Gi", "1e3") as kube-apiserver reads
// and writes them (k8s.io/apimachinery/pkg/api/resource.Quantity).
//
// The real server decodes every quantity in a Pod's container resources and
// a Node's capacity and allocatable into a Quantity and encodes it again, so
// what a client reads back is the canonical form: "0.5" comes back as
// "500m", "2000" as "2k", "1024Mi" as "1Gi". Comparisons are by value
// ("1" equals "1000m"). The test API server uses this type for those fields
// so that clients see the same strings and the same validation.
//
// Precision: values are kept in nano units (10^-9), as the real type's
// smallest scale; a finer value rounds up in magnitude, as the real one
// does. Magnitudes beyond about 10^29 are out of range here and refused
// (the real type keeps them as arbitrary-precision decimals).
#pragma once

#include <compare>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace testapi {

class Quantity {
 public:
  // How the value is printed, taken from the suffix it was written with.
  enum class Format { kDecimalSI, kBinarySI, kDecimalExponent };

  // Parses "1", "-2.5", "500m", "4Gi", "1e3", "12E" (exa) with surrounding
  // white space trimmed; nullopt for anything the real parser refuses.
  static std::optional<Quantity> Parse(std::string_view text);
  // A JSON string (parsed) or number (read as its decimal text, as the real
  // decoder does); nullopt for other types and unparseable strings.
  static std::optional<Quantity> FromJson(const nlohmann::json& value);

  // The message the real decoder gives for an unparseable quantity.
  static constexpr std::string_view kSyntaxError =
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

  bool IsNegative() const { return nanos_ < 0; }
  // Whether the value, rounded up to milli units, is a whole number of
  // units ("2", "2k", "3000m"; not "500m"). This is the real validation's
  // test (MilliValue() % 1000), which also lets "1.9999" pass.
  bool IsWholeInMilli() const;
  // The canonical text the real server encodes ("500m", "1Gi", "2k", "1e3").
  std::string ToString() const;

  std::strong_ordering operator<=>(const Quantity& other) const { return nanos_ <=> other.nanos_; }
  bool operator==(const Quantity& other) const { return nanos_ == other.nanos_; }

 private:
  Quantity(__int128 nanos, Format format) : nanos_(nanos), format_(format) {}

  __int128 nanos_ = 0;
  Format format_ = Format::kDecimalSI;
};

}  // namespace testapi
