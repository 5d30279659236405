#pragma once

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "libs/tz/time_zones.h"

// Peer mentorship's rules, in plain C++: who may mentor whom, and the deterministic score that
// ranks the mentors proposed to a request (documented in services/volunteering/README.md,
// "Mentorship").
namespace volunteering::mentorship {

inline constexpr int kMinCapacity = 1;
inline constexpr int kMaxCapacity = 5;
inline constexpr int kMaxProposals = 3;
// At least this much weekly overlap of both availabilities, in each of the coming two weeks.
inline constexpr int kMinOverlapMinutes = 120;
inline constexpr int kMaxWindows = 21;
inline constexpr int kMaxTags = 10;
inline constexpr int kMaxLanguages = 5;

// A weekly window in its owner's local time: `day` 0 = Monday .. 6 = Sunday, minutes after
// local midnight, end after start (1440 = the next midnight). A window is wall-clock time, so
// it moves against UTC when its zone changes to or from daylight saving time.
struct WeeklyWindow {
  int day = 0;
  int start_minute = 0;
  int end_minute = 0;
  bool operator==(const WeeklyWindow&) const = default;
};

// Which of a person's addresses (kept in membership) the other party of a match they start may
// see in the introduction. Nothing unless they chose it.
struct ContactSharing {
  bool email = false;
  bool phone = false;
  bool operator==(const ContactSharing&) const = default;
};

// Someone's availability: windows in their own IANA zone.
struct Availability {
  std::string time_zone;
  std::vector<WeeklyWindow> windows;
};

// What matching needs of a mentor (their introduction and gender in clear never reach here).
struct MentorCandidate {
  std::string member_id;
  int capacity = 0;
  // Active matches plus chosen ones awaiting the mentor's answer: both hold a place.
  int load = 0;
  bool accepting = false;
  std::vector<std::string> programs;
  std::vector<std::string> interests;
  std::vector<std::string> languages;
  Availability availability;
  // Keyed fingerprint of the normalised self-described gender; empty when not given.
  std::string gender_fingerprint;
};

struct MenteeRequest {
  std::string member_id;
  std::vector<std::string> programs;
  std::vector<std::string> interests;
  // Required: the mentor must speak it.
  std::string language;
  Availability availability;
  bool same_gender = false;
  std::string gender_fingerprint;
  ContactSharing share_contact;
  // Mentors blocked by the mentee or who blocked the mentee (either direction).
  std::set<std::string> blocked;
};

// The points of one proposal; total = focus + interests + overlap + load.
struct ScoreBreakdown {
  int shared_programs = 0;
  int shared_interests = 0;
  // The smaller of the two coming weeks' overlaps.
  int overlap_minutes = 0;
  int focus_points = 0;
  int interest_points = 0;
  int overlap_points = 0;
  int load_points = 0;
  int total = 0;
  bool operator==(const ScoreBreakdown&) const = default;
};

struct Proposal {
  std::string mentor_id;
  ScoreBreakdown score;
  bool operator==(const Proposal&) const = default;
};

// Why a mentor is not proposed (the first rule that says no, in this order).
enum class Ineligible {
  kNone,
  kSelf,
  kNotAccepting,
  kFull,
  kBlocked,
  kGender,
  kLanguage,
  kOverlap,
};

enum class MatchStatus {
  kChosen = 1,
  kActive = 2,
  kDeclined = 3,
  kExpired = 4,
  kEnded = 5,
  kPaused = 6,
};
enum class EndReason { kCompleted = 1, kNotAFit = 2, kNoTime = 3, kOther = 4, kMemberLeft = 5 };

// A mentee's choice of a mentor and, once the mentor accepts, their match.
struct Match {
  std::string match_id;
  std::string request_id;
  std::string mentor_id;
  std::string mentee_id;
  MatchStatus status = MatchStatus::kChosen;
  absl::Time respond_by;
  absl::Time created_at;
  absl::Time started_at = absl::InfinitePast();
  // Active and paused matches hold one of the mentor's places.
  bool HoldsPlace() const {
    return status == MatchStatus::kActive || status == MatchStatus::kPaused;
  }
  bool Live() const { return HoldsPlace() || status == MatchStatus::kChosen; }
};

// INVALID_ARGUMENT naming the field (`field`.time_zone, `field`.windows).
absl::Status ValidateAvailability(const Availability& a, const hc::tz::SystemTimeZones& zones,
                                  const std::string& field);
// Programs, interests and languages: 1 to 40 of a-z, 0-9 and '-' (stored as text arrays).
bool IsTag(std::string_view v);
// capacity 1..5, up to kMaxTags programs and interests, 1..kMaxLanguages languages.
absl::Status ValidateProfileShape(int capacity, const std::vector<std::string>& programs,
                                  const std::vector<std::string>& interests,
                                  const std::vector<std::string>& languages);

// Minutes both are available in [from, from + 7 days), each window placed on the calendar
// in its own zone, so a DST change in one zone moves only that side's windows.
int WeeklyOverlapMinutes(const Availability& a, const Availability& b, absl::Time from,
                         const hc::tz::SystemTimeZones& zones);
// The smaller of the overlaps of the week starting `now` and the week after.
int CommonOverlapMinutes(const Availability& a, const Availability& b, absl::Time now,
                         const hc::tz::SystemTimeZones& zones);

// The eligibility rules without the overlap (cheap; checked first).
Ineligible CheckBasics(const MenteeRequest& request, const MentorCandidate& mentor);

ScoreBreakdown Score(const MenteeRequest& request, const MentorCandidate& mentor,
                     int overlap_minutes);

// Up to `limit` eligible mentors, highest total first, ties by member id ascending: the same
// inputs give the same list whatever the order of `mentors`.
std::vector<Proposal> Rank(const MenteeRequest& request,
                           const std::vector<MentorCandidate>& mentors, absl::Time now,
                           const hc::tz::SystemTimeZones& zones, int limit = kMaxProposals);

// Lower case, inner runs of white space as one space, trimmed: "Non-Binary " and
// "non-binary" match.
std::string NormaliseGender(std::string_view gender);

}  // namespace volunteering::mentorship
