#include "kube/labels.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

using nlohmann::json;

LabelSelector MustParse(std::string_view text) {
  std::string error;
  auto s = LabelSelector::Parse(text, &error);
  EXPECT_TRUE(s.has_value()) << text << ": " << error;
  return s.value_or(LabelSelector::Nothing());
}

std::string ParseError(std::string_view text) {
  std::string error;
  auto s = LabelSelector::Parse(text, &error);
  EXPECT_FALSE(s.has_value()) << text << " parsed as " << (s ? s->String() : "");
  return error;
}

// The checks the conformance suite makes, against the same three objects.
TEST(LabelSelectorParse, SelectsLikeTheApiServer) {
  const Labels a = {{"tier", "a"}, {"env", "x"}};
  const Labels b = {{"tier", "b"}, {"env", "x"}};
  const Labels c = {{"tier", "c"}};
  struct Case {
    std::string selector;
    bool a, b, c;
  };
  const Case cases[] = {
      {"tier=a", true, false, false},
      {"tier==a", true, false, false},
      {"tier!=a", false, true, true},
      {"tier in (a,b)", true, true, false},
      {"tier notin (a,b)", false, false, true},
      {"env", true, true, false},
      {"!env", false, false, true},
      {"env=x,tier=b", false, true, false},
      {"  tier  in  ( a , b ) ,  env ", true, true, false},
      {"", true, true, true},
      {"tier in (a),tier notin (a)", false, false, false},
      {"missing!=x", true, true, true},
      {"missing notin (x)", true, true, true},
      {"missing in (x)", false, false, false},
  };
  for (const auto& tc : cases) {
    auto s = MustParse(tc.selector);
    EXPECT_EQ(s.Matches(a), tc.a) << tc.selector;
    EXPECT_EQ(s.Matches(b), tc.b) << tc.selector;
    EXPECT_EQ(s.Matches(c), tc.c) << tc.selector;
  }
}

TEST(LabelSelectorParse, GreaterAndLessThanCompareIntegers) {
  auto gt = MustParse("gen>5");
  EXPECT_TRUE(gt.Matches(Labels{{"gen", "10"}}));
  EXPECT_FALSE(gt.Matches(Labels{{"gen", "5"}}));
  EXPECT_FALSE(gt.Matches(Labels{{"gen", "abc"}}));  // not an integer: no match
  EXPECT_FALSE(gt.Matches(Labels{}));
  auto lt = MustParse("gen<5");
  EXPECT_TRUE(lt.Matches(Labels{{"gen", "-3"}}));
  EXPECT_FALSE(lt.Matches(Labels{{"gen", "7"}}));
}

TEST(LabelSelectorParse, KeywordsAndEmptyValuesAreValues) {
  EXPECT_TRUE(MustParse("x in (in,notin)").Matches(Labels{{"x", "notin"}}));
  // "x=" and "x in ()" select the empty value.
  EXPECT_TRUE(MustParse("x=").Matches(Labels{{"x", ""}}));
  EXPECT_FALSE(MustParse("x=").Matches(Labels{{"x", "y"}}));
  EXPECT_TRUE(MustParse("x in ()").Matches(Labels{{"x", ""}}));
  EXPECT_TRUE(MustParse("x in (a,,b)").Matches(Labels{{"x", ""}}));
  EXPECT_TRUE(MustParse("example.com/role=db").Matches(Labels{{"example.com/role", "db"}}));
}

TEST(LabelSelectorParse, StringIsCanonicalAndReparses) {
  struct Case {
    std::string in, out;
  };
  const Case cases[] = {
      {"tier in (b,a), env", "env,tier in (a,b)"},
      {"b==1,a!=2,!c", "a!=2,b==1,!c"},
      {"x notin (z,y,z)", "x notin (y,z)"},
      {"n>3", "n>3"},
      {"", ""},
  };
  for (const auto& tc : cases) {
    auto s = MustParse(tc.in);
    EXPECT_EQ(s.String(), tc.out) << tc.in;
    EXPECT_EQ(MustParse(s.String()).Requirements(), s.Requirements()) << tc.in;
  }
}

TEST(LabelSelectorParse, SyntaxErrorsUseTheRealMessages) {
  struct Case {
    std::string selector, error;
  };
  const Case cases[] = {
      {"tier in (a", "unable to parse requirement: found '', expected: ',' or ')'"},
      {"tier in a", "unable to parse requirement: found 'a' expected: '('"},
      {"tier in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"},
      {"tier in", "unable to parse requirement: found '' expected: '('"},
      {"tier in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"},
      {"a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"},
      {"a=b c", "found 'c', expected: ',' or 'end of string'"},
      {"a,", "found '', expected: identifier after ','"},
      {",a", "found ',', expected: !, identifier, or 'end of string'"},
      {"!", "unable to parse requirement: found '', expected: identifier"},
      {"=a", "found '=', expected: !, identifier, or 'end of string'"},
  };
  for (const auto& tc : cases) EXPECT_EQ(ParseError(tc.selector), tc.error) << tc.selector;
  EXPECT_TRUE(MustParse("a==").Matches(Labels{{"a", ""}}));
}

