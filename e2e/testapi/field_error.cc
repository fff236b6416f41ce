#include "e2e/testapi/field_error.h"

#include <charconv>
#include <cmath>
#include <set>

namespace testapi {
namespace {

// Decodes one UTF-8 sequence at text[i]; returns its length, or 0 when the
// bytes there are not valid UTF-8 (Go then escapes the byte as \x..).
size_t DecodeUtf8(std::string_view text, size_t i, uint32_t* code_point) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char b0 = byte(i);
  size_t len = 0;
  uint32_t cp = 0;
  if (b0 < 0x80) {
    *code_point = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    len = 2;
    cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3;
    cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  // Reject overlong forms, surrogates and out-of-range values like Go does.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  *code_point = cp;
  return len;
}

void AppendHex(std::string* out, uint32_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) out->push_back(kHex[(value >> shift) & 0xF]);
}

std::string GoSharpV(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "interface {}(nil)";
    case nlohmann::json::value_t::string:
      return GoQuote(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return value.dump();
    case nlohmann::json::value_t::number_float:
      return GoFloat(value.get<double>());
    case nlohmann::json::value_t::array: {
      std::string out = "[]interface {}{";
      bool first = true;
      for (const auto& item : value) {
        if (!first) out += ", ";
        first = false;
        out += GoSharpV(item);
      }
      return out + "}";
    }
    case nlohmann::json::value_t::object: {
      std::string out = "map[string]interface {}{";
      bool first = true;
      for (const auto& [key, item] : value.items()) {  // nlohmann keeps keys sorted, as %#v does
        if (!first) out += ", ";
        first = false;
        out += GoQuote(key) + ":" + GoSharpV(item);
      }
      return out + "}";
    }
    default:
      return "interface {}(nil)";
  }
}

FieldError Make(std::string reason, std::string path, std::string message) {
  return FieldError{std::move(reason), std::move(path), std::move(message)};
}

std::string WithDetail(std::string body, std::string_view detail) {
  if (!detail.empty()) {
    body += ": ";
    body += detail;
  }
  return body;
}

}  // namespace

std::string FieldError::ToString() const { return field + ": " + message; }

nlohmann::json FieldError::ToCause() const { return {{"reason", reason}, {"message", message}, {"field", field}}; }

std::string InvalidMessage(std::string_view kind_dot_group, std::string_view name,
                           const std::vector<FieldError>& errors) {
  std::string out = std::string(kind_dot_group) + " " + GoQuote(name) + " is invalid";
  if (errors.empty()) return out;
  // utilerrors.Aggregate: duplicates (by full text) are listed once.
  std::set<std::string> seen;
  std::vector<std::string> parts;
  for (const auto& e : errors) {
    std::string text = e.ToString();
    if (seen.insert(text).second) parts.push_back(std::move(text));
  }
  out += ": ";
  if (parts.size() == 1) return out + parts[0];
  out += "[";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += parts[i];
  }
  return out + "]";
}

namespace field {

FieldError Required(std::string path, std::string_view detail) {
  return Make("FieldValueRequired", std::move(path), WithDetail("Required value", detail));
}

FieldError Invalid(std::string path, const nlohmann::json& value, std::string_view detail) {
  return Make("FieldValueInvalid", std::move(path), WithDetail("Invalid value: " + GoValue(value), detail));
}

FieldError InvalidPreformatted(std::string path, std::string_view go_value, std::string_view detail) {
  return Make("FieldValueInvalid", std::move(path), WithDetail("Invalid value: " + std::string(go_value), detail));
}

FieldError TypeInvalid(std::string path, const nlohmann::json& value, std::string_view detail) {
  return Make("FieldValueTypeInvalid", std::move(path), WithDetail("Invalid value: " + GoValue(value), detail));
}

FieldError NotSupported(std::string path, const nlohmann::json& value, const std::vector<std::string>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i > 0) detail += ", ";
      detail += GoQuote(supported[i]);
    }
  }
  return Make("FieldValueNotSupported", std::move(path), WithDetail("Unsupported value: " + GoValue(value), detail));
}

FieldError Forbidden(std::string path, std::string_view detail) {
  return Make("FieldValueForbidden", std::move(path), WithDetail("Forbidden", detail));
}

FieldError Duplicate(std::string path, const nlohmann::json& value) {
  return Make("FieldValueDuplicate", std::move(path), "Duplicate value: " + GoValue(value));
}

FieldError TooLong(std::string path, int64_t max_length) {
  std::string detail =
      max_length >= 0 ? "may not be more than " + std::to_string(max_length) + (max_length == 1 ? " byte" : " bytes")
                      : "value is too long";
  return Make("FieldValueTooLong", std::move(path), WithDetail("Too long", detail));
}

FieldError TooMany(std::string path, int64_t actual, int64_t max) {
  std::string detail =
      max >= 0 ? "must have at most " + std::to_string(max) + (max == 1 ? " item" : " items") : "too many items";
  std::string body = actual >= 0 ? "Too many: " + std::to_string(actual) : "Too many";
  return Make("FieldValueTooMany", std::move(path), WithDetail(std::move(body), detail));
}

}  // namespace field

std::string GoQuote(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t len = DecodeUtf8(text, i, &cp);
    if (len == 0) {
      out += "\\x";
      AppendHex(&out, static_cast<unsigned char>(text[i]), 2);
      ++i;
      continue;
    }
    switch (cp) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (cp < 0x20 || cp == 0x7F) {
          out += "\\x";
          AppendHex(&out, cp, 2);
        } else if ((cp >= 0x80 && cp < 0xA0) || cp == 0xAD || cp == 0xFEFF || (cp >= 0x2028 && cp <= 0x2029)) {
          // Not printable per Go's unicode.IsPrint.
          if (cp > 0xFFFF) {
            out += "\\U";
            AppendHex(&out, cp, 8);
          } else {
            out += "\\u";
            AppendHex(&out, cp, 4);
          }
        } else {
          out.append(text.substr(i, len));
        }
    }
    i += len;
  }
  return out + "\"";
}

std::string GoFloat(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Shortest round-trip digits, then laid out as strconv.FormatFloat(v, 'g', -1, 64).
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  std::string sci(buf, result.ptr);
  bool negative = sci[0] == '-';
  if (negative) sci.erase(0, 1);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exponent = std::stoi(sci.substr(e + 1));
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits.push_back(c);
  }
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += exponent < 0 ? "e-" : "e+";
    int abs_exp = std::abs(exponent);
    if (abs_exp < 10) out += "0";
    out += std::to_string(abs_exp);
    return out;
  }
  int point = exponent + 1;  // digits before the decimal point
  if (point <= 0) {
    out += "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(point)) + "." + digits.substr(static_cast<size_t>(point));
  }
  return out;
}

std::string GoValue(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return GoQuote("null");
    case nlohmann::json::value_t::string:
      return GoQuote(value.get_ref<const std::string&>());
    default:
      return GoSharpV(value);
  }
}

std::string GoStringSlice(const std::vector<std::string>& values, bool nil_slice) {
  if (nil_slice && values.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += GoQuote(values[i]);
  }
  return out + "}";
}

}  // namespace testapi
