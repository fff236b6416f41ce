#include "e2e/testapi/jsonpath.h"

namespace testapi {

using json = nlohmann::json;

namespace {

struct Parser {
  explicit Parser(const std::string& path) : p(path) {}
  const std::string& p;
  size_t i = 0;
  std::string error;

  bool Eof() const { return i >= p.size(); }

  std::string Ident() {
    size_t start = i;
    while (!Eof() && p[i] != '.' && p[i] != '[' && p[i] != '=' && p[i] != '!' && p[i] != ')' && p[i] != ' ') ++i;
    return p.substr(start, i - start);
  }

  // Applies the rest of the path from position i to every value in `in`.
  std::vector<json> Walk(std::vector<json> in, bool inside_filter) {
    while (!Eof() && error.empty()) {
      if (inside_filter && (p[i] == '=' || p[i] == '!' || p[i] == ')' || p[i] == ' ')) break;
      if (p[i] == '.') {
        ++i;
        std::string key = Ident();
        std::vector<json> out;
        for (const auto& v : in)
          if (v.is_object() && v.contains(key)) out.push_back(v[key]);
        in = std::move(out);
      } else if (p[i] == '[') {
        ++i;
        if (p.compare(i, 2, "?(") == 0) {
          i += 2;
          in = Filter(in);
        } else {
          size_t close = p.find(']', i);
          if (close == std::string::npos) {
            error = "unterminated [";
            break;
          }
          std::string idx = p.substr(i, close - i);
          i = close + 1;
          std::vector<json> out;
          for (const auto& v : in) {
            if (!v.is_array()) continue;
            if (idx == "*") {
              for (const auto& e : v) out.push_back(e);
            } else {
              try {
                long n = std::stol(idx);
                if (n < 0) n += static_cast<long>(v.size());
                if (n >= 0 && static_cast<size_t>(n) < v.size()) out.push_back(v[n]);
              } catch (...) {
                error = "bad index [" + idx + "]";
              }
            }
          }
          in = std::move(out);
        }
      } else {
        error = std::string("unexpected '") + p[i] + "' at " + std::to_string(i);
      }
    }
    return in;
  }

  std::vector<json> Filter(const std::vector<json>& in) {
    // @.path (==|!=) "literal" )]
    if (Eof() || p[i] != '@') {
      error = "filter must start with @";
      return {};
    }
    ++i;
    size_t path_start = i;
    Walk({json::object()}, true);  // advance over the sub-path syntax only
    std::string sub = p.substr(path_start, i - path_start);
    while (!Eof() && p[i] == ' ') ++i;
    bool negate = false;
    if (p.compare(i, 2, "==") == 0) {
      i += 2;
    } else if (p.compare(i, 2, "!=") == 0) {
      negate = true;
      i += 2;
    } else {
      error = "filter needs == or !=";
      return {};
    }
    while (!Eof() && p[i] == ' ') ++i;
    std::string literal;
    if (!Eof() && (p[i] == '"' || p[i] == '\'')) {
      char q = p[i++];
      size_t end = p.find(q, i);
      if (end == std::string::npos) {
        error = "unterminated string in filter";
        return {};
      }
      literal = p.substr(i, end - i);
      i = end + 1;
    } else {
      size_t end = p.find(')', i);
      if (end == std::string::npos) {
        error = "unterminated filter";
        return {};
      }
      literal = p.substr(i, end - i);
      i = end;
    }
    while (!Eof() && p[i] == ' ') ++i;
    if (p.compare(i, 2, ")]") != 0) {
      error = "filter must end with )]";
      return {};
    }
    i += 2;
    std::vector<json> out;
    for (const auto& v : in) {
      if (!v.is_array()) continue;
      for (const auto& e : v) {
        Parser sp{sub};
        auto got = sp.Walk({e}, false);
        bool eq = false;
        for (const auto& g : got) eq = eq || (g.is_string() ? g.get<std::string>() == literal : g.dump() == literal);
        if (eq != negate) out.push_back(e);
      }
    }
    return out;
  }
};

}  // namespace

std::optional<std::vector<json>> EvalJsonPath(const json& object, const std::string& path, std::string* error) {
  std::string p = path;
  if (p.size() >= 2 && p.front() == '{' && p.back() == '}') p = p.substr(1, p.size() - 2);
  if (!p.empty() && p.front() == '$') p = p.substr(1);
  Parser parser{p};
  auto out = parser.Walk({object}, false);
  if (!parser.error.empty()) {
    if (error) *error = "jsonpath " + path + ": " + parser.error;
    return std::nullopt;
  }
  return out;
}

}  // namespace testapi
