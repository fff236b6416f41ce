#include "kube/labels.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace kube {
namespace {

// ---------------------------------------------------------------------------
// Syntax rules (k8s.io/apimachinery/pkg/util/validation). Checked by hand
// rather than with std::regex: these run on every list filter and object
// write, and the rules are simple character classes.

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character";
constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123LabelErrMsg =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and "
    "end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character";
constexpr size_t kQualifiedNameMaxLength = 63;
constexpr size_t kLabelValueMaxLength = 63;
constexpr size_t kDns1123LabelMaxLength = 63;
constexpr size_t kDns1123SubdomainMaxLength = 253;

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool MatchesQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-' || c == '_' || c == '.'; });
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool MatchesDns1123Label(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool MatchesDns1123Subdomain(std::string_view s) {
  while (true) {
    size_t dot = s.find('.');
    if (!MatchesDns1123Label(s.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

// validation.RegexError: note the double space before "or", as in Go.
std::string RegexError(std::string_view msg, std::string_view fmt, std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) return out + " (regex used for validation is '" + std::string(fmt) + "')";
  out += " (e.g. ";
  bool first = true;
  for (auto example : examples) {
    if (!first) out += " or ";
    first = false;
    out += "'" + std::string(example) + "', ";
  }
  return out + "regex used for validation is '" + std::string(fmt) + "')";
}

std::string MaxLenError(size_t length) { return "must be no more than " + std::to_string(length) + " characters"; }

std::optional<std::string> Join(const std::vector<std::string>& errors) {
  if (errors.empty()) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += "; ";
    out += errors[i];
  }
  return out;
}

// ---------------------------------------------------------------------------
// Go formatting for the few error strings the selector code builds itself.

std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
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
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through, as Go keeps printable runes
        }
    }
  }
  return out + "\"";
}

std::string GoStringSlice(const std::vector<std::string>& values, bool nil_slice) {
  if (nil_slice && values.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += Quote(values[i]);
  }
  return out + "}";
}

// field.Error.Error(): "<path>: Invalid value: <value>: <detail>".
std::string InvalidFieldError(std::string_view path, std::string_view go_value, std::string_view detail) {
  return std::string(path) + ": Invalid value: " + std::string(go_value) + ": " + std::string(detail);
}

// utilerrors.Aggregate.Error(): one message bare, several in brackets.
std::string Aggregate(const std::vector<std::string>& messages) {
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (const auto& m : messages) {
    if (seen.insert(m).second) unique.push_back(m);
  }
  if (unique.size() == 1) return unique[0];
  std::string out = "[";
  for (size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) out += ", ";
    out += unique[i];
  }
  return out + "]";
}

bool ParseInt64(std::string_view s, int64_t* out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);  // strconv.ParseInt accepts a leading '+'
  if (s.empty()) return false;
  auto result = std::from_chars(s.data(), s.data() + s.size(), *out);
  return result.ec == std::errc() && result.ptr == s.data() + s.size();
}

