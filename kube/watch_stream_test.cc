#include "kube/watch_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kube {
namespace {

std::vector<std::string> Split(const std::vector<std::string>& chunks) {
  std::vector<std::string> lines;
  LineSplitter s;
  auto take = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  for (const auto& c : chunks) EXPECT_TRUE(s.Feed(c, take));
  EXPECT_TRUE(s.Finish(take));
  return lines;
}

TEST(LineSplitterTest, LinesSurviveAnyChunkBoundary) {
  const std::string body = "{\"a\":1}\r\n{\"b\":2}\n\n{\"c\":3}\n";
  for (size_t cut = 0; cut <= body.size(); ++cut) {
    EXPECT_EQ(Split({body.substr(0, cut), body.substr(cut)}),
              (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}))
        << "cut at " << cut;
  }
}

TEST(LineSplitterTest, LastLineWithoutNewlineIsHandedOutAtFinish) {
  EXPECT_EQ(Split({"one\ntw", "o\r"}), (std::vector<std::string>{"one", "two"}));
}

TEST(LineSplitterTest, StopsWhenTheConsumerSaysSo) {
  LineSplitter s;
  std::vector<std::string> seen;
  auto first_only = [&](std::string_view l) {
    seen.emplace_back(l);
    return false;
  };
  EXPECT_FALSE(s.Feed("a\nb\nc", first_only));
  EXPECT_FALSE(s.Feed("d\n", first_only));
  EXPECT_FALSE(s.Finish(first_only));
  EXPECT_EQ(seen, std::vector<std::string>{"a"});
}

TEST(DecodeWatchEventTest, AnEventCarriesItsTypeAndObject) {
  auto e = DecodeWatchEvent(R"({"type":"ADDED","object":{"metadata":{"name":"x"}}})", "watch pods");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->type, "ADDED");
  EXPECT_EQ(e->object["metadata"]["name"], "x");
}

TEST(DecodeWatchEventTest, AnErrorEventIsTheApiErrorItsStatusDescribes) {
  auto e = DecodeWatchEvent(
      R"j({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (5)"}})j",
      "watch pods");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, 410);
  EXPECT_NE(e.error().message.find("too old resource version"), std::string::npos) << e.error().message;
}

TEST(DecodeWatchEventTest, AnErrorEventWithoutACodeIsA500) {
  auto e = DecodeWatchEvent(R"({"type":"ERROR","object":"gone"})", "watch pods");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, 500);
}

// Found by fuzz/watch_stream_fuzz: a Status whose "kind" was a number made
// ApiError::FromResponse throw, which would have ended the watching process.
TEST(DecodeWatchEventTest, AnErrorEventWithFieldsOfTheWrongTypeIsStillAnError) {
  auto e = DecodeWatchEvent(R"({"type":"ERROR","object":{"kind":204,"reason":[],"message":{},"code":410,
                                 "details":{"causes":[{"reason":1}]}}})",
                            "watch pods");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, 410);
  EXPECT_EQ(e.error().reason, "Expired");
}

TEST(DecodeWatchEventTest, MalformedLinesAreTransportErrorsQuotingTheLine) {
  for (std::string line : {"not json", "[1,2]", R"({"object":{}})", R"({"type":7})", "{\"type\":\"ADDED\""}) {
    auto e = DecodeWatchEvent(line, "watch pods");
    ASSERT_FALSE(e) << line;
    EXPECT_TRUE(IsTransport(e.error())) << line;
    EXPECT_NE(e.error().message.find("malformed watch event: " + line.substr(0, 5)), std::string::npos)
        << e.error().message;
    EXPECT_NE(e.error().message.find("watch pods"), std::string::npos) << e.error().message;
  }
}

}  // namespace
}  // namespace kube