TEST(LabelSelectorParse, InvalidKeysAndValuesAreRejected) {
  EXPECT_EQ(ParseError("Bad_Key_=x"),
            "unable to parse requirement: <nil>: Invalid value: \"Bad_Key_\": name part must consist of alphanumeric "
            "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
            "'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
  EXPECT_EQ(ParseError("tier=a/b"),
            "unable to parse requirement: values[0][tier]: Invalid value: \"a/b\": a valid label must be an empty "
            "string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(ParseError("n>x"),
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value "
            "must be an integer");
  EXPECT_NE(ParseError(std::string(64, 'k')).find("name part must be no more than 63 characters"), std::string::npos);
  EXPECT_NE(ParseError("x=" + std::string(64, 'v')).find("must be no more than 63 characters"), std::string::npos);
  EXPECT_NE(ParseError("Example.com/x").find("prefix part a lowercase RFC 1123 subdomain"), std::string::npos);
  // A null pointer for the error is allowed.
  EXPECT_FALSE(LabelSelector::Parse("tier in (", nullptr).has_value());
}

TEST(LabelSelectorParse, ArbitraryBytesNeverCrash) {
  const std::string inputs[] = {"((((",          "))",     "!=!=", "<<>>", "a in ((a))", std::string("a\0b", 3),
                                "\xff\xfe=\x01", "a,,b",   "!!a",  "a!b",  "a=(b)",      "notin",
                                "in (a)",        "a notin"};
  for (const auto& in : inputs) {
    std::string error;
    auto s = LabelSelector::Parse(in, &error);
    EXPECT_TRUE(s.has_value() || !error.empty()) << in;
  }
}

TEST(LabelSelectorJson, MatchLabelsAndExpressions) {
  std::string error;
  auto s = LabelSelector::FromJson(json::parse(R"({
      "matchLabels": {"role": "worker"},
      "matchExpressions": [
        {"key": "zone", "operator": "In", "values": ["a", "b"]},
        {"key": "gpu", "operator": "DoesNotExist"},
        {"key": "rdma", "operator": "Exists"},
        {"key": "tier", "operator": "NotIn", "values": ["x"]}]})"),
                                   &error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->String(), "!gpu,rdma,role=worker,tier notin (x),zone in (a,b)");
  EXPECT_TRUE(s->Matches(Labels{{"role", "worker"}, {"zone", "a"}, {"rdma", "1"}}));
  EXPECT_FALSE(s->Matches(Labels{{"role", "worker"}, {"zone", "a"}, {"rdma", "1"}, {"gpu", "1"}}));
  EXPECT_FALSE(s->Matches(Labels{{"role", "worker"}, {"zone", "c"}, {"rdma", "1"}}));
  EXPECT_FALSE(s->Matches(Labels{{"role", "worker"}, {"zone", "a"}, {"rdma", "1"}, {"tier", "x"}}));
  EXPECT_FALSE(s->Matches(Labels{{"zone", "a"}, {"rdma", "1"}}));
}

TEST(LabelSelectorJson, EmptyMatchesEverythingNullMatchesNothing) {
  std::string error;
  auto empty = LabelSelector::FromJson(json::object(), &error);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->MatchesEverything());
  EXPECT_TRUE(empty->Matches(Labels{}));
  auto also_empty =
      LabelSelector::FromJson(json{{"matchLabels", json::object()}, {"matchExpressions", json::array()}}, &error);
  ASSERT_TRUE(also_empty);
  EXPECT_TRUE(also_empty->MatchesEverything());
  auto nothing = LabelSelector::FromJson(nullptr, &error);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->MatchesNothing());
  EXPECT_FALSE(nothing->MatchesEverything());
  EXPECT_FALSE(nothing->Matches(Labels{}));
  EXPECT_FALSE(nothing->Matches(Labels{{"a", "b"}}));
}

TEST(LabelSelectorJson, RejectsWhatLabelSelectorAsSelectorRejects) {
  struct Case {
    std::string selector, error;
  };
  const Case cases[] = {
      {R"({"matchExpressions":[{"key":"a","operator":"Equals","values":["x"]}]})",
       "\"Equals\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a"}]})", "\"\" is not a valid label selector operator"},
      {R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})",
       "values: Invalid value: []string{\"x\"}: values set must be empty for exists and does not exist"},
      {R"({"matchExpressions":[{"key":"a","operator":"In"}]})",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchExpressions":[{"key":"a","operator":"NotIn","values":[]}]})",
       "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty"},
      {R"({"matchLabels":{"bad key":"x"}})",
       "key: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and "
       "must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
       "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
  };
  for (const auto& tc : cases) {
    std::string error;
    EXPECT_FALSE(LabelSelector::FromJson(json::parse(tc.selector), &error)) << tc.selector;
    EXPECT_EQ(error, tc.error) << tc.selector;
  }
}

