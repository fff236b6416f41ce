#include "e2e/testapi/schema.h"

#include <arpa/inet.h>  // inet_pton: the ipv4/ipv6/cidr formats (pure parsing, no I/O)

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <regex>
#include <set>

#include "e2e/testapi/object_meta.h"

namespace testapi {

using nlohmann::json;

// The compiled form of one schema node. Only what validation, pruning and
// defaulting read is kept; the rest of the keywords (description, example...)
// stay in Raw().
struct StructuralSchema::Node {
  std::string type;  // "" when unset
  bool int_or_string = false;
  bool nullable = false;
  std::string format;  // only formats kube-apiserver validates; others are dropped as it does
  std::optional<double> maximum, minimum, multiple_of;
  bool exclusive_maximum = false;
  bool exclusive_minimum = false;
  std::optional<int64_t> max_length, min_length, max_items, min_items, max_properties, min_properties;
  bool unique_items = false;
  std::string pattern;
  std::shared_ptr<const std::regex> pattern_regex;
  std::vector<std::string> required;
  std::optional<std::vector<json>> enum_values;
  std::map<std::string, std::shared_ptr<const Node>> properties;
  std::shared_ptr<const Node> additional_properties;  // additionalProperties: {schema}
  std::optional<bool> additional_properties_allows;   // additionalProperties: true|false
  std::shared_ptr<const Node> items;
  std::vector<std::shared_ptr<const Node>> all_of, any_of, one_of;
  std::shared_ptr<const Node> not_schema;
  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  std::string list_type;
  std::vector<std::string> list_map_keys;
  std::optional<json> default_value;

  // The type list the type check uses: "integer,string" for int-or-string.
  std::vector<std::string> Types() const {
    if (int_or_string) return {"integer", "string"};
    if (!type.empty()) return {type};
    return {};
  }
};

namespace {

using Node = StructuralSchema::Node;

bool IsRootMetaField(const std::string& key) { return key == "apiVersion" || key == "kind" || key == "metadata"; }

std::string ChildPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string IndexPath(const std::string& parent, size_t i) { return parent + "[" + std::to_string(i) + "]"; }

// A JSON value's type as OpenAPI names it (kube-openapi schemaInfoForType).
std::string SchemaType(const json& v) {
  switch (v.type()) {
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
      return "integer";
    case json::value_t::number_unsigned:
      // Beyond int64 the apiserver's decoder produces a float64.
      return v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? "number" : "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "null";
  }
}

bool IsInteger(const json& v) { return SchemaType(v) == "integer"; }
bool IsNumber(const json& v) { return v.is_number(); }
double AsDouble(const json& v) { return v.get<double>(); }
int64_t AsInt64(const json& v) {
  return v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>()) : v.get<int64_t>();
}

// swag.IsFloat64AJSONInteger.
bool IsFloatAJsonInteger(double f) {
  if (std::isnan(f) || std::isinf(f) || f < -9007199254740991.0 || f > 9007199254740991.0) return false;
  return f == std::trunc(f);
}

// A number as a field.Error bad value prints it: int64 or float64 %v.
json NumberValue(const json& v) {
  if (IsInteger(v)) return AsInt64(v);
  return AsDouble(v);
}

// encoding/json's rendering of a non-string enum entry (enum values are
// decoded as float64 by the apiserver, so 1 and 1.0 both print "1").
std::string GoJsonMarshal(const json& v) {
  if (!v.is_number()) return v.dump();
  double f = v.get<double>();
  if (IsInteger(v)) return v.dump();
  char buf[64];
  double abs = std::fabs(f);
  auto fmt = (abs != 0 && (abs < 1e-6 || abs >= 1e21)) ? std::chars_format::scientific : std::chars_format::fixed;
  auto result = std::to_chars(buf, buf + sizeof(buf), f, fmt);
  std::string out(buf, result.ptr);
  // Go writes e-07 as e-7.
  size_t n = out.size();
  if (n >= 4 && out[n - 4] == 'e' && out[n - 3] == '-' && out[n - 2] == '0') out.erase(n - 2, 1);
  return out;
}

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// JSON equality as the apiserver compares decoded values (1 == 1.0).
bool JsonEqual(const json& a, const json& b) { return a == b; }

// ---------------------------------------------------------------------------
// String formats kube-apiserver validates (StripUnsupportedFormatsPostProcessor
// keeps these; every other format is ignored).

const std::set<std::string>& SupportedFormats() {
  static const std::set<std::string> kFormats = {
      "bsonobjectid", "uri",   "email",    "hostname", "ipv4",     "ipv6",     "cidr",       "mac", "uuid",
      "uuid3",        "uuid4", "uuid5",    "isbn",     "isbn10",   "isbn13",   "creditcard", "ssn", "hexcolor",
      "rgbcolor",     "byte",  "password", "date",     "duration", "datetime", "date-time"};
  return kFormats;
}

// Fixed format patterns, compiled once (function-local statics are thread-safe).
bool Matches(const std::string& value, const std::regex& re) { return std::regex_match(value, re); }
std::regex FormatRegex(const char* pattern) { return std::regex(pattern, std::regex::ECMAScript | std::regex::icase); }

bool IsFullDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  int year = std::stoi(s.substr(0, 4));
  int month = std::stoi(s.substr(5, 2));
  int day = std::stoi(s.substr(8, 2));
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max_day = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max_day;
}

// strfmt.IsDateTime: <full-date>T<hh:mm:ss[.frac]>(Z|+hh:mm), case-insensitive.
bool IsDateTime(const std::string& value) {
  if (value.size() < 4) return false;
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t t = lower.find('t');
  if (t == std::string::npos || !IsFullDate(lower.substr(0, t))) return false;
  std::string rest = lower.substr(t + 1);
  size_t t2 = rest.find('t');
  if (t2 != std::string::npos) rest = rest.substr(0, t2);  // strings.Split keeps only s[1]
  std::smatch m;
  static const std::regex kTime("^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$");
  if (!std::regex_match(rest, m, kTime)) return false;
  return m[1].str() <= "23" && m[2].str() <= "59" && m[3].str() <= "59";
}

bool IsBase64(const std::string& s) {
  std::string clean;
  for (char c : s) {
    if (c != '\r' && c != '\n') clean.push_back(c);
  }
  if (clean.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < clean.size(); ++i) {
    char c = clean[i];
    if (c == '=') {
      ++pad;
      if (i < clean.size() - 2) return false;
      continue;
    }
    if (pad > 0) return false;
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) return false;
  }
  return pad <= 2;
}

