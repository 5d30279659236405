#include "services/events/src/domain/recurrence.h"

#include <gtest/gtest.h>

#include "libs/status/status.h"
#include "services/events/src/domain/calendar.h"

namespace events::domain {
namespace {

absl::TimeZone Chicago() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/Chicago", &zone));
  return zone;
}

Time Utc(int y, int m, int d, int hh, int mm) {
  const absl::Time t = absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
  return Time(std::chrono::milliseconds(absl::ToUnixMillis(t)));
}

EventDetails At(Time start) {
  return {.title = "Monthly alumni meeting",
          .kind = EventKind::kAlumniMeeting,
          .start = start,
          .end = start + std::chrono::minutes(90),
          .time_zone = "America/Chicago",
          .venue = "Community room",
          .capacity = 40,
          .visibility = Visibility::kMembers};
}

TEST(ValidateRecurrence, NamesTheBadField) {
  EXPECT_TRUE(ValidateRecurrence({Frequency::kWeekly, 2}).ok());
  EXPECT_TRUE(ValidateRecurrence({Frequency::kMonthly, 52}).ok());
  EXPECT_EQ(hc::InvalidFieldName(ValidateRecurrence({Frequency::kUnspecified, 4})),
            "recurrence.frequency");
  EXPECT_EQ(hc::InvalidFieldName(ValidateRecurrence({Frequency::kWeekly, 1})), "recurrence.count");
  EXPECT_EQ(hc::InvalidFieldName(ValidateRecurrence({Frequency::kWeekly, 53})), "recurrence.count");
}

TEST(Occurrences, WeeklyKeepsTheLocalTimeAcrossDaylightSavingTime) {
  // Tuesday 2026-10-27, 7 pm in Chicago (CDT, UTC-5) = 00:00Z on the 28th; DST ends Nov 1.
  auto series = Occurrences(At(Utc(2026, 10, 28, 0, 0)), {Frequency::kWeekly, 3}, Chicago());
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(UtcDateTime(series[0].start), "20261028T000000Z");
  EXPECT_EQ(UtcDateTime(series[1].start), "20261104T010000Z");  // 7 pm CST = 01:00Z
  EXPECT_EQ(UtcDateTime(series[2].start), "20261111T010000Z");
  EXPECT_EQ(series[1].end - series[1].start, std::chrono::minutes(90));
  EXPECT_EQ(series[2].title, "Monthly alumni meeting");
}

TEST(Occurrences, MonthlyIsTheSameWeekdayOfTheSameWeek) {
  // The first Tuesday: 2026-12-01, 6:30 pm CST = 00:30Z on the 2nd.
  auto series = Occurrences(At(Utc(2026, 12, 2, 0, 30)), {Frequency::kMonthly, 4}, Chicago());
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(UtcDateTime(series[1].start), "20270106T003000Z");  // Tue Jan 5
  EXPECT_EQ(UtcDateTime(series[2].start), "20270203T003000Z");  // Tue Feb 2
  EXPECT_EQ(UtcDateTime(series[3].start), "20270303T003000Z");  // Tue Mar 2 (still CST)
}

TEST(Occurrences, MonthlyFromTheFifthWeekMeansTheLastWeekday) {
  // Thursday 2026-10-29 is the fifth Thursday; November's last is the 26th, December's the 31st.
  auto series = Occurrences(At(Utc(2026, 10, 29, 17, 0)), {Frequency::kMonthly, 3}, Chicago());
  ASSERT_EQ(series.size(), 3u);
  EXPECT_EQ(UtcDateTime(series[1].start), "20261126T180000Z");  // noon CST
  EXPECT_EQ(UtcDateTime(series[2].start), "20261231T180000Z");
}

}  // namespace
}  // namespace events::domain
