#include "e2e/testapi/quantity.h"

#include <array>
#include <cctype>

namespace testapi {
namespace {

using Int = __int128;

// Beyond this many nano units the arithmetic below could overflow.
constexpr Int kMaxNanos = static_cast<Int>(1) << 120;
constexpr Int kNano = 1'000'000'000;

Int Pow(Int base, int exp) {
  Int r = 1;
  while (exp-- > 0) r *= base;
  return r;
}

struct Suffix {
  std::string_view text;
  int base;      // 10 or 2
  int exponent;  // power of base
};

constexpr std::array<Suffix, 16> kSuffixes{{
    {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
    {"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18}, {"Ki", 2, 10}, {"Mi", 2, 20},
    {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
}};

// Divides rounding away from zero, as Quantity rounds values finer than 1n.
Int DivideUp(Int value, Int divisor) {
  Int q = value / divisor;
  if (value % divisor != 0) q += value < 0 ? -1 : 1;
  return q;
}

std::string IntToString(Int v) {
  if (v == 0) return "0";
  bool negative = v < 0;
  if (negative) v = -v;
  std::string digits;
  while (v > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

std::optional<Quantity> Quantity::Parse(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) negative = text[pos++] == '-';

  // The number: digits with at most one '.', at least one digit.
  Int mantissa = 0;
  int fraction_digits = 0, digits = 0;
  bool seen_point = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.') {
      if (seen_point) return std::nullopt;
      seen_point = true;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      if (mantissa > kMaxNanos) return std::nullopt;
      mantissa = mantissa * 10 + (c - '0');
      ++digits;
      if (seen_point) ++fraction_digits;
    } else {
      break;
    }
  }
  if (digits == 0) return std::nullopt;

  // The suffix: SI, binary SI, or a decimal exponent ("e3", "E-2").
  std::string_view suffix = text.substr(pos);
  int base = 10, exponent = 0;
  Format format = Format::kDecimalSI;
  bool known = false;
  for (const Suffix& s : kSuffixes) {
    if (s.text == suffix) {
      base = s.base;
      exponent = s.exponent;
      format = base == 2 ? Format::kBinarySI : Format::kDecimalSI;
      known = true;
      break;
    }
  }
  if (!known) {
    if (suffix.size() < 2 || (suffix[0] != 'e' && suffix[0] != 'E')) return std::nullopt;
    std::string_view exp = suffix.substr(1);
    bool exp_negative = false;
    if (exp[0] == '+' || exp[0] == '-') {
      exp_negative = exp[0] == '-';
      exp.remove_prefix(1);
    }
    if (exp.empty() || exp.size() > 3) return std::nullopt;
    for (char c : exp) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      exponent = exponent * 10 + (c - '0');
    }
    if (exp_negative) exponent = -exponent;
    format = Format::kDecimalExponent;
  }

  // value = mantissa / 10^fraction_digits * base^exponent, in nano units.
  Int nanos = 0;
  if (base == 2) {
    if (mantissa > kMaxNanos / kNano / Pow(2, exponent)) return std::nullopt;  // before it could overflow
    Int scaled = mantissa * Pow(2, exponent);
    nanos = DivideUp(scaled * kNano, Pow(10, fraction_digits));
  } else {
    int shift = exponent + 9 - fraction_digits;
    if (shift >= 0) {
      if (shift > 36 || (mantissa != 0 && mantissa > kMaxNanos / Pow(10, shift))) return std::nullopt;
      nanos = mantissa * Pow(10, shift);
    } else {
      nanos = -shift > 36 ? (mantissa != 0 ? 1 : 0) : DivideUp(mantissa, Pow(10, -shift));
    }
  }
  if (negative) nanos = -nanos;
  return Quantity(nanos, format);
}

std::optional<Quantity> Quantity::FromJson(const nlohmann::json& value) {
  if (value.is_string()) return Parse(value.get_ref<const std::string&>());
  if (value.is_number()) return Parse(value.dump());
  return std::nullopt;
}

bool Quantity::IsWholeInMilli() const { return DivideUp(nanos_, 1'000'000) % 1000 == 0; }

std::string Quantity::ToString() const {
  if (nanos_ == 0) return "0";
  Int magnitude = nanos_ < 0 ? -nanos_ : nanos_;
  std::string sign = nanos_ < 0 ? "-" : "";

  // Binary SI only for whole values of at least 1024; the rest print as
  // decimal SI, as the real encoder does.
  if (format_ == Format::kBinarySI && magnitude % kNano == 0 && magnitude >= 1024 * kNano) {
    Int units = magnitude / kNano;
    int power = 0;
    while (power < 6 && units % 1024 == 0) {
      units /= 1024;
      ++power;
    }
    static constexpr std::array<std::string_view, 7> kBinary{"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    return sign + IntToString(units) + std::string(kBinary[power]);
  }

  // The largest exponent, a multiple of 3 from -9 up, that leaves a whole
  // mantissa.
  int exponent = -9;
  Int mantissa = magnitude;
  while (mantissa % 1000 == 0 && (format_ == Format::kDecimalExponent || exponent < 18)) {
    mantissa /= 1000;
    exponent += 3;
  }
  if (format_ == Format::kDecimalExponent)
    return sign + IntToString(mantissa) + (exponent == 0 ? "" : "e" + std::to_string(exponent));
  static constexpr std::array<std::string_view, 10> kDecimal{"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
  return sign + IntToString(mantissa) + std::string(kDecimal[(exponent + 9) / 3]);
}

}  // namespace testapi