bool IsIPv4(const std::string& s) {
  in_addr addr{};
  return inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

bool IsIPv6(const std::string& s) {
  in6_addr addr{};
  return s.find(':') != std::string::npos && inet_pton(AF_INET6, s.c_str(), &addr) == 1;
}

bool IsCidr(const std::string& s) {
  size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  std::string ip = s.substr(0, slash);
  std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || !std::all_of(bits.begin(), bits.end(), ::isdigit)) return false;
  if (bits.size() > 1 && bits[0] == '0') return false;
  int n = std::stoi(bits);
  if (IsIPv4(ip)) return n <= 32;
  if (IsIPv6(ip)) return n <= 128;
  return false;
}

// net.ParseMAC: 6, 8 or 20 octets as xx:xx.., xx-xx.. or xxxx.xxxx...
bool IsMac(const std::string& s) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (s.size() < 14) return false;
  if (s[2] == ':' || s[2] == '-') {
    if ((s.size() + 1) % 3 != 0) return false;
    size_t n = (s.size() + 1) / 3;
    if (n != 6 && n != 8 && n != 20) return false;
    for (size_t i = 0; i < n; ++i) {
      size_t x = i * 3;
      if (!hex(s[x]) || !hex(s[x + 1])) return false;
      if (i + 1 < n && s[x + 2] != s[2]) return false;
    }
    return true;
  }
  if (s[4] == '.') {
    if ((s.size() + 1) % 5 != 0) return false;
    size_t n = 2 * (s.size() + 1) / 5;
    if (n != 6 && n != 8 && n != 20) return false;
    for (size_t x = 0; x < s.size(); x += 5) {
      for (size_t k = 0; k < 4; ++k) {
        if (!hex(s[x + k])) return false;
      }
      if (x + 4 < s.size() && s[x + 4] != '.') return false;
    }
    return true;
  }
  return false;
}

bool IsHostname(const std::string& s) {
  if (s.empty() || s.size() > 255) return false;
  std::vector<std::string> labels;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    labels.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  for (const auto& label : labels) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (unsigned char c : label) {
      if (!(std::isalnum(c) || c == '-' || c >= 0x80)) return false;
    }
  }
  if (labels.size() > 1) {
    const auto& tld = labels.back();
    if (tld.size() < 2) return false;
    for (unsigned char c : tld) {
      if (!(std::isalpha(c) || c >= 0x80)) return false;
    }
  }
  return true;
}

// url.ParseRequestURI: an absolute URI or an absolute path.
bool IsRequestUri(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') return false;
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
        return false;
      }
    }
  }
  if (!s.empty() && s[0] == '/') return true;
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 1; i < colon; ++i) {
    char c = s[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.')) return false;
  }
  return true;
}

// strfmt.ParseDuration: Go durations ("1h30m", "-1.5s") or "<n> <unit>" with
// spelled-out units ("3 days", "1 week").
bool IsDuration(const std::string& s) {
  static const std::regex kGo("^[-+]?(([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$");
  if (s == "0" || std::regex_match(s, kGo)) return true;
  static const std::regex kLong(
      "^[0-9]+\\s*(ns|us|µs|ms|s|m|h|d|w|nanoseconds?|microseconds?|milliseconds?|seconds?|sec|minutes?|min|"
      "hours?|hr|days?|weeks?|wk)$");
  return std::regex_match(s, kLong);
}

bool IsLuhn(const std::string& s) {
  std::string digits;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != ' ' && c != '-') {
      return false;
    }
  }
  if (digits.size() < 13 || digits.size() > 19) return false;
  int sum = 0;
  bool twice = false;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    int d = *it - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool IsIsbn10(const std::string& s) {
  std::string d;
  for (char c : s) {
    if (c != ' ' && c != '-') d.push_back(c);
  }
  if (d.size() != 10) return false;
  int sum = 0;
  for (size_t i = 0; i < 10; ++i) {
    int v;
    if (i == 9 && (d[i] == 'X' || d[i] == 'x')) {
      v = 10;
    } else if (std::isdigit(static_cast<unsigned char>(d[i]))) {
      v = d[i] - '0';
    } else {
      return false;
    }
    sum += static_cast<int>(10 - i) * v;
  }
  return sum % 11 == 0;
}

bool IsIsbn13(const std::string& s) {
  std::string d;
  for (char c : s) {
    if (c != ' ' && c != '-') d.push_back(c);
  }
  if (d.size() != 13 || !std::all_of(d.begin(), d.end(), ::isdigit)) return false;
  int sum = 0;
  for (size_t i = 0; i < 13; ++i) sum += (d[i] - '0') * (i % 2 == 0 ? 1 : 3);
  return sum % 10 == 0;
}