// labels.NewRequirement: checks the key, the value count for the operator and
// each value. Returns the aggregated error text, or nullopt when valid.
// nil_values says the values came from a nil Go slice (matchExpressions
// without "values"), which %#v prints differently.
std::optional<std::string> CheckRequirement(const LabelRequirement& r, bool nil_values) {
  std::vector<std::string> errors;
  if (auto err = ValidateLabelKey(r.key)) errors.push_back(InvalidFieldError("key", Quote(r.key), *err));
  const auto& vals = r.values;
  switch (r.op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (vals.empty()) {
        errors.push_back(InvalidFieldError("values", GoStringSlice(vals, nil_values),
                                           "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (vals.size() != 1) {
        errors.push_back(InvalidFieldError("values", GoStringSlice(vals, nil_values),
                                           "exact-match compatibility requires one single value"));
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!vals.empty()) {
        errors.push_back(InvalidFieldError("values", GoStringSlice(vals, nil_values),
                                           "values set must be empty for exists and does not exist"));
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan:
      if (vals.size() != 1) {
        errors.push_back(InvalidFieldError("values", GoStringSlice(vals, nil_values),
                                           "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (size_t i = 0; i < vals.size(); ++i) {
        int64_t ignored = 0;
        if (!ParseInt64(vals[i], &ignored)) {
          errors.push_back(InvalidFieldError("values[" + std::to_string(i) + "]", Quote(vals[i]),
                                             "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (size_t i = 0; i < vals.size(); ++i) {
    if (auto err = ValidateLabelValue(vals[i])) {
      errors.push_back(InvalidFieldError("values[" + std::to_string(i) + "][" + r.key + "]", Quote(vals[i]), *err));
    }
  }
  if (errors.empty()) return std::nullopt;
  return Aggregate(errors);
}

// ---------------------------------------------------------------------------
// The selector string lexer and parser, a port of labels/selector.go so that
// the accepted language and the error texts match.

enum class Token {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct ScannedItem {
  Token token;
  std::string literal;
};

std::optional<Token> KeywordToken(std::string_view s) {
  static const std::map<std::string_view, Token> kTokens = {
      {")", Token::kClosedPar},  {",", Token::kComma},       {"!", Token::kDoesNotExist}, {"==", Token::kDoubleEquals},
      {"=", Token::kEquals},     {">", Token::kGreaterThan}, {"in", Token::kIn},          {"<", Token::kLessThan},
      {"!=", Token::kNotEquals}, {"notin", Token::kNotIn},   {"(", Token::kOpenPar},
  };
  auto it = kTokens.find(s);
  if (it == kTokens.end()) return std::nullopt;
  return it->second;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool IsSpecialSymbol(char c) {
  return c == '=' || c == '!' || c == '(' || c == ')' || c == ',' || c == '>' || c == '<';
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  ScannedItem Lex() {
    while (pos_ < s_.size() && IsWhitespace(s_[pos_])) ++pos_;
    if (pos_ >= s_.size()) return {Token::kEndOfString, ""};
    if (IsSpecialSymbol(s_[pos_])) return ScanSpecialSymbol();
    return ScanIdOrKeyword();
  }

 private:
  ScannedItem ScanIdOrKeyword() {
    size_t start = pos_;
    while (pos_ < s_.size() && !IsSpecialSymbol(s_[pos_]) && !IsWhitespace(s_[pos_])) ++pos_;
    std::string word(s_.substr(start, pos_ - start));
    if (auto token = KeywordToken(word)) return {*token, word};
    return {Token::kIdentifier, word};
  }

  // Longest run of special symbols that forms a known operator ("!=" not "!").
  ScannedItem ScanSpecialSymbol() {
    std::string buffer;
    std::optional<ScannedItem> last;
    while (pos_ < s_.size() && IsSpecialSymbol(s_[pos_])) {
      buffer.push_back(s_[pos_]);
      if (auto token = KeywordToken(buffer)) {
        last = ScannedItem{*token, buffer};
        ++pos_;
      } else if (last) {
        break;
      } else {
        ++pos_;
      }
    }
    if (!last) return {Token::kError, "error expected: keyword found '" + buffer + "'"};
    return *last;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

enum class Context { kKeyAndOperator, kValues };

class Parser {
 public:
  explicit Parser(std::string_view text) {
    Lexer lexer(text);
    while (true) {
      items_.push_back(lexer.Lex());
      if (items_.back().token == Token::kEndOfString) break;
    }
  }

  // Returns the error text, or nullopt with *out filled.
  std::optional<std::string> Parse(std::vector<LabelRequirement>* out) {
    while (true) {
      auto [token, literal] = Lookahead(Context::kValues);
      switch (token) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          LabelRequirement r;
          if (auto err = ParseRequirement(&r)) return "unable to parse requirement: " + *err;
          out->push_back(std::move(r));
          auto [t, l] = Consume(Context::kValues);
          switch (t) {
            case Token::kEndOfString:
              return std::nullopt;
            case Token::kComma: {
              auto [t2, l2] = Lookahead(Context::kValues);
              if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
                return "found '" + l2 + "', expected: identifier after ','";
              }
              break;
            }
            default:
              return "found '" + l + "', expected: ',' or 'end of string'";
          }
          break;
        }
        case Token::kEndOfString:
          return std::nullopt;
        default:
          return "found '" + literal + "', expected: !, identifier, or 'end of string'";
      }
    }
  }

 private:
  std::pair<Token, std::string> Lookahead(Context context) const {
    const ScannedItem& item = items_[std::min(position_, items_.size() - 1)];
    return {Adjust(item.token, context), item.literal};
  }

  std::pair<Token, std::string> Consume(Context context) {
    auto result = Lookahead(context);
    if (position_ < items_.size() - 1) ++position_;
    return result;
  }

  // "in" and "notin" are plain words where a value is expected: x in (in).
  static Token Adjust(Token token, Context context) {
    if (context == Context::kValues && (token == Token::kIn || token == Token::kNotIn)) return Token::kIdentifier;
    return token;
  }

  std::optional<std::string> ParseRequirement(LabelRequirement* r) {
    // parseKeyAndInferOperator
    std::optional<SelectorOperator> op;
    auto [token, literal] = Consume(Context::kValues);
    if (token == Token::kDoesNotExist) {
      op = SelectorOperator::kDoesNotExist;
      std::tie(token, literal) = Consume(Context::kValues);
    }
    if (token != Token::kIdentifier) return "found '" + literal + "', expected: identifier";
    if (auto err = ValidateLabelKey(literal)) return InvalidFieldError("<nil>", Quote(literal), *err);
    r->key = literal;
    auto next = Lookahead(Context::kValues).first;
    if ((next == Token::kEndOfString || next == Token::kComma) && !op) op = SelectorOperator::kExists;
    if (op) {
      r->op = *op;
      return CheckRequirement(*r, false);
    }

    // parseOperator
    auto [op_token, op_literal] = Consume(Context::kKeyAndOperator);
    switch (op_token) {
      case Token::kIn:
        r->op = SelectorOperator::kIn;
        break;
      case Token::kEquals:
        r->op = SelectorOperator::kEquals;
        break;
      case Token::kDoubleEquals:
        r->op = SelectorOperator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        r->op = SelectorOperator::kGreaterThan;
        break;
      case Token::kLessThan:
        r->op = SelectorOperator::kLessThan;
        break;
      case Token::kNotIn:
        r->op = SelectorOperator::kNotIn;
        break;
      case Token::kNotEquals:
        r->op = SelectorOperator::kNotEquals;
        break;
      default:
        return "found '" + op_literal + "', expected: in, notin, =, ==, !=, gt, lt";
    }

    std::set<std::string> values;  // sets.String: sorted, unique
    if (r->op == SelectorOperator::kIn || r->op == SelectorOperator::kNotIn) {
      if (auto err = ParseValues(&values)) return err;
    } else {
      if (auto err = ParseExactValue(&values)) return err;
    }
    r->values.assign(values.begin(), values.end());
    return CheckRequirement(*r, false);
  }

  std::optional<std::string> ParseValues(std::set<std::string>* values) {
    auto [token, literal] = Consume(Context::kValues);
    if (token != Token::kOpenPar) return "found '" + literal + "' expected: '('";
    std::tie(token, literal) = Lookahead(Context::kValues);
    switch (token) {
      case Token::kIdentifier:
      case Token::kComma: {
        if (auto err = ParseIdentifiersList(values)) return err;
        if (Consume(Context::kValues).first != Token::kClosedPar) {
          return "found '" + literal + "', expected: ')'";  // sic: the real parser reports the first token
        }
        return std::nullopt;
      }
      case Token::kClosedPar:
        Consume(Context::kValues);
        values->insert("");
        return std::nullopt;
      default:
        return "found '" + literal + "', expected: ',', ')' or identifier";
    }
  }

  std::optional<std::string> ParseIdentifiersList(std::set<std::string>* values) {
    while (true) {
      auto [token, literal] = Consume(Context::kValues);
      switch (token) {
        case Token::kIdentifier: {
          values->insert(literal);
          auto [t2, l2] = Lookahead(Context::kValues);
          if (t2 == Token::kComma) continue;
          if (t2 == Token::kClosedPar) return std::nullopt;
          return "found '" + l2 + "', expected: ',' or ')'";
        }
        case Token::kComma: {
          if (values->empty()) values->insert("");  // "(,"
          auto t2 = Lookahead(Context::kValues).first;
          if (t2 == Token::kClosedPar) {
            values->insert("");  // ",)"
            return std::nullopt;
          }
          if (t2 == Token::kComma) {
            Consume(Context::kValues);
            values->insert("");  // ",,"
          }
          break;
        }
        default:
          return "found '" + literal + "', expected: ',', or identifier";
      }
    }
  }

  std::optional<std::string> ParseExactValue(std::set<std::string>* values) {
    auto next = Lookahead(Context::kValues).first;
    if (next == Token::kEndOfString || next == Token::kComma) {
      values->insert("");
      return std::nullopt;
    }
    auto [token, literal] = Consume(Context::kValues);
    if (token == Token::kIdentifier) {
      values->insert(literal);
      return std::nullopt;
    }
    return "found '" + literal + "', expected: identifier";
  }

  std::vector<ScannedItem> items_;
  size_t position_ = 0;
};

void SortByKey(std::vector<LabelRequirement>* requirements) {
  std::stable_sort(requirements->begin(), requirements->end(),
                   [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
}

void SetError(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
}

std::string JsonTypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::boolean:
      return "bool";
    case nlohmann::json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

}  // namespace

// ---------------------------------------------------------------------------

bool LabelRequirement::Matches(const Labels& labels) const {
  auto it = labels.find(key);
  bool has = it != labels.end();
  auto has_value = [&](const std::string& v) { return std::find(values.begin(), values.end(), v) != values.end(); };
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return has && has_value(it->second);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return !has || !has_value(it->second);
    case SelectorOperator::kExists:
      return has;
    case SelectorOperator::kDoesNotExist:
      return !has;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      int64_t label_value = 0;
      int64_t bound = 0;
      if (!has || values.size() != 1 || !ParseInt64(it->second, &label_value) || !ParseInt64(values[0], &bound)) {
        return false;
      }
      return op == SelectorOperator::kGreaterThan ? label_value > bound : label_value < bound;
    }
  }
  return false;
}

std::string LabelRequirement::String() const {
  std::string out;
  if (op == SelectorOperator::kDoesNotExist) out += "!";
  out += key;
  switch (op) {
    case SelectorOperator::kEquals:
      out += "=";
      break;
    case SelectorOperator::kDoubleEquals:
      out += "==";
      break;
    case SelectorOperator::kNotEquals:
      out += "!=";
      break;
    case SelectorOperator::kIn:
      out += " in ";
      break;
    case SelectorOperator::kNotIn:
      out += " notin ";
      break;
    case SelectorOperator::kGreaterThan:
      out += ">";
      break;
    case SelectorOperator::kLessThan:
      out += "<";
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      return out;
  }
  bool set_based = op == SelectorOperator::kIn || op == SelectorOperator::kNotIn;
  if (set_based) out += "(";
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out += ",";
    out += sorted[i];
  }
  if (set_based) out += ")";
  return out;
}

LabelSelector LabelSelector::Nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::FromSet(const Labels& set) {
  LabelSelector s;
  for (const auto& [key, value] : set) s.requirements_.push_back({key, SelectorOperator::kEquals, {value}});
  return s;  // std::map iterates in key order already
}

std::optional<LabelSelector> LabelSelector::Parse(std::string_view text, std::string* error) {
  LabelSelector s;
  Parser parser(text);
  if (auto err = parser.Parse(&s.requirements_)) {
    SetError(error, *err);
    return std::nullopt;
  }
  SortByKey(&s.requirements_);
  return s;
}

std::optional<LabelSelector> LabelSelector::FromJson(const nlohmann::json& selector, std::string* error) {
  if (selector.is_null()) return Nothing();
  if (!selector.is_object()) {
    SetError(error, "label selector must be an object, not " + JsonTypeName(selector));
    return std::nullopt;
  }
  LabelSelector s;
  auto match_labels = selector.find("matchLabels");
  if (match_labels != selector.end() && !match_labels->is_null()) {
    if (!match_labels->is_object()) {
      SetError(error, "matchLabels must be an object of strings, not " + JsonTypeName(*match_labels));
      return std::nullopt;
    }
    for (const auto& [key, value] : match_labels->items()) {
      if (!value.is_string()) {
        SetError(error, "matchLabels[" + key + "] must be a string, not " + JsonTypeName(value));
        return std::nullopt;
      }
      LabelRequirement r{key, SelectorOperator::kEquals, {value.get<std::string>()}};
      if (auto err = CheckRequirement(r, false)) {
        SetError(error, *err);
        return std::nullopt;
      }
      s.requirements_.push_back(std::move(r));
    }
  }
  auto expressions = selector.find("matchExpressions");
  if (expressions != selector.end() && !expressions->is_null()) {
    if (!expressions->is_array()) {
      SetError(error, "matchExpressions must be an array, not " + JsonTypeName(*expressions));
      return std::nullopt;
    }
    for (size_t i = 0; i < expressions->size(); ++i) {
      const auto& expr = (*expressions)[i];
      std::string where = "matchExpressions[" + std::to_string(i) + "]";
      if (!expr.is_object()) {
        SetError(error, where + " must be an object, not " + JsonTypeName(expr));
        return std::nullopt;
      }
      LabelRequirement r;
      auto key = expr.find("key");
      if (key != expr.end() && !key->is_null()) {
        if (!key->is_string()) {
          SetError(error, where + ".key must be a string, not " + JsonTypeName(*key));
          return std::nullopt;
        }
        r.key = key->get<std::string>();
      }
      std::string op_name;
      auto op = expr.find("operator");
      if (op != expr.end() && !op->is_null()) {
        if (!op->is_string()) {
          SetError(error, where + ".operator must be a string, not " + JsonTypeName(*op));
          return std::nullopt;
        }
        op_name = op->get<std::string>();
      }
      if (op_name == "In") {
        r.op = SelectorOperator::kIn;
      } else if (op_name == "NotIn") {
        r.op = SelectorOperator::kNotIn;
      } else if (op_name == "Exists") {
        r.op = SelectorOperator::kExists;
      } else if (op_name == "DoesNotExist") {
        r.op = SelectorOperator::kDoesNotExist;
      } else {
        SetError(error, Quote(op_name) + " is not a valid label selector operator");
        return std::nullopt;
      }
      auto values = expr.find("values");
      if (values != expr.end() && !values->is_null()) {
        if (!values->is_array()) {
          SetError(error, where + ".values must be an array of strings, not " + JsonTypeName(*values));
          return std::nullopt;
        }
        for (const auto& v : *values) {
          if (!v.is_string()) {
            SetError(error, where + ".values must contain only strings, found " + JsonTypeName(v));
            return std::nullopt;
          }
          r.values.push_back(v.get<std::string>());
        }
      }
      // LabelSelectorAsSelector copies values with append([]string(nil), ...),
      // so an empty list reaches NewRequirement as a nil slice and is printed
      // as []string(nil).
      constexpr bool kNilValues = true;
      if (auto err = CheckRequirement(r, kNilValues)) {
        SetError(error, *err);
        return std::nullopt;
      }
      s.requirements_.push_back(std::move(r));
    }
  }
  SortByKey(&s.requirements_);
  return s;
}

bool LabelSelector::Matches(const Labels& labels) const {
  if (nothing_) return false;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return r.Matches(labels); });
}

bool LabelSelector::Matches(const nlohmann::json& labels_object) const {
  return Matches(LabelsFromJson(labels_object));
}

std::string LabelSelector::String() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ",";
    out += requirements_[i].String();
  }
  return out;
}

std::optional<std::string> ValidateLabelKey(std::string_view key) { return Join(QualifiedNameErrors(key)); }

std::optional<std::string> ValidateLabelValue(std::string_view value) { return Join(LabelValueErrors(value)); }

std::vector<std::string> QualifiedNameErrors(std::string_view value) {
  std::vector<std::string> errors;
  std::string_view name = value;
  size_t slashes = std::count(value.begin(), value.end(), '/');
  if (slashes > 1) {
    errors.push_back("a qualified name " +
                     RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
    return errors;
  }
  if (slashes == 1) {
    size_t slash = value.find('/');
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errors.push_back("prefix part must be non-empty");
    } else {
      for (const auto& msg : Dns1123SubdomainErrors(prefix)) errors.push_back("prefix part " + msg);
    }
  }
  if (name.empty()) {
    errors.push_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errors.push_back("name part " + MaxLenError(kQualifiedNameMaxLength));
  }
  if (!MatchesQualifiedNamePart(name)) {
    errors.push_back("name part " +
                     RegexError(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errors;
}

std::vector<std::string> LabelValueErrors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > kLabelValueMaxLength) errors.push_back(MaxLenError(kLabelValueMaxLength));
  if (!value.empty() && !MatchesQualifiedNamePart(value)) {
    errors.push_back(RegexError(kLabelValueErrMsg, kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errors;
}

std::vector<std::string> Dns1123SubdomainErrors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > kDns1123SubdomainMaxLength) errors.push_back(MaxLenError(kDns1123SubdomainMaxLength));
  if (!MatchesDns1123Subdomain(value)) {
    errors.push_back(RegexError(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errors;
}

std::vector<std::string> Dns1123LabelErrors(std::string_view value) {
  std::vector<std::string> errors;
  if (value.size() > kDns1123LabelMaxLength) errors.push_back(MaxLenError(kDns1123LabelMaxLength));
  if (!MatchesDns1123Label(value)) {
    if (MatchesDns1123Subdomain(value)) {
      errors.push_back("must not contain dots");  // a valid subdomain: the dots are the only problem
    } else {
      errors.push_back(RegexError(kDns1123LabelErrMsg, kDns1123LabelFmt, {"my-name", "123-abc"}));
    }
  }
  return errors;
}

Labels LabelsFromJson(const nlohmann::json& labels_object) {
  Labels labels;
  if (!labels_object.is_object()) return labels;
  for (const auto& [key, value] : labels_object.items()) {
    if (value.is_string()) labels.emplace(key, value.get<std::string>());
  }
  return labels;
}

}  // namespace kube
