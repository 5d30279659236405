#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

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