// Whether value is valid for a supported format (callers check support).
bool FormatValid(const std::string& format, const std::string& value) {
  std::string f;
  for (char c : format) {
    if (c != '-') f.push_back(c);
  }
  if (f == "datetime") return IsDateTime(value);
  if (f == "date") return IsFullDate(value);
  if (f == "byte") return IsBase64(value);
  if (f == "password") return true;
  if (f == "ipv4") return IsIPv4(value);
  if (f == "ipv6") return IsIPv6(value);
  if (f == "cidr") return IsCidr(value);
  if (f == "mac") return IsMac(value);
  if (f == "hostname") return IsHostname(value);
  if (f == "uri") return IsRequestUri(value);
  if (f == "email") {
    static const std::regex kEmail = FormatRegex("^[^@\\s]+@[^@\\s]+$");
    return Matches(value, kEmail);
  }
  if (f == "duration") return IsDuration(value);
  if (f == "bsonobjectid") {
    static const std::regex kBson = FormatRegex("^[0-9a-f]{24}$");
    return Matches(value, kBson);
  }
  if (f == "uuid") {
    static const std::regex kUuid = FormatRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
    return Matches(value, kUuid);
  }
  if (f == "uuid3") {
    static const std::regex kUuid3 = FormatRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$");
    return Matches(value, kUuid3);
  }
  if (f == "uuid4") {
    static const std::regex kUuid4 =
        FormatRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$");
    return Matches(value, kUuid4);
  }
  if (f == "uuid5") {
    static const std::regex kUuid5 =
        FormatRegex("^[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$");
    return Matches(value, kUuid5);
  }
  if (f == "isbn") return IsIsbn10(value) || IsIsbn13(value);
  if (f == "isbn10") return IsIsbn10(value);
  if (f == "isbn13") return IsIsbn13(value);
  if (f == "creditcard") return IsLuhn(value);
  if (f == "ssn") {
    static const std::regex kSsn = FormatRegex("^\\d{3}[- ]?\\d{2}[- ]?\\d{4}$");
    return Matches(value, kSsn);
  }
  if (f == "hexcolor") {
    static const std::regex kHex = FormatRegex("^#?([0-9a-f]{3}|[0-9a-f]{6})$");
    return Matches(value, kHex);
  }
  if (f == "rgbcolor") {
    static const std::regex kRgb = FormatRegex(
        "^rgb\\(\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*,\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|"
        "25[0-5])\\s*,\\s*(0|[1-9]\\d?|1\\d\\d?|2[0-4]\\d|25[0-5])\\s*\\)$");
    return Matches(value, kRgb);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Validation, following kube-openapi's SchemaValidator: per node the type,
// allOf/anyOf/oneOf/not, string, format, number, array, enum and object
// checks, in that order. Errors are converted the way apiextensions-apiserver
// converts them (kubeOpenAPIResultToFieldErrors).

class Validator {
 public:
  // base: the field path the caller validates under ("" = none, as for a
  // custom resource; "…default" when checking a schema default).
  explicit Validator(std::string base) : base_(std::move(base)) {}

  void Validate(const Node& n, const json& data, const std::string& name, bool root, std::vector<FieldError>* out) {
    if (data.is_null()) {
      CheckType(n, data, name, out);
      CheckEnum(n, data, name, out);
      return;
    }
    CheckType(n, data, name, out);
    CheckSchemaProps(n, data, name, out);
    if (data.is_string()) {
      CheckString(n, data, name, out);
      CheckFormat(n, data, name, out);
    }
    if (IsNumber(data)) CheckNumber(n, data, name, out);
    if (data.is_array()) CheckArray(n, data, name, out);
    CheckEnum(n, data, name, out);
    if (data.is_object()) CheckObject(n, data, name, root, out);
  }

 private:
  // err.Name -> the cause's field.
  std::string Field(const std::string& name) const {
    if (!name.empty() && name != ".") {
      std::string trimmed = name[0] == '.' ? name.substr(1) : name;
      return base_.empty() ? trimmed : base_ + "." + trimmed;
    }
    return base_.empty() ? "<nil>" : base_;
  }
  // Errors that are not *errors.Validation (anyOf & co.) carry no name.
  std::string BaseField() const { return base_.empty() ? "<nil>" : base_; }

  static std::string In(const std::string& name) { return name + " in body"; }

  void CheckType(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    std::vector<std::string> types = n.Types();
    if (types.empty() && n.format.empty()) return;  // the type validator does not apply
    std::string joined;
    for (size_t i = 0; i < types.size(); ++i) joined += (i > 0 ? "," : "") + types[i];
    auto contains = [&](const std::string& t) { return std::find(types.begin(), types.end(), t) != types.end(); };
    auto invalid = [&](const std::string& type_name, const std::string& value) {
      out->push_back(
          field::TypeInvalid(Field(name), value, In(name) + " must be of type " + type_name + ": " + GoQuote(value)));
    };
    if (data.is_null()) {
      if (!types.empty() && !contains("null") && !n.nullable) invalid(joined, "null");
      return;
    }
    std::string sch_type = SchemaType(data);
    std::string go_format = sch_type == "integer" ? "int64" : sch_type == "number" ? "float64" : "";
    bool is_float_int = sch_type == "number" && IsFloatAJsonInteger(AsDouble(data)) && contains("integer");
    bool is_int_float = sch_type == "integer" && contains("number");
    bool string_or_slice = data.is_string() || data.is_array();
    if (!string_or_slice && !n.format.empty() &&
        !(contains(sch_type) || go_format == n.format || is_float_int || is_int_float)) {
      invalid(n.format, go_format);
      return;
    }
    // kube-openapi lets strings and arrays through when a string format is
    // set on a non-numeric type; the format check then covers strings.
    if (!(contains("number") || contains("integer")) && !n.format.empty() && string_or_slice) return;
    if (!(contains(sch_type) || is_float_int || is_int_float)) invalid(joined, sch_type);
  }

  void CheckSchemaProps(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    if (!n.any_of.empty()) {
      bool succeeded = false;
      std::optional<std::vector<FieldError>> best;
      for (const auto& sub : n.any_of) {
        std::vector<FieldError> result;
        Validate(*sub, data, name, false, &result);
        if (result.empty()) {
          succeeded = true;
          best.reset();
          break;
        }
        if (!best || result.size() < best->size()) best = std::move(result);
      }
      if (!succeeded) {
        out->push_back(field::Invalid(BaseField(), "", GoQuote(name) + " must validate at least one schema (anyOf)"));
      }
      if (best) out->insert(out->end(), best->begin(), best->end());
    }
    if (!n.one_of.empty()) {
      int validated = 0;
      std::optional<std::vector<FieldError>> best;
      for (const auto& sub : n.one_of) {
        std::vector<FieldError> result;
        Validate(*sub, data, name, false, &result);
        if (result.empty()) {
          ++validated;
          best.reset();
          continue;
        }
        if (validated == 0 && (!best || result.size() < best->size())) best = std::move(result);
      }
      if (validated != 1) {
        std::string extra =
            validated == 0 ? "Found none valid" : "Found " + std::to_string(validated) + " valid alternatives";
        out->push_back(field::Invalid(BaseField(), "",
                                      GoQuote(name) + " must validate one and only one schema (oneOf). " + extra));
        if (best) out->insert(out->end(), best->begin(), best->end());
      }
    }
    if (!n.all_of.empty()) {
      size_t validated = 0;
      for (const auto& sub : n.all_of) {
        std::vector<FieldError> result;
        Validate(*sub, data, name, false, &result);
        if (result.empty()) ++validated;
        out->insert(out->end(), result.begin(), result.end());
      }
      if (validated != n.all_of.size()) {
        out->push_back(field::Invalid(
            BaseField(), "",
            GoQuote(name) + " must validate all the schemas (allOf)" + (validated == 0 ? ". None validated" : "")));
      }
    }
    if (n.not_schema) {
      std::vector<FieldError> result;
      Validate(*n.not_schema, data, name, false, &result);
      if (result.empty()) {
        out->push_back(field::Invalid(BaseField(), "", GoQuote(name) + " must not validate the schema (not)"));
      }
    }
  }

  // Only the first failing check is reported, as kube-openapi does.
  void CheckString(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    const std::string& s = data.get_ref<const std::string&>();
    int64_t length = static_cast<int64_t>(Utf8Length(s));
    if (n.max_length && length > *n.max_length) {
      out->push_back(field::TooLong(Field(name), *n.max_length));
      return;
    }
    if (n.min_length && length < *n.min_length) {
      out->push_back(field::Invalid(Field(name), data,
                                    In(name) + " should be at least " + std::to_string(*n.min_length) + " chars long"));
      return;
    }
    if (n.pattern_regex) {
      bool matched = false;
      try {
        matched = std::regex_search(s, *n.pattern_regex);
      } catch (const std::exception&) {
        matched = false;  // std::regex gave up (complexity); treat as a mismatch rather than crash
      }
      if (!matched) out->push_back(field::Invalid(Field(name), data, In(name) + " should match '" + n.pattern + "'"));
    }
  }

  void CheckFormat(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    if (n.format.empty()) return;
    const std::string& s = data.get_ref<const std::string&>();
    if (!FormatValid(n.format, s)) {
      out->push_back(
          field::TypeInvalid(Field(name), data, In(name) + " must be of type " + n.format + ": " + GoQuote(s)));
    }
  }

  void CheckNumber(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    json value = NumberValue(data);
    bool integer = IsInteger(data);
    // For integer values kube-openapi compares against int64(bound).
    auto bound_text = [&](double bound) {
      return integer ? std::to_string(static_cast<int64_t>(bound)) : GoFloat(bound);
    };
    if (n.multiple_of && *n.multiple_of > 0) {
      bool ok;
      if (integer && *n.multiple_of >= 1 && *n.multiple_of == std::trunc(*n.multiple_of)) {
        ok = AsInt64(data) % static_cast<int64_t>(*n.multiple_of) == 0;
      } else {
        double f = AsDouble(data);
        double mult = *n.multiple_of < 1 ? 1 / *n.multiple_of * f : f / *n.multiple_of;
        ok = IsFloatAJsonInteger(mult);
      }
      if (!ok) {
        std::string factor = integer && *n.multiple_of == std::trunc(*n.multiple_of) ? bound_text(*n.multiple_of)
                                                                                     : GoFloat(*n.multiple_of);
        out->push_back(field::Invalid(Field(name), value, In(name) + " should be a multiple of " + factor));
      }
    }
    if (n.minimum) {
      bool bad = integer ? (n.exclusive_minimum ? AsInt64(data) <= static_cast<int64_t>(*n.minimum)
                                                : AsInt64(data) < static_cast<int64_t>(*n.minimum))
                         : (n.exclusive_minimum ? AsDouble(data) <= *n.minimum : AsDouble(data) < *n.minimum);
      if (bad) {
        out->push_back(field::Invalid(
            Field(name), value,
            In(name) + (n.exclusive_minimum ? " should be greater than " : " should be greater than or equal to ") +
                bound_text(*n.minimum)));
      }
    }
    if (n.maximum) {
      bool bad = integer ? (n.exclusive_maximum ? AsInt64(data) >= static_cast<int64_t>(*n.maximum)
                                                : AsInt64(data) > static_cast<int64_t>(*n.maximum))
                         : (n.exclusive_maximum ? AsDouble(data) >= *n.maximum : AsDouble(data) > *n.maximum);
      if (bad) {
        out->push_back(field::Invalid(
            Field(name), value,
            In(name) + (n.exclusive_maximum ? " should be less than " : " should be less than or equal to ") +
                bound_text(*n.maximum)));
      }
    }
  }

  void CheckArray(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    int64_t size = static_cast<int64_t>(data.size());
    if (n.min_items && size < *n.min_items) {
      out->push_back(field::Invalid(Field(name), size,
                                    In(name) + " should have at least " + std::to_string(*n.min_items) + " items"));
    }
    if (n.max_items && size > *n.max_items) out->push_back(field::TooMany(Field(name), size, *n.max_items));
    if (n.unique_items) {
      bool duplicates = false;
      for (size_t i = 0; i < data.size() && !duplicates; ++i) {
        for (size_t j = i + 1; j < data.size() && !duplicates; ++j) duplicates = JsonEqual(data[i], data[j]);
      }
      if (duplicates) out->push_back(field::Invalid(Field(name), "", In(name) + " shouldn't contain duplicates"));
    }
    if (n.items) {
      for (size_t i = 0; i < data.size(); ++i) Validate(*n.items, data[i], IndexPath(name, i), false, out);
    }
  }

  void CheckEnum(const Node& n, const json& data, const std::string& name, std::vector<FieldError>* out) {
    if (!n.enum_values || n.enum_values->empty()) return;
    for (const auto& allowed : *n.enum_values) {
      if (allowed.is_null()) continue;  // a nil enum entry has no type to convert to: never matches
      if (JsonEqual(allowed, data)) return;
    }
    std::vector<std::string> supported;
    for (const auto& allowed : *n.enum_values) {
      supported.push_back(allowed.is_string() ? allowed.get<std::string>() : GoJsonMarshal(allowed));
    }
    out->push_back(field::NotSupported(Field(name), data.is_number() ? NumberValue(data) : data, supported));
  }

  void CheckObject(const Node& n, const json& data, const std::string& name, bool root, std::vector<FieldError>* out) {
    int64_t keys = static_cast<int64_t>(data.size());
    if (n.min_properties && keys < *n.min_properties) {
      out->push_back(field::Invalid(
          Field(name), keys, In(name) + " should have at least " + std::to_string(*n.min_properties) + " properties"));
      return;
    }
    if (n.max_properties && keys > *n.max_properties) {
      out->push_back(field::TooMany(Field(name), keys, *n.max_properties));
      return;
    }
    if (n.additional_properties_allows == false && !n.additional_properties) {
      for (const auto& [key, value] : data.items()) {
        if (root && IsRootMetaField(key)) continue;
        if (!n.properties.count(key)) {
          out->push_back(field::Invalid(Field(name), key, name + "." + key + " in body is a forbidden property"));
        }
      }
    } else if (n.additional_properties) {
      for (const auto& [key, value] : data.items()) {
        if ((root && IsRootMetaField(key)) || n.properties.count(key)) continue;
        Validate(*n.additional_properties, value, name + "." + key, false, out);
      }
    }
    for (const auto& [key, prop] : n.properties) {
      auto it = data.find(key);
      if (it == data.end()) continue;
      if (root && IsRootMetaField(key)) {
        if (key == "metadata") ValidateRootMetadataNames(*prop, *it, out);
        continue;
      }
      Validate(*prop, *it, ChildPath(name, key), false, out);
    }
    for (const auto& key : n.required) {
      if (root && IsRootMetaField(key)) continue;
      if (!data.contains(key)) out->push_back(field::Required(Field(name + "." + key)));
    }
  }

  // A CRD may restrict metadata.name / metadata.generateName; nothing else
  // under the root metadata is validated by the schema.
  void ValidateRootMetadataNames(const Node& metadata, const json& data, std::vector<FieldError>* out) {
    if (!data.is_object()) return;
    for (const char* key : {"name", "generateName"}) {
      auto prop = metadata.properties.find(key);
      auto value = data.find(key);
      if (prop != metadata.properties.end() && value != data.end()) {
        Validate(*prop->second, *value, std::string("metadata.") + key, false, out);
      }
    }
  }

  std::string base_;
};

// x-kubernetes-list-type: set and map (structurallisttype.ValidateListSetsAndMaps).
void ValidateListTypes(const Node* n, const json& data, const std::string& path, bool root,
                       std::vector<FieldError>* out) {
  if (n == nullptr) return;
  if (data.is_object()) {
    for (const auto& [key, value] : data.items()) {
      if (root && IsRootMetaField(key)) continue;
      auto prop = n->properties.find(key);
      if (prop != n->properties.end()) {
        ValidateListTypes(prop->second.get(), value, ChildPath(path, key), false, out);
      } else if (n->additional_properties) {
        ValidateListTypes(n->additional_properties.get(), value, ChildPath(path, key), false, out);
      }
    }
    return;
  }
  if (!data.is_array()) return;
  if (n->list_type == "set") {
    for (size_t i = 1; i < data.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (JsonEqual(data[i], data[j])) {
          out->push_back(field::Duplicate(IndexPath(path, i), data[i]));
          break;
        }
      }
    }
  } else if (n->list_type == "map" && !n->list_map_keys.empty()) {
    for (size_t i = 0; i < data.size(); ++i) {
      if (!data[i].is_object() && !data[i].is_null()) {
        out->push_back(
            field::TypeInvalid(IndexPath(path, i), data[i], "must be an object for an array of list-type map"));
      }
    }
    auto key_of = [&](const json& item) {
      json key = json::object();
      for (const auto& k : n->list_map_keys) {
        if (item.is_object() && item.contains(k)) {
          key[k] = item[k];
        } else if (n->items) {
          auto prop = n->items->properties.find(k);
          if (prop != n->items->properties.end() && prop->second->default_value) key[k] = *prop->second->default_value;
        }
      }
      return key;
    };
    std::vector<json> seen;
    for (size_t i = 0; i < data.size(); ++i) {
      if (!data[i].is_object()) continue;
      json key = key_of(data[i]);
      bool duplicate = std::any_of(seen.begin(), seen.end(), [&](const json& k) { return JsonEqual(k, key); });
      if (duplicate) {
        out->push_back(field::Duplicate(IndexPath(path, i), key));
      } else {
        seen.push_back(key);
      }
    }
  }
  if (n->items) {
    for (size_t i = 0; i < data.size(); ++i) ValidateListTypes(n->items.get(), data[i], IndexPath(path, i), false, out);
  }
}

// x-kubernetes-embedded-resource objects need apiVersion and kind and valid
// metadata (schemaobjectmeta.Validate).
void ValidateEmbedded(const Node* n, const json& data, const std::string& path, bool root,
                      std::vector<FieldError>* out) {
  if (n == nullptr) return;
  if (data.is_object()) {
    if (n->embedded_resource && !root) {
      if (!data.contains("apiVersion"))
        out->push_back(field::Required(ChildPath(path, "apiVersion"), "must not be empty"));
      if (!data.contains("kind")) out->push_back(field::Required(ChildPath(path, "kind"), "must not be empty"));
      if (auto it = data.find("apiVersion"); it != data.end()) {
        std::string p = ChildPath(path, "apiVersion");
        if (!it->is_string()) {
          out->push_back(field::Invalid(p, *it, "must be a string"));
        } else if (it->get_ref<const std::string&>().empty()) {
          out->push_back(field::Invalid(p, "", "must not be empty"));
        } else {
          const std::string& gv = it->get_ref<const std::string&>();
          if (std::count(gv.begin(), gv.end(), '/') > 1) {
            out->push_back(field::Invalid(p, gv, "unexpected GroupVersion string: " + gv));
          }
        }
      }
      if (auto it = data.find("kind"); it != data.end()) {
        std::string p = ChildPath(path, "kind");
        if (!it->is_string()) {
          out->push_back(field::Invalid(p, *it, "must be a string"));
        } else if (it->get_ref<const std::string&>().empty()) {
          out->push_back(field::Invalid(p, "", "must not be empty"));
        }
      }
      if (auto it = data.find("metadata"); it != data.end()) {
        auto meta_errors = ValidateEmbeddedObjectMeta(*it, ChildPath(path, "metadata"));
        out->insert(out->end(), meta_errors.begin(), meta_errors.end());
      }
    }
    for (const auto& [key, value] : data.items()) {
      if (root && IsRootMetaField(key)) continue;
      auto prop = n->properties.find(key);
      if (prop != n->properties.end()) {
        ValidateEmbedded(prop->second.get(), value, ChildPath(path, key), false, out);
      } else if (n->additional_properties) {
        ValidateEmbedded(n->additional_properties.get(), value, ChildPath(path, key), false, out);
      }
    }
  } else if (data.is_array() && n->items) {
    for (size_t i = 0; i < data.size(); ++i) ValidateEmbedded(n->items.get(), data[i], IndexPath(path, i), false, out);
  }
}

// ---------------------------------------------------------------------------
// Pruning and defaulting.

const std::set<std::string>& ObjectMetaFields() {
  static const std::set<std::string> kFields = {"name",
                                                "generateName",
                                                "namespace",
                                                "selfLink",
                                                "uid",
                                                "resourceVersion",
                                                "generation",
                                                "creationTimestamp",
                                                "deletionTimestamp",
                                                "deletionGracePeriodSeconds",
                                                "labels",
                                                "annotations",
                                                "ownerReferences",
                                                "finalizers",
                                                "managedFields"};
  return kFields;
}

void PruneNode(const Node& n, json& data, const std::string& path, bool root, std::vector<std::string>* pruned) {
  if (data.is_object()) {
    std::vector<std::string> drop;
    for (auto it = data.begin(); it != data.end(); ++it) {
      const std::string& key = it.key();
      std::string child = ChildPath(path, key);
      if (root && IsRootMetaField(key)) continue;
      if (n.embedded_resource && (key == "apiVersion" || key == "kind")) continue;
      if (n.embedded_resource && key == "metadata") {
        if (it->is_object()) {
          std::vector<std::string> meta_drop;
          for (auto m = it->begin(); m != it->end(); ++m) {
            if (!ObjectMetaFields().count(m.key())) meta_drop.push_back(m.key());
          }
          for (const auto& k : meta_drop) {
            pruned->push_back(ChildPath(child, k));
            it->erase(k);
          }
        }
        continue;
      }
      auto prop = n.properties.find(key);
      if (prop != n.properties.end()) {
        PruneNode(*prop->second, *it, child, false, pruned);
      } else if (n.additional_properties) {
        PruneNode(*n.additional_properties, *it, child, false, pruned);
      } else if (n.additional_properties_allows == true || n.preserve_unknown_fields) {
        // kept as sent
      } else {
        pruned->push_back(child);
        drop.push_back(key);
      }
    }
    for (const auto& key : drop) data.erase(key);
  } else if (data.is_array() && n.items) {
    for (size_t i = 0; i < data.size(); ++i) PruneNode(*n.items, data[i], IndexPath(path, i), false, pruned);
  }
}

void DefaultNode(const Node& n, json& data, bool root) {
  if (data.is_object()) {
    // Non-nullable nulls: replaced by the default, or dropped.
    auto settle = [&](const std::string& key, const Node& prop) {
      auto it = data.find(key);
      if (it == data.end()) {
        if (prop.default_value) data[key] = *prop.default_value;
      } else if (it->is_null() && !prop.nullable) {
        if (prop.default_value) {
          *it = *prop.default_value;
        } else {
          data.erase(it);
        }
      }
    };
    for (const auto& [key, prop] : n.properties) {
      if (root && IsRootMetaField(key)) continue;
      settle(key, *prop);
    }
    if (n.additional_properties) {
      std::vector<std::string> keys;
      for (auto it = data.begin(); it != data.end(); ++it) {
        if (!n.properties.count(it.key()) && !(root && IsRootMetaField(it.key()))) keys.push_back(it.key());
      }
      for (const auto& key : keys) settle(key, *n.additional_properties);
    }
    for (auto it = data.begin(); it != data.end(); ++it) {
      if (root && IsRootMetaField(it.key())) continue;
      auto prop = n.properties.find(it.key());
      if (prop != n.properties.end()) {
        DefaultNode(*prop->second, *it, false);
      } else if (n.additional_properties) {
        DefaultNode(*n.additional_properties, *it, false);
      }
    }
  } else if (data.is_array() && n.items) {
    for (auto& item : data) {
      if (item.is_null() && !n.items->nullable && n.items->default_value) item = *n.items->default_value;
      DefaultNode(*n.items, item, false);
    }
  }
}

// ---------------------------------------------------------------------------
// Compilation: reading the schema JSON and the CRD-creation checks.

enum class Level { kRoot, kField, kItem, kNested };

class Compiler {
 public:
  Compiler(std::vector<FieldError>* errors, std::vector<StructuralSchema::ValidationRule>* rules)
      : errors_(errors), rules_(rules) {}

  std::shared_ptr<Node> Compile(const json& s, Level level, const std::string& path, const std::string& data_path) {
    auto n = std::make_shared<Node>();
    if (!s.is_object()) {
      Error(field::TypeInvalid(path, SchemaType(s), "must be of type object"));
      return n;
    }
    String(s, "type", path, &n->type);
    Bool(s, "nullable", path, &n->nullable);
    Bool(s, "x-kubernetes-int-or-string", path, &n->int_or_string);
    Bool(s, "x-kubernetes-embedded-resource", path, &n->embedded_resource);
    std::optional<bool> preserve;
    if (auto it = s.find("x-kubernetes-preserve-unknown-fields"); it != s.end() && !it->is_null()) {
      if (!it->is_boolean()) {
        WrongType(path + ".x-kubernetes-preserve-unknown-fields", *it, "boolean");
      } else {
        preserve = it->get<bool>();
        n->preserve_unknown_fields = *preserve;
      }
    }
    std::string format;
    String(s, "format", path, &format);
    if (SupportedFormats().count(format)) n->format = format;
    Number(s, "maximum", path, &n->maximum);
    Number(s, "minimum", path, &n->minimum);
    Number(s, "multipleOf", path, &n->multiple_of);
    Bool(s, "exclusiveMaximum", path, &n->exclusive_maximum);
    Bool(s, "exclusiveMinimum", path, &n->exclusive_minimum);
    Integer(s, "maxLength", path, &n->max_length);
    Integer(s, "minLength", path, &n->min_length);
    Integer(s, "maxItems", path, &n->max_items);
    Integer(s, "minItems", path, &n->min_items);
    Integer(s, "maxProperties", path, &n->max_properties);
    Integer(s, "minProperties", path, &n->min_properties);
    Bool(s, "uniqueItems", path, &n->unique_items);
    StringList(s, "required", path, &n->required);
    String(s, "x-kubernetes-list-type", path, &n->list_type);
    StringList(s, "x-kubernetes-list-map-keys", path, &n->list_map_keys);
    std::string map_type;
    String(s, "x-kubernetes-map-type", path, &map_type);
    if (auto it = s.find("enum"); it != s.end() && !it->is_null()) {
      if (!it->is_array()) {
        WrongType(path + ".enum", *it, "array");
      } else {
        n->enum_values = std::vector<json>(it->begin(), it->end());
      }
    }
    if (auto it = s.find("default"); it != s.end()) n->default_value = *it;

    if (String(s, "pattern", path, &n->pattern) && !n->pattern.empty()) {
      try {
        n->pattern_regex = std::make_shared<const std::regex>(n->pattern, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        Error(field::Invalid(path + ".pattern", n->pattern,
                             std::string("must be a valid regular expression, but isn't: ") + e.what()));
      }
    }

    for (const char* unsupported : {"$ref", "definitions", "dependencies", "patternProperties", "additionalItems"}) {
      if (s.contains(unsupported))
        Error(field::Forbidden(path + "." + unsupported, std::string(unsupported) + " is not supported"));
    }

    // CEL rules: kept, outermost first, not evaluated.
    if (auto it = s.find("x-kubernetes-validations"); it != s.end() && !it->is_null()) {
      if (!it->is_array()) {
        WrongType(path + ".x-kubernetes-validations", *it, "array");
      } else {
        for (size_t i = 0; i < it->size(); ++i) {
          const json& rule = (*it)[i];
          std::string rule_path = path + ".x-kubernetes-validations[" + std::to_string(i) + "]";
          if (!rule.is_object()) {
            WrongType(rule_path, rule, "object");
          } else if (!rule.contains("rule") || !rule["rule"].is_string() || rule["rule"].get<std::string>().empty()) {
            Error(field::Required(rule_path + ".rule"));
          } else {
            rules_->push_back({path, data_path, rule});
          }
        }
      }
    }

    // Children.
    if (auto it = s.find("properties"); it != s.end() && !it->is_null()) {
      if (!it->is_object()) {
        WrongType(path + ".properties", *it, "object");
      } else {
        for (const auto& [key, sub] : it->items()) {
          std::string child_data = level == Level::kNested ? data_path : ChildPath(data_path, key);
          n->properties[key] = Compile(sub, level == Level::kNested ? Level::kNested : Level::kField,
                                       path + ".properties[" + key + "]", child_data);
        }
      }
    }
    if (auto it = s.find("additionalProperties"); it != s.end() && !it->is_null()) {
      if (it->is_boolean()) {
        n->additional_properties_allows = it->get<bool>();
      } else if (it->is_object()) {
        n->additional_properties = Compile(*it, level == Level::kNested ? Level::kNested : Level::kField,
                                           path + ".additionalProperties", data_path + "[*]");
      } else {
        WrongType(path + ".additionalProperties", *it, "object");
      }
    }
    if (auto it = s.find("items"); it != s.end() && !it->is_null()) {
      if (it->is_array()) {
        Error(field::Forbidden(path + ".items", "items must be a schema object and not an array"));
      } else {
        n->items =
            Compile(*it, level == Level::kNested ? Level::kNested : Level::kItem, path + ".items", data_path + "[*]");
      }
    }
    for (const std::string keyword : {"allOf", "anyOf", "oneOf"}) {
      auto it = s.find(keyword);
      if (it == s.end() || it->is_null()) continue;
      if (!it->is_array()) {
        WrongType(path + "." + keyword, *it, "array");
        continue;
      }
      auto& list = keyword == "allOf" ? n->all_of : keyword == "anyOf" ? n->any_of : n->one_of;
      // The int-or-string pattern names types inside anyOf:
      // anyOf: [{type: integer}, {type: string}] (possibly as allOf[0].anyOf).
      bool types_allowed = keyword == "anyOf" && IsIntOrStringAnyOf(s);
      for (size_t i = 0; i < it->size(); ++i) {
        std::string sub_path = path + "." + keyword + "[" + std::to_string(i) + "]";
        list.push_back(Compile((*it)[i], Level::kNested, sub_path, data_path));
        CheckNested((*it)[i], sub_path, types_allowed);
      }
    }
    if (auto it = s.find("not"); it != s.end() && !it->is_null()) {
      n->not_schema = Compile(*it, Level::kNested, path + ".not", data_path);
      CheckNested(*it, path + ".not");
    }
    if (level != Level::kNested) CheckStructural(s, *n, level, path, preserve);
    return n;
  }

  // Runs after the whole tree is compiled: each default must pass its own
  // schema (with nested defaults applied), as kube-apiserver checks.
  void CheckDefaults(const Node& n, const std::string& path) {
    if (n.default_value) {
      json value = *n.default_value;
      DefaultNode(n, value, false);
      Validator validator(path + ".default");
      std::vector<FieldError> found;
      validator.Validate(n, value, "", false, &found);
      ValidateListTypes(&n, value, path + ".default", false, &found);
      errors_->insert(errors_->end(), found.begin(), found.end());
    }
    for (const auto& [key, prop] : n.properties) CheckDefaults(*prop, path + ".properties[" + key + "]");
    if (n.additional_properties) CheckDefaults(*n.additional_properties, path + ".additionalProperties");
    if (n.items) CheckDefaults(*n.items, path + ".items");
  }

 private:
  void Error(FieldError e) { errors_->push_back(std::move(e)); }

  void WrongType(const std::string& path, const json& value, const std::string& expected) {
    Error(field::TypeInvalid(path, SchemaType(value), "must be of type " + expected));
  }

  bool String(const json& s, const char* key, const std::string& path, std::string* out) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return false;
    if (!it->is_string()) {
      WrongType(path + "." + key, *it, "string");
      return false;
    }
    *out = it->get<std::string>();
    return true;
  }

  void Bool(const json& s, const char* key, const std::string& path, bool* out) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return;
    if (!it->is_boolean()) {
      WrongType(path + "." + key, *it, "boolean");
      return;
    }
    *out = it->get<bool>();
  }

  void Number(const json& s, const char* key, const std::string& path, std::optional<double>* out) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return;
    if (!it->is_number()) {
      WrongType(path + "." + key, *it, "number");
      return;
    }
    *out = it->get<double>();
  }

  void Integer(const json& s, const char* key, const std::string& path, std::optional<int64_t>* out) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return;
    if (!IsInteger(*it)) {
      WrongType(path + "." + key, *it, "integer");
      return;
    }
    int64_t v = AsInt64(*it);
    if (v < 0) {
      Error(field::Invalid(path + "." + key, v, "must be greater than or equal to 0"));
      return;
    }
    *out = v;
  }

  void StringList(const json& s, const char* key, const std::string& path, std::vector<std::string>* out) {
    auto it = s.find(key);
    if (it == s.end() || it->is_null()) return;
    if (!it->is_array()) {
      WrongType(path + "." + key, *it, "array");
      return;
    }
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_string()) {
        WrongType(path + "." + key + "[" + std::to_string(i) + "]", (*it)[i], "string");
        continue;
      }
      out->push_back((*it)[i].get<std::string>());
    }
  }

  static bool IsIntOrStringAnyOf(const json& s) {
    if (!s.is_object()) return false;
    auto it = s.find("anyOf");
    if (it == s.end() || !it->is_array() || it->size() != 2) return false;
    return (*it)[0] == json{{"type", "integer"}} && (*it)[1] == json{{"type", "string"}};
  }

  // Inside allOf/anyOf/oneOf/not only value validations are allowed.
  void CheckNested(const json& s, const std::string& path, bool allow_type = false) {
    if (!s.is_object()) return;
    auto forbid = [&](const char* key, const char* message) { Error(field::Forbidden(path + "." + key, message)); };
    if (!allow_type && s.contains("type") && !(s["type"].is_string() && s["type"].get<std::string>().empty())) {
      forbid("type", "must be empty to be structural");
    }
    if (s.contains("default")) forbid("default", "must be undefined to be structural");
    if (s.contains("nullable") && s["nullable"] == true) forbid("nullable", "must be false to be structural");
    if (s.contains("additionalProperties")) forbid("additionalProperties", "must be undefined to be structural");
    if (s.contains("x-kubernetes-preserve-unknown-fields") && s["x-kubernetes-preserve-unknown-fields"] == true) {
      forbid("x-kubernetes-preserve-unknown-fields", "must be false to be structural");
    }
    if (s.contains("x-kubernetes-embedded-resource") && s["x-kubernetes-embedded-resource"] == true) {
      forbid("x-kubernetes-embedded-resource", "must be false to be structural");
    }
    if (s.contains("x-kubernetes-int-or-string") && s["x-kubernetes-int-or-string"] == true) {
      forbid("x-kubernetes-int-or-string", "must be false to be structural");
    }
    if (s.contains("x-kubernetes-list-map-keys"))
      forbid("x-kubernetes-list-map-keys", "must be empty to be structural");
    if (s.contains("x-kubernetes-list-type")) forbid("x-kubernetes-list-type", "must be undefined to be structural");
    if (s.contains("x-kubernetes-map-type")) forbid("x-kubernetes-map-type", "must be undefined to be structural");
    if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
      for (const auto& [key, sub] : props->items()) CheckNested(sub, path + ".properties[" + key + "]");
    }
    if (auto items = s.find("items"); items != s.end()) CheckNested(*items, path + ".items");
  }

  void CheckStructural(const json& s, const Node& n, Level level, const std::string& path,
                       std::optional<bool> preserve) {
    static const std::vector<std::string> kTypes = {"array", "boolean", "integer", "number", "object", "string"};
    if (!n.type.empty()) {
      if (n.type == "null") {
        Error(field::Forbidden(path + ".type", "type cannot be set to null, use nullable as an alternative"));
      } else if (std::find(kTypes.begin(), kTypes.end(), n.type) == kTypes.end()) {
        Error(field::NotSupported(path + ".type", n.type, kTypes));
      }
    }
    if (n.type == "array" && !s.contains("items")) Error(field::Required(path + ".items", "must be specified"));
    if (n.embedded_resource && n.type != "object") {
      if (n.type.empty()) {
        Error(field::Required(path + ".type", "must be object if x-kubernetes-embedded-resource is true"));
      } else {
        Error(field::Invalid(path + ".type", n.type, "must be object if x-kubernetes-embedded-resource is true"));
      }
    } else if (n.type.empty() && !n.embedded_resource && !n.int_or_string && !n.preserve_unknown_fields) {
      switch (level) {
        case Level::kRoot:
          Error(field::Required(path + ".type", "must not be empty at the root"));
          break;
        case Level::kItem:
          Error(field::Required(path + ".type", "must not be empty for specified array items"));
          break;
        case Level::kField:
          Error(field::Required(path + ".type", "must not be empty for specified object fields"));
          break;
        case Level::kNested:
          break;
      }
    }
    if (n.int_or_string && !n.type.empty()) {
      Error(field::Invalid(path + ".type", n.type, "must be empty if x-kubernetes-int-or-string is true"));
    }
    if (n.embedded_resource && s.contains("additionalProperties")) {
      Error(field::Forbidden(path + ".additionalProperties",
                             "must not be used if x-kubernetes-embedded-resource is set"));
    }
    if (level == Level::kRoot && !n.type.empty() && n.type != "object") {
      Error(field::Invalid(path + ".type", n.type, "must be object at the root"));
    }
    // additionalProperties: true may accompany properties; false or a schema may not.
    if (s.contains("additionalProperties") && s.contains("properties") && !(s["additionalProperties"] == true)) {
      Error(
          field::Forbidden(path + ".additionalProperties", "additionalProperties and properties are mutual exclusive"));
    }
    if (preserve == false) {
      Error(field::Invalid(path + ".x-kubernetes-preserve-unknown-fields", false, "must be true or undefined"));
    }
    if (n.embedded_resource && !n.preserve_unknown_fields && n.properties.empty()) {
      Error(field::Required(path + ".properties",
                            "must not be empty if x-kubernetes-embedded-resource is true without "
                            "x-kubernetes-preserve-unknown-fields"));
    }
    if (!n.list_type.empty()) {
      if (n.list_type != "atomic" && n.list_type != "set" && n.list_type != "map") {
        Error(field::NotSupported(path + ".x-kubernetes-list-type", n.list_type, {"atomic", "set", "map"}));
      } else if (n.type != "array") {
        Error(field::Invalid(path + ".type", n.type, "must be array if x-kubernetes-list-type is specified"));
      }
    }
    if (n.list_type == "map") {
      if (n.list_map_keys.empty()) {
        Error(field::Required(path + ".x-kubernetes-list-map-keys",
                              "must not be empty if x-kubernetes-list-type is map"));
      }
      if (n.items && n.items->type != "object") {
        Error(field::Invalid(path + ".items.type", n.items->type,
                             "must be object if parent array's x-kubernetes-list-type is map"));
      }
      for (const auto& key : n.list_map_keys) {
        if (n.items && !n.items->properties.count(key)) {
          Error(field::Invalid(path + ".x-kubernetes-list-map-keys", key,
                               "entries must all be names of item properties"));
        }
      }
    } else if (!n.list_map_keys.empty()) {
      Error(field::Forbidden(path + ".x-kubernetes-list-map-keys",
                             "must not be set if x-kubernetes-list-type is not map"));
    }
    if (level == Level::kRoot || n.embedded_resource) {
      for (const char* key : {"kind", "apiVersion"}) {
        auto prop = n.properties.find(key);
        if (prop != n.properties.end() && prop->second->type != "string") {
          Error(field::Invalid(path + ".properties[" + key + "].type", prop->second->type, "must be string"));
        }
      }
      auto metadata = n.properties.find("metadata");
      if (metadata != n.properties.end() && metadata->second->type != "object") {
        Error(field::Invalid(path + ".properties[metadata].type", metadata->second->type, "must be object"));
      }
    }
    if (level == Level::kRoot) CheckRootMetadata(s, path);
  }

  // The root metadata schema may only restrict name and generateName.
  void CheckRootMetadata(const json& s, const std::string& path) {
    const json* metadata = nullptr;
    if (auto props = s.find("properties"); props != s.end() && props->is_object()) {
      if (auto it = props->find("metadata"); it != props->end() && it->is_object()) metadata = &*it;
    }
    if (metadata == nullptr) return;
    bool ok = true;
    for (const auto& [key, value] : metadata->items()) {
      if (key == "type" || key == "default") continue;
      if (key == "properties" && value.is_object()) {
        for (const auto& [name, unused] : value.items()) ok &= name == "name" || name == "generateName";
        continue;
      }
      ok = false;
    }
    if (!ok) {
      Error(field::Forbidden(path + ".properties[metadata]",
                             "must not specify anything other than name and generateName, but metadata is implicitly "
                             "specified"));
    }
  }

  std::vector<FieldError>* errors_;
  std::vector<StructuralSchema::ValidationRule>* rules_;
};

}  // namespace

