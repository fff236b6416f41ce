#include "api/yaml_documents.h"

#include <charconv>
#include <cstdlib>
#include <set>
#include <sstream>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace api {

namespace {

nlohmann::json PlainScalar(const std::string& s) {
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  static const std::set<std::string> kTrue = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                              "on",   "On",   "ON",   "y",   "Y"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE", "no", "No", "NO",
                                               "off",   "Off",   "OFF",   "n",  "N"};
  if (kNull.count(s)) return nullptr;
  if (kTrue.count(s)) return true;
  if (kFalse.count(s)) return false;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  const char* digits = (s[0] == '+' || s[0] == '-') ? begin + 1 : begin;
  if (digits < end && *digits >= '0' && *digits <= '9') {
    int64_t i = 0;
    auto [p, ec] = std::from_chars(s[0] == '+' ? begin + 1 : begin, end, i);
    if (ec == std::errc() && p == end) return i;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      uint64_t u = 0;
      auto [q, ec2] = std::from_chars(begin + 2, end, u, 16);
      if (ec2 == std::errc() && q == end) return u;
    }
    char* stop = nullptr;
    double d = std::strtod(s.c_str(), &stop);
    if (stop == end && s.find_first_of(".eE") != std::string::npos) return d;
  }
  return s;
}

nlohmann::json ToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted and block scalars "!", plain ones "?".
      if (node.Tag() == "!") return node.Scalar();
      if (node.Tag() == "tag:yaml.org,2002:str") return node.Scalar();
      return PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      for (const YAML::Node& item : node) out.push_back(ToJson(item));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& kv : node) out[kv.first.as<std::string>()] = ToJson(kv.second);
      return out;
    }
  }
  return nullptr;
}

// Walks the stream's documents without building them, to catch what makes
// yaml-cpp 0.7's LoadAll loop forever, allocating as it goes: a token no node
// can start with (a ',' at the top level, say) is never consumed, so the
// parser reports the same empty document again and again (yaml-cpp issue
// #1040, fixed upstream in 2024, after 0.8.0). Every real document consumes at least one
// token, so a document that starts where the previous one did is that bug.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { mark_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  YAML::Mark mark_ = YAML::Mark::null_mark();
};

// Empty when the stream is safe to load; else the error for the token that
// stalls the parser.
std::string StalledDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  int last = -1;
  while (parser.HandleNextDocument(starts)) {
    if (starts.mark_.pos <= last) {
      const auto pos = static_cast<size_t>(starts.mark_.pos);
      std::string token = pos < text.size() ? text.substr(pos, 1) : "end of input";
      return "YAML line " + std::to_string(starts.mark_.line + 1) + ", column " +
             std::to_string(starts.mark_.column + 1) + ": unexpected \"" + token + "\" where a node should start";
    }
    last = starts.mark_.pos;
  }
  return "";
}

}  // namespace

std::vector<nlohmann::json> ParseYamlDocuments(std::string_view text, std::string* error) {
  std::vector<nlohmann::json> out;
  const std::string input(text);
  try {
    if (std::string stalled = StalledDocument(input); !stalled.empty()) {
      *error = std::move(stalled);
      return {};
    }
    for (const YAML::Node& doc : YAML::LoadAll(input)) {
      nlohmann::json j = ToJson(doc);
      if (!j.is_null()) out.push_back(std::move(j));
    }
  } catch (const YAML::Exception& e) {
    *error = "YAML line " + std::to_string(e.mark.line + 1) + ", column " +
             std::to_string(e.mark.column + 1) + ": " + e.msg;
    return {};
  }
  return out;
}

}  // namespace api
