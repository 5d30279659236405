#pragma once

#include <optional>
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

absl::Status ValidateMinSoberDays(int days);

Date AddDays(const Date& d, int days);
int DaysBetween(const Date& from, const Date& to);

}  // namespace membership::domain