std::optional<StructuralSchema> StructuralSchema::Compile(const json& openapi_v3_schema,
                                                          const std::string& field_prefix,
                                                          std::vector<FieldError>* errors) {
  std::vector<FieldError> found;
  StructuralSchema schema;
  Compiler compiler(&found, &schema.rules_);
  auto root = compiler.Compile(openapi_v3_schema, Level::kRoot, field_prefix, "");
  if (found.empty()) compiler.CheckDefaults(*root, field_prefix);
  if (!found.empty()) {
    if (errors != nullptr) errors->insert(errors->end(), found.begin(), found.end());
    return std::nullopt;
  }
  schema.root_ = std::move(root);
  schema.raw_ = openapi_v3_schema;
  return schema;
}

std::vector<std::string> StructuralSchema::Prune(json& object) const {
  std::vector<std::string> pruned;
  if (root_) PruneNode(*root_, object, "", true, &pruned);
  return pruned;
}

void StructuralSchema::ApplyDefaults(json& object) const {
  if (root_) DefaultNode(*root_, object, true);
}

std::vector<FieldError> StructuralSchema::Validate(const json& object) const {
  std::vector<FieldError> errors;
  if (!root_) return errors;
  Validator validator("");
  validator.Validate(*root_, object, "", true, &errors);
  ValidateEmbedded(root_.get(), object, "", true, &errors);
  ValidateListTypes(root_.get(), object, "", true, &errors);
  return errors;
}

}  // namespace testapi
