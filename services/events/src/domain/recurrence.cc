#include "services/events/src/domain/recurrence.h"

#include "absl/time/civil_time.h"
#include "libs/status/status.h"

namespace events::domain {
namespace {

absl::Time ToAbsl(Time t) { return absl::FromUnixMillis(t.time_since_epoch().count()); }
Time FromAbsl(absl::Time t) { return Time(std::chrono::milliseconds(absl::ToUnixMillis(t))); }

// The `week`-th (0-based) `weekday` of the month of `month`; week 4 means the last one.
absl::CivilDay NthWeekday(absl::CivilMonth month, absl::Weekday weekday, int week) {
  if (week >= 4) {
    absl::CivilDay last = absl::CivilDay(month + 1) - 1;
    while (absl::GetWeekday(last) != weekday) --last;
    return last;
  }
  absl::CivilDay day(month);
  while (absl::GetWeekday(day) != weekday) ++day;
  return day + 7 * week;
}

}  // namespace

absl::Status ValidateRecurrence(const Recurrence& r) {
  if (r.frequency != Frequency::kWeekly && r.frequency != Frequency::kMonthly) {
    return hc::InvalidField("recurrence.frequency", "must be WEEKLY or MONTHLY");
  }
  if (r.count < kMinOccurrences || r.count > kMaxOccurrences) {
    return hc::InvalidField("recurrence.count", "must be 2 to 52");
  }
  return absl::OkStatus();
}

std::vector<EventDetails> Occurrences(const EventDetails& first, const Recurrence& recurrence,
                                      const absl::TimeZone& zone) {
  const absl::CivilSecond start = absl::ToCivilSecond(ToAbsl(first.start), zone);
  const absl::CivilDay first_day(start);
  const auto time_of_day = start - absl::CivilSecond(first_day);
  const absl::Weekday weekday = absl::GetWeekday(first_day);
  const int week_of_month = (first_day.day() - 1) / 7;
  const auto duration = first.end - first.start;
  std::vector<EventDetails> out;
  for (int i = 0; i < recurrence.count; ++i) {
    absl::CivilDay day = recurrence.frequency == Frequency::kWeekly
                             ? first_day + 7 * i
                             : NthWeekday(absl::CivilMonth(first_day) + i, weekday, week_of_month);
    EventDetails d = first;
    d.start = FromAbsl(absl::FromCivil(absl::CivilSecond(day) + time_of_day, zone)) +
              (first.start - std::chrono::floor<std::chrono::seconds>(first.start));
    d.end = d.start + duration;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace events::domain
