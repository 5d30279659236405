#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "services/membership/src/domain/member.h"

namespace membership::domain {

enum class MilestoneKind { kDays30 = 1, kDays60, kDays90, kMonths6, kYears };

struct Milestone {
  MilestoneKind kind;
  int years = 0;  // for kYears
  Date reached_on;
  // Stable name, unique per member: "30d", "60d", "90d", "6m", "1y", "2y", ...
  std::string Key() const;
  friend bool operator==(const Milestone&, const Milestone&) = default;
};

// Milestones of a sobriety that began on `since` that fall on a day in [from, to] (inclusive):
// 30, 60 and 90 days, 6 months, then every year. Month and year steps are calendar steps
// (a 29 February start counts its years on 28 February in common years).
std::vector<Milestone> MilestonesBetween(const Date& since, const Date& from, const Date& to);

// The milestone to announce on `today` (the member's own calendar day): the latest one reached
// from `opted_in_on` (the day they chose to celebrate) to `today`, both inclusive. Only the
// latest: after an outage that skipped several, one late announcement rather than none (the job
// used to look back a fixed week and drop anything older) or a burst. The caller announces it
// unless it already did. nullopt when nothing was reached since opting in.
std::optional<Milestone> MilestoneDue(const Date& since, const Date& opted_in_on,
                                      const Date& today);

// The calendar day at `now` in `zone`: milestones fall on the member's own day, not UTC's.
Date LocalDate(std::chrono::system_clock::time_point now, const absl::TimeZone& zone);

enum class Eligibility { kYes = 1, kNo, kUnknown };

// "Sober at least `min_days` days on `today`?" The day sobriety began counts as day 0.
Eligibility SoberAtLeast(const std::optional<Date>& since, int min_days, const Date& today);

// CheckEligibility answers only the thresholds of the milestone ladder: 30, 60, 90 and 180
// days, and whole years (multiples of 365, up to 100 years). Any number would let a caller
// bisect the sobriety date in about 16 calls. INVALID_ARGUMENT naming min_sober_days otherwise.
absl::Status ValidateMinSoberDays(int days);

// A caller may ask about at most this many distinct thresholds per member in a rolling 24 hours
// (asking one again is free): enough for a role's requirement, too few to narrow the date down.
inline constexpr int kMaxDistinctThresholdsPerDay = 3;
// Whether a caller who asked about `asked` (distinct thresholds, this member, last 24 h) may ask
// about `days` now.
bool ThresholdAllowed(const std::set<int>& asked, int days);

Date AddDays(const Date& d, int days);
int DaysBetween(const Date& from, const Date& to);

}  // namespace membership::domain
