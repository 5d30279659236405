#include "services/volunteering/src/domain/mentorship.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "libs/status/status.h"

namespace volunteering::mentorship {
namespace {

using Interval = std::pair<absl::Time, absl::Time>;

int Shared(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::set<std::string> left(a.begin(), a.end());
  int n = 0;
  for (const auto& x : std::set<std::string>(b.begin(), b.end())) n += left.contains(x) ? 1 : 0;
  return n;
}

// absl::Weekday counts Monday first, as WeeklyWindow::day does.
int DayIndex(absl::Weekday d) { return static_cast<int>(d); }

// The windows' occurrences that touch [from, until), as absolute times, merged and sorted.
// Each occurrence is placed through its own zone on its own date: that is what makes the
// result right across a DST change (a 19:00 window is 19:00 local before and after it).
std::vector<Interval> Occurrences(const Availability& a, absl::Time from, absl::Time until,
                                  const hc::tz::SystemTimeZones& zones) {
  std::vector<Interval> out;
  auto zone = zones.Load(a.time_zone);
  if (!zone) return out;
  const absl::CivilDay first = absl::ToCivilDay(from, *zone) - 1;
  const absl::CivilDay last = absl::ToCivilDay(until, *zone) + 1;
  for (absl::CivilDay day = first; day <= last; ++day) {
    const int index = DayIndex(absl::GetWeekday(day));
    for (const auto& w : a.windows) {
      if (w.day != index) continue;
      const absl::CivilSecond midnight(day);
      absl::Time start = absl::FromCivil(midnight + w.start_minute * 60, *zone);
      absl::Time end = absl::FromCivil(midnight + w.end_minute * 60, *zone);
      start = std::max(start, from);
      end = std::min(end, until);
      if (start < end) out.emplace_back(start, end);
    }
  }
  std::sort(out.begin(), out.end());
  std::vector<Interval> merged;
  for (const auto& iv : out) {
    if (!merged.empty() && iv.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, iv.second);
    } else {
      merged.push_back(iv);
    }
  }
  return merged;
}

}  // namespace

