#include "agent/host/mstconfig_output.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>
#include <vector>

namespace host {
namespace {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(start, nl - start));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string> Words(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// Column titles are separated by two or more spaces ("Next Boot" has one).
std::vector<std::string> Columns(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int spaces = 0;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      ++spaces;
      continue;
    }
    if (spaces >= 2 || (spaces > 0 && cur.empty())) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else if (spaces == 1) {
      cur += ' ';
    }
    spaces = 0;
    cur += c;
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

bool IsParamName(const std::string& s) {
  if (s.empty() || !(std::isupper(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_' ||
           c == '[' || c == ']' || c == '.';
  });
}

std::optional<int64_t> ParseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  int64_t v = 0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    b += 2;
    base = 16;
  }
  auto [p, ec] = std::from_chars(b, e, v, base);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

bool EqualsNoCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

FirmwareValue FirmwareValue::Parse(const std::string& raw) {
  FirmwareValue v;
  v.raw = raw;
  v.label = raw;
  // "LABEL(N)": a named enumeration value with its number.
  if (raw.size() > 3 && raw.back() == ')') {
    auto open = raw.rfind('(');
    if (open != std::string::npos && open > 0) {
      auto n = ParseNumber(raw.substr(open + 1, raw.size() - open - 2));
      if (n) {
        v.label = raw.substr(0, open);
        v.number = n;
        return v;
      }
    }
  }
  v.number = ParseNumber(raw);
  return v;
}

bool FirmwareValue::Matches(const std::string& desired) const {
  if (auto n = ParseNumber(desired); n && number) return *n == *number;
  return EqualsNoCase(desired, label) || EqualsNoCase(desired, raw);
}

const FirmwareParam* FirmwareConfig::Find(const std::string& param) const {
  for (const auto& p : params)
    if (p.name == param) return &p;
  return nullptr;
}

std::string MstconfigDiagnostics(std::string_view text) {
  std::string out;
  for (const auto& line : Lines(text)) {
    std::string t = Trim(line);
    if (t.rfind("-E-", 0) != 0) continue;
    if (!out.empty()) out += "; ";
    out += Trim(t.substr(3));
  }
  return out;
}

Result<FirmwareConfig> ParseMstconfigQuery(std::string_view text) {
  if (Trim(text).empty()) return Error{"mstconfig query output is empty"};
  if (auto diag = MstconfigDiagnostics(text); !diag.empty()) {
    return Error{"mstconfig reported an error: " + diag};
  }
  FirmwareConfig cfg;
  std::vector<std::string> lines = Lines(text);
  size_t i = 0;
  bool table = false;
  std::vector<std::string> columns;
  for (; i < lines.size(); ++i) {
    std::string t = Trim(lines[i]);
    if (t.rfind("Configurations:", 0) == 0) {
      columns = Columns(t.substr(std::string("Configurations:").size()));
      table = true;
      ++i;
      break;
    }
    auto colon = t.find(':');
    if (colon == std::string::npos) continue;
    std::string key = Trim(t.substr(0, colon));
    std::string value = Trim(t.substr(colon + 1));
    if (key == "Device type")
      cfg.device_type = value;
    else if (key == "Name")
      cfg.name = value;
    else if (key == "Description")
      cfg.description = value;
    else if (key == "Device" || key == "PCI device")
      cfg.device = value;
  }
  if (!table) {
    return Error{"mstconfig query output has no \"Configurations:\" table (truncated or not mstconfig output)"};
  }
  int default_col = -1, current_col = -1, next_col = -1;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c] == "Default")
      default_col = static_cast<int>(c);
    else if (columns[c] == "Current")
      current_col = static_cast<int>(c);
    else if (columns[c] == "Next Boot")
      next_col = static_cast<int>(c);
    else
      return Error{"mstconfig query table has an unknown column \"" + columns[c] + "\""};
  }
  if (next_col < 0) return Error{"mstconfig query table has no \"Next Boot\" column"};
  if ((default_col < 0) != (current_col < 0)) {
    return Error{"mstconfig query table has only one of the \"Default\" and \"Current\" columns"};
  }
  for (; i < lines.size(); ++i) {
    std::string t = Trim(lines[i]);
    if (t.empty() || t == "..." || t.rfind("#", 0) == 0) continue;
    if (t.rfind("The '*' shows", 0) == 0) break;
    bool marked = false;
    if (t[0] == '*') {
      marked = true;
      t = Trim(t.substr(1));
    }
    std::vector<std::string> words = Words(t);
    const std::string where = "mstconfig query line " + std::to_string(i + 1);
    if (words.empty() || !IsParamName(words[0])) {
      return Error{where + ": expected a parameter row, got \"" + t + "\""};
    }
    if (words.size() != columns.size() + 1) {
      return Error{where + ": " + words[0] + " has " + std::to_string(words.size() - 1) + " values, the table has " +
                   std::to_string(columns.size()) + " columns (truncated output?)"};
    }
    FirmwareParam p;
    p.name = words[0];
    p.marked = marked;
    p.next_boot = FirmwareValue::Parse(words[1 + next_col]);
    if (default_col >= 0) {
      p.default_value = FirmwareValue::Parse(words[1 + default_col]);
      p.current = FirmwareValue::Parse(words[1 + current_col]);
    }
    cfg.params.push_back(std::move(p));
  }
  if (cfg.params.empty()) return Error{"mstconfig query table has no parameters (truncated output?)"};
  return cfg;
}

Status CheckMstconfigSet(const ProcessOutput& output) {
  std::string diag = MstconfigDiagnostics(output.err);
  std::string diag_out = MstconfigDiagnostics(output.out);
  if (!diag_out.empty()) diag = diag.empty() ? diag_out : diag + "; " + diag_out;
  bool failed = output.out.find("Applying... Failed") != std::string::npos;
  if (output.exit_code == 0 && diag.empty() && !failed) return Status::Ok();
  std::string why = diag.empty() ? "exit code " + std::to_string(output.exit_code)
                                 : diag + " (exit code " + std::to_string(output.exit_code) + ")";
  return Error{why};
}

}  // namespace host
