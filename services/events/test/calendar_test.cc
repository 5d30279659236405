#include "services/events/src/domain/calendar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace events::domain {
namespace {

using ::testing::HasSubstr;

// 2026-11-27T12:00:00Z
const Time kNow{std::chrono::milliseconds(1795780800000)};

Event Meeting() {
  Event e;
  e.event_id = "5d1c5f3e-8b0a-4c47-9a51-3f1d2b6c7e80";
  e.details = {.title = "Alumni meeting; potluck, games \\ more",
               .description = "Line one\nLine two",
               .kind = EventKind::kAlumniMeeting,
               .start = kNow + std::chrono::hours(30),
               .end = kNow + std::chrono::hours(32),
               .time_zone = "America/Chicago",
               .venue = "Hall B, 12 Elm St",
               .capacity = 40,
               .visibility = Visibility::kMembers};
  e.sequence = 3;
  e.created_at = kNow;
  e.updated_at = kNow;
  return e;
}

std::vector<std::string> Lines(const std::string& ics) {
  std::vector<std::string> lines;
  size_t at = 0;
  while (at < ics.size()) {
    size_t end = ics.find("\r\n", at);
    EXPECT_NE(end, std::string::npos) << "every line ends with CRLF";
    if (end == std::string::npos) break;
    lines.push_back(ics.substr(at, end - at));
    at = end + 2;
  }
  return lines;
}

TEST(EscapeText, EscapesWhatRfc5545Requires) {
  EXPECT_EQ(EscapeText("a,b;c\\d"), "a\\,b\\;c\\\\d");
  EXPECT_EQ(EscapeText("one\ntwo\r\nthree"), "one\\ntwo\\nthree");
  EXPECT_EQ(EscapeText("plain: colon"), "plain: colon");
}

TEST(FoldLine, FoldsAt75OctetsWithALeadingSpace) {
  const std::string line = "DESCRIPTION:" + std::string(200, 'x');
  const std::string folded = FoldLine(line);
  auto lines = Lines(folded);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].size(), 75u);
  EXPECT_EQ(lines[1].size(), 75u);
  EXPECT_EQ(lines[1][0], ' ');
  std::string unfolded = lines[0] + lines[1].substr(1) + lines[2].substr(1);
  EXPECT_EQ(unfolded, line);
  EXPECT_EQ(FoldLine("SHORT:x"), "SHORT:x\r\n");
}

TEST(FoldLine, NeverSplitsAUtf8Character) {
  std::string line = "SUMMARY:";
  for (int i = 0; i < 40; ++i) line += "\xC3\xA9";  // é, two octets each
  line += "\xF0\x9F\x99\x82";                       // 🙂, four octets
  for (const auto& l : Lines(FoldLine(line))) {
    EXPECT_LE(l.size(), 75u);
    std::string_view content(l);
    if (content.front() == ' ') content.remove_prefix(1);
    EXPECT_NE(static_cast<unsigned char>(content.front()) & 0xC0, 0x80) << "starts mid-character";
  }
}

TEST(UtcDateTime, IsBasicFormatUtc) {
  EXPECT_EQ(UtcDateTime(kNow), "20261127T120000Z");
  EXPECT_EQ(UtcDateTime(kNow + std::chrono::milliseconds(59999)), "20261127T120059Z");
}

TEST(RenderCalendar, PublishesOneVeventWithStableUidAndSequence) {
  const std::string ics = RenderCalendar({Meeting()}, CalendarMethod::kPublish, kNow);
  auto lines = Lines(ics);
  ASSERT_GE(lines.size(), 4u);
  EXPECT_EQ(lines.front(), "BEGIN:VCALENDAR");
  EXPECT_EQ(lines.back(), "END:VCALENDAR");
  EXPECT_THAT(lines, ::testing::Contains("METHOD:PUBLISH"));
  EXPECT_THAT(lines,
              ::testing::Contains("UID:5d1c5f3e-8b0a-4c47-9a51-3f1d2b6c7e80@events.homecoming"));
  EXPECT_THAT(lines, ::testing::Contains("SEQUENCE:3"));
  EXPECT_THAT(lines, ::testing::Contains("DTSTART:20261128T180000Z"));
  EXPECT_THAT(lines, ::testing::Contains("STATUS:CONFIRMED"));
  EXPECT_THAT(lines, ::testing::Contains("SUMMARY:Alumni meeting\\; potluck\\, games \\\\ more"));
  EXPECT_THAT(lines, ::testing::Contains("DESCRIPTION:Line one\\nLine two"));
  EXPECT_THAT(lines, ::testing::Contains("LOCATION:Hall B\\, 12 Elm St"));
  for (const auto& l : lines) EXPECT_LE(l.size(), 75u) << l;
}

TEST(RenderCalendar, ACancelledEventIsMethodCancelAndStatusCancelled) {
  Event e = Meeting();
  e.status = EventStatus::kCancelled;
  e.sequence = 4;
  const std::string ics = RenderCalendar({e}, CalendarMethod::kCancel, kNow);
  EXPECT_THAT(ics, HasSubstr("\r\nMETHOD:CANCEL\r\n"));
  EXPECT_THAT(ics, HasSubstr("\r\nSTATUS:CANCELLED\r\n"));
  EXPECT_THAT(ics, HasSubstr("\r\nSEQUENCE:4\r\n"));
}

TEST(RenderCalendar, AnOnlineEventHasItsLink) {
  Event e = Meeting();
  e.details.venue.clear();
  e.details.online_url = "https://meet.example.org/alumni?id=1,2";
  const std::string ics = RenderCalendar({e}, CalendarMethod::kPublish, kNow);
  EXPECT_THAT(ics, HasSubstr("\r\nURL:https://meet.example.org/alumni?id=1,2\r\n"));
  EXPECT_THAT(ics, HasSubstr("\r\nLOCATION:Online\r\n"));
}

}  // namespace
}  // namespace events::domain