bool IsTag(std::string_view v) {
  return !v.empty() && v.size() <= 40 && std::all_of(v.begin(), v.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::Status ValidateAvailability(const Availability& a, const hc::tz::SystemTimeZones& zones,
                                  const std::string& field) {
  if (!zones.Load(a.time_zone)) {
    return hc::InvalidField(field + ".time_zone", "must be an IANA time zone");
  }
  if (a.windows.empty() || a.windows.size() > kMaxWindows) {
    return hc::InvalidField(field + ".windows", "must hold 1 to 21 weekly windows");
  }
  for (const auto& w : a.windows) {
    if (w.day < 0 || w.day > 6 || w.start_minute < 0 || w.end_minute > 24 * 60 ||
        w.end_minute < w.start_minute + 15) {
      return hc::InvalidField(field + ".windows",
                              "each needs a day 0-6 and 15 minutes or more within that day");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateProfileShape(int capacity, const std::vector<std::string>& programs,
                                  const std::vector<std::string>& interests,
                                  const std::vector<std::string>& languages) {
  if (capacity < kMinCapacity || capacity > kMaxCapacity) {
    return hc::InvalidField("capacity", "must be 1 to 5");
  }
  if (programs.size() > kMaxTags) return hc::InvalidField("programs", "at most 10");
  if (interests.size() > kMaxTags) return hc::InvalidField("interests", "at most 10");
  if (languages.empty() || languages.size() > kMaxLanguages) {
    return hc::InvalidField("languages", "must name 1 to 5 languages");
  }
  for (const auto* list : {&programs, &interests, &languages}) {
    for (const auto& v : *list) {
      if (!IsTag(v)) {
        return hc::InvalidField(list == &programs    ? "programs"
                                : list == &interests ? "interests"
                                                     : "languages",
                                "each must be 1 to 40 of a-z, 0-9 and '-'");
      }
    }
  }
  return absl::OkStatus();
}

int WeeklyOverlapMinutes(const Availability& a, const Availability& b, absl::Time from,
                         const hc::tz::SystemTimeZones& zones) {
  const absl::Time until = from + absl::Hours(24 * 7);
  const auto x = Occurrences(a, from, until, zones);
  const auto y = Occurrences(b, from, until, zones);
  absl::Duration total;
  size_t i = 0, j = 0;
  while (i < x.size() && j < y.size()) {
    const absl::Time lo = std::max(x[i].first, y[j].first);
    const absl::Time hi = std::min(x[i].second, y[j].second);
    if (lo < hi) total += hi - lo;
    (x[i].second < y[j].second) ? ++i : ++j;
  }
  return static_cast<int>(absl::ToInt64Minutes(total));
}

int CommonOverlapMinutes(const Availability& a, const Availability& b, absl::Time now,
                         const hc::tz::SystemTimeZones& zones) {
  return std::min(WeeklyOverlapMinutes(a, b, now, zones),
                  WeeklyOverlapMinutes(a, b, now + absl::Hours(24 * 7), zones));
}

Ineligible CheckBasics(const MenteeRequest& request, const MentorCandidate& mentor) {
  if (mentor.member_id == request.member_id) return Ineligible::kSelf;
  if (!mentor.accepting) return Ineligible::kNotAccepting;
  if (mentor.capacity < kMinCapacity || mentor.load >= mentor.capacity) return Ineligible::kFull;
  if (request.blocked.contains(mentor.member_id)) return Ineligible::kBlocked;
  if (request.same_gender && (request.gender_fingerprint.empty() ||
                              mentor.gender_fingerprint != request.gender_fingerprint)) {
    return Ineligible::kGender;
  }
  if (std::find(mentor.languages.begin(), mentor.languages.end(), request.language) ==
      mentor.languages.end()) {
    return Ineligible::kLanguage;
  }
  return Ineligible::kNone;
}

ScoreBreakdown Score(const MenteeRequest& request, const MentorCandidate& mentor,
                     int overlap_minutes) {
  ScoreBreakdown s;
  s.shared_programs = Shared(request.programs, mentor.programs);
  s.shared_interests = Shared(request.interests, mentor.interests);
  s.overlap_minutes = overlap_minutes;
  s.focus_points = 30 * std::min(s.shared_programs, 2);
  s.interest_points = 10 * std::min(s.shared_interests, 5);
  s.overlap_points = 3 * std::clamp((overlap_minutes - kMinOverlapMinutes) / 60, 0, 10);
  // The share of places still free, so mentees spread over mentors in proportion to what each
  // offered rather than filling the best match first.
  const int capacity = std::max(mentor.capacity, 1);
  s.load_points = 40 * std::max(capacity - mentor.load, 0) / capacity;
  s.total = s.focus_points + s.interest_points + s.overlap_points + s.load_points;
  return s;
}

std::vector<Proposal> Rank(const MenteeRequest& request,
                           const std::vector<MentorCandidate>& mentors, absl::Time now,
                           const hc::tz::SystemTimeZones& zones, int limit) {
  std::vector<Proposal> all;
  for (const auto& mentor : mentors) {
    if (CheckBasics(request, mentor) != Ineligible::kNone) continue;
    const int overlap = CommonOverlapMinutes(request.availability, mentor.availability, now, zones);
    if (overlap < kMinOverlapMinutes) continue;
    all.push_back({mentor.member_id, Score(request, mentor, overlap)});
  }
  const auto better = [](const Proposal& a, const Proposal& b) {
    if (a.score.total != b.score.total) return a.score.total > b.score.total;
    return a.mentor_id < b.mentor_id;
  };
  const size_t n = std::min(all.size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(all.begin(), all.begin() + n, all.end(), better);
  all.resize(n);
  return all;
}

std::string NormaliseGender(std::string_view gender) {
  std::string out;
  bool space = false;
  for (char c : gender) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

}  // namespace volunteering::mentorship