TEST(LabelSelectorJson, WronglyTypedFieldsAreErrorsNotCrashes) {
  const char* inputs[] = {
      R"("tier=a")",
      R"([])",
      R"(5)",
      R"({"matchLabels":[]})",
      R"({"matchLabels":{"a":1}})",
      R"({"matchExpressions":{}})",
      R"({"matchExpressions":["a"]})",
      R"({"matchExpressions":[{"key":5,"operator":"Exists"}]})",
      R"({"matchExpressions":[{"key":"a","operator":true}]})",
      R"({"matchExpressions":[{"key":"a","operator":"In","values":"x"}]})",
      R"({"matchExpressions":[{"key":"a","operator":"In","values":[1]}]})",
  };
  for (const char* in : inputs) {
    std::string error;
    EXPECT_FALSE(LabelSelector::FromJson(json::parse(in), &error)) << in;
    EXPECT_FALSE(error.empty()) << in;
  }
}

TEST(LabelSelectorMatches, JsonLabelsObject) {
  auto s = MustParse("a=1");
  EXPECT_TRUE(s.Matches(json{{"a", "1"}, {"b", "2"}}));
  EXPECT_FALSE(s.Matches(json(nullptr)));
  EXPECT_FALSE(s.Matches(json::array()));
  EXPECT_FALSE(s.Matches(json{{"a", 1}}));  // not a string: ignored
  EXPECT_TRUE(MustParse("!a").Matches(json(nullptr)));
  EXPECT_TRUE(LabelSelector::FromSet({{"a", "1"}}).Matches(json{{"a", "1"}}));
  EXPECT_TRUE(LabelSelector::FromSet({}).MatchesEverything());
}

TEST(LabelSyntax, KeysAndValues) {
  EXPECT_EQ(ValidateLabelKey("app"), std::nullopt);
  EXPECT_EQ(ValidateLabelKey("rdma.dev/pf-name_1.x"), std::nullopt);
  EXPECT_EQ(ValidateLabelKey("A.b"), std::nullopt);
  EXPECT_NE(ValidateLabelKey(""), std::nullopt);
  EXPECT_NE(ValidateLabelKey("-a"), std::nullopt);
  EXPECT_NE(ValidateLabelKey("a/b/c"), std::nullopt);
  EXPECT_NE(ValidateLabelKey("/a"), std::nullopt);
  EXPECT_EQ(QualifiedNameErrors("a/"),
            (std::vector<std::string>{"name part must be non-empty",
                                      "name part must consist of alphanumeric characters, '-', '_' or '.', "
                                      "and must start and end with an alphanumeric character (e.g. 'MyName',  "
                                      "or 'my.name',  or '123-abc', regex used for validation is "
                                      "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"}));
  EXPECT_EQ(ValidateLabelValue(""), std::nullopt);
  EXPECT_EQ(ValidateLabelValue("v1.2_x-y"), std::nullopt);
  EXPECT_NE(ValidateLabelValue("a b"), std::nullopt);
  EXPECT_NE(ValidateLabelValue("a-"), std::nullopt);
  EXPECT_EQ(ValidateLabelValue(std::string(63, 'x')), std::nullopt);
  EXPECT_EQ(ValidateLabelValue(std::string(64, 'x')), "must be no more than 63 characters");
}

TEST(LabelSyntax, DnsNames) {
  EXPECT_TRUE(Dns1123SubdomainErrors("example.com").empty());
  EXPECT_TRUE(Dns1123SubdomainErrors("a").empty());
  EXPECT_FALSE(Dns1123SubdomainErrors("a..b").empty());
  EXPECT_FALSE(Dns1123SubdomainErrors("Bad_Name").empty());
  EXPECT_FALSE(Dns1123SubdomainErrors("").empty());
  EXPECT_EQ(Dns1123SubdomainErrors(std::string(254, 'a')).front(), "must be no more than 253 characters");
  EXPECT_TRUE(Dns1123LabelErrors("my-ns").empty());
  EXPECT_EQ(Dns1123LabelErrors("a.b"), std::vector<std::string>{"must not contain dots"});
  EXPECT_EQ(Dns1123LabelErrors("A"),
            std::vector<std::string>{"a lowercase RFC 1123 label must consist of lower case alphanumeric characters "
                                     "or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                                     "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"});
}

}  // namespace
}  // namespace kube
