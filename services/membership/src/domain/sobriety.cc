#include "services/membership/src/domain/sobriety.h"

#include <chrono>

#include "absl/time/civil_time.h"
#include "libs/status/status.h"

namespace membership::domain {
namespace {

using std::chrono::sys_days;
using std::chrono::year_month_day;

sys_days ToDays(const Date& d) {
  return sys_days{std::chrono::year{d.year} / std::chrono::month{static_cast<unsigned>(d.month)} /
                  std::chrono::day{static_cast<unsigned>(d.day)}};
}

Date FromDays(sys_days days) {
  year_month_day ymd{days};
  return Date{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day()))};
}

// `d` plus whole calendar months, clamped to the month's last day.
Date AddMonths(const Date& d, int months) {
  int total = d.year * 12 + (d.month - 1) + months;
  int year = total / 12;
  int month = total % 12 + 1;
  auto last = year_month_day{std::chrono::year{year} /
                             std::chrono::month{static_cast<unsigned>(month)} / std::chrono::last};
  int day = std::min(d.day, static_cast<int>(static_cast<unsigned>(last.day())));
  return Date{year, month, day};
}

bool InRange(const Date& d, const Date& from, const Date& to) {
  return ToDays(from) <= ToDays(d) && ToDays(d) <= ToDays(to);
}

}  // namespace

std::string Milestone::Key() const {
  switch (kind) {
    case MilestoneKind::kDays30:
      return "30d";
    case MilestoneKind::kDays60:
      return "60d";
    case MilestoneKind::kDays90:
      return "90d";
    case MilestoneKind::kMonths6:
      return "6m";
    case MilestoneKind::kYears:
      return std::to_string(years) + "y";
  }
  return "?";
}

Date AddDays(const Date& d, int days) { return FromDays(ToDays(d) + std::chrono::days{days}); }

int DaysBetween(const Date& from, const Date& to) {
  return static_cast<int>((ToDays(to) - ToDays(from)).count());
}

std::vector<Milestone> MilestonesBetween(const Date& since, const Date& from, const Date& to) {
  std::vector<Milestone> out;
  auto consider = [&](MilestoneKind kind, int years, const Date& on) {
    if (InRange(on, from, to)) out.push_back(Milestone{kind, years, on});
  };
  consider(MilestoneKind::kDays30, 0, AddDays(since, 30));
  consider(MilestoneKind::kDays60, 0, AddDays(since, 60));
  consider(MilestoneKind::kDays90, 0, AddDays(since, 90));
  consider(MilestoneKind::kMonths6, 0, AddMonths(since, 6));
  for (int years = 1;; ++years) {
    Date on = AddMonths(since, 12 * years);
    if (ToDays(on) > ToDays(to)) break;
    consider(MilestoneKind::kYears, years, on);
  }
  return out;
}

std::optional<Milestone> MilestoneDue(const Date& since, const Date& opted_in_on,
                                      const Date& today) {
  std::vector<Milestone> reached = MilestonesBetween(since, opted_in_on, today);
  if (reached.empty()) return std::nullopt;
  // MilestonesBetween lists them in date order.
  return reached.back();
}

Date LocalDate(std::chrono::system_clock::time_point now, const absl::TimeZone& zone) {
  absl::CivilDay day = absl::ToCivilDay(absl::FromChrono(now), zone);
  return Date{static_cast<int>(day.year()), day.month(), day.day()};
}

Eligibility SoberAtLeast(const std::optional<Date>& since, int min_days, const Date& today) {
  if (!since) return Eligibility::kUnknown;
  return DaysBetween(*since, today) >= min_days ? Eligibility::kYes : Eligibility::kNo;
}

absl::Status ValidateMinSoberDays(int days) {
  const bool ladder = days == 30 || days == 60 || days == 90 || days == 180;
  const bool years = days > 0 && days % 365 == 0 && days <= 100 * 365;
  if (!ladder && !years) {
    return hc::InvalidField("min_sober_days", "must be 30, 60, 90, 180 or a multiple of 365");
  }
  return absl::OkStatus();
}

bool ThresholdAllowed(const std::set<int>& asked, int days) {
  return asked.contains(days) || static_cast<int>(asked.size()) < kMaxDistinctThresholdsPerDay;
}

}  // namespace membership::domain
