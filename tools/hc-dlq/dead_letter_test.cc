#include "tools/hc-dlq/dead_letter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace hc::dlq {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

DeadLetter Letter() {
  return DeadLetter{.topic = "alumni.dlq.notifications",
                    .partition = 1,
                    .offset = 42,
                    .timestamp_ms = 1796024920123,  // 2026-11-30T07:48:40.123Z
                    .key = "member-7",
                    .value = "\x0a\x03secret",
                    .headers = {{"ce_id", "evt-1"},
                                {"ce_type", "alumni.events.v1.RsvpConfirmed"},
                                {"dlq_topic", "alumni.events.v1"},
                                {"dlq_partition", "2"},
                                {"dlq_offset", "17"},
                                {"dlq_error", "cannot handle\nsecond line"},
                                {"dlq_consumer_group", "notifications-events"}}};
}

TEST(ListLine, ShowsPositionTimeOriginTypeIdAndTheErrorsFirstLine) {
  EXPECT_EQ(ListLine(Letter(), false),
            "1:42 2026-11-30T07:48:40.123Z held origin=alumni.events.v1:2@17 "
            "type=alumni.events.v1.RsvpConfirmed id=evt-1 group=notifications-events "
            "error=cannot handle ...");
  EXPECT_THAT(ListLine(Letter(), true), HasSubstr(" replayed "));
}

TEST(ListLine, NeverShowsThePayload) {
  EXPECT_THAT(ListLine(Letter(), false), Not(HasSubstr("secret")));
  EXPECT_THAT(ListJson(Letter(), false).dump(), Not(HasSubstr("secret")));
  EXPECT_THAT(InspectText(Letter(), false, /*with_payload=*/false), Not(HasSubstr("secret")));
  EXPECT_THAT(InspectJson(Letter(), false, /*with_payload=*/false).dump(),
              Not(HasSubstr("secret")));
}

TEST(ListLine, MissingHeadersShowAsQuestionMarks) {
  DeadLetter letter{.topic = "alumni.dlq.x", .partition = 0, .offset = 0};
  EXPECT_EQ(ListLine(letter, false), "0:0 - held origin=?:?@? type=? id=? group=? error=");
}

TEST(ListJson, CarriesTheSameFields) {
  auto json = ListJson(Letter(), true);
  EXPECT_EQ(json["partition"], 1);
  EXPECT_EQ(json["offset"], 42);
  EXPECT_EQ(json["replayed"], true);
  EXPECT_EQ(json["origin_topic"], "alumni.events.v1");
  EXPECT_EQ(json["origin_offset"], "17");
  EXPECT_EQ(json["id"], "evt-1");
  EXPECT_EQ(json["error"], "cannot handle ...");
}

TEST(ErrorSummary, KeepsTheFirstLineBoundedWithoutSplittingACharacter) {
  EXPECT_EQ(ErrorSummary("short"), "short");
  EXPECT_EQ(ErrorSummary("one\ntwo"), "one ...");
  EXPECT_EQ(ErrorSummary(std::string(200, 'x')), std::string(kErrorSummaryLength, 'x') + "...");
  // "é" is two bytes; a cut between them backs up to before it.
  EXPECT_EQ(ErrorSummary("abé", 3), "ab...");
}

TEST(PrintableValue, TextAsIsAndBytesAsHex) {
  EXPECT_EQ(PrintableValue("plain text é"), "plain text é");
  EXPECT_EQ(PrintableValue(std::string("\x00\xff", 2)), "hex:00ff");
  EXPECT_EQ(PrintableValue("\x1b[31m"), "hex:1b5b33316d");  // no terminal escapes
}

TEST(InspectText, ShowsEveryHeaderTheWholeErrorAndThePayloadOnlyWhenAsked) {
  const std::string text = InspectText(Letter(), false, false);
  EXPECT_THAT(text, HasSubstr("position: alumni.dlq.notifications 1:42\n"));
  EXPECT_THAT(text, HasSubstr("origin: alumni.events.v1:2@17\n"));
  EXPECT_THAT(text, HasSubstr("  ce_id: evt-1\n"));
  EXPECT_THAT(text, HasSubstr("  dlq_consumer_group: notifications-events\n"));
  EXPECT_THAT(text, HasSubstr("error:\n  cannot handle\n  second line\n"));
  EXPECT_THAT(text, HasSubstr("payload: 8 bytes (--payload prints it)"));
  EXPECT_THAT(InspectText(Letter(), false, true), HasSubstr("hex:0a03736563726574"));
  DeadLetter json = Letter();
  json.value = R"({"member_id":"m-1"})";
  EXPECT_THAT(InspectText(json, false, true), HasSubstr(R"({"member_id":"m-1"})"));
}

TEST(ReplayHeaders, DropTheDeadLetterHeadersAndMarkTheReplay) {
  DeadLetter letter = Letter();
  letter.headers.emplace_back(kReplayOf, "alumni.dlq.notifications:0:3");  // an earlier replay
  Headers headers = ReplayHeaders(letter);
  EXPECT_EQ(headers, (Headers{{"ce_id", "evt-1"},
                              {"ce_type", "alumni.events.v1.RsvpConfirmed"},
                              {kReplayOf, "alumni.dlq.notifications:1:42"}}));
}

}  // namespace
}  // namespace hc::dlq
