#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/tz/time_zones.h"

namespace events::domain {

// Instants are kept to the millisecond, like PostgreSQL's timestamptz round trip through us.
using Time = std::chrono::sys_time<std::chrono::milliseconds>;

enum class EventKind {
  kUnspecified = 0,
  kAlumniMeeting,
  kSoberSocial,
  kPeerGroup,
  kWorkshop,
  kService
};
enum class Visibility { kUnspecified = 0, kPublic, kMembers, kUnlisted };
enum class EventStatus { kScheduled = 1, kCancelled };
enum class RsvpStatus { kGoing = 1, kWaitlisted, kCancelled };

// What a coordinator chooses about an event.
struct EventDetails {
  std::string title;
  std::string description;
  EventKind kind = EventKind::kUnspecified;
  Time start{};
  Time end{};
  std::string time_zone;
  // Exactly one of the two is set.
  std::string venue;
  std::string online_url;
  int capacity = 0;
  bool waitlist_enabled = true;
  Visibility visibility = Visibility::kUnspecified;
};

struct Event {
  std::string event_id;
  EventDetails details;
  EventStatus status = EventStatus::kScheduled;
  int going_count = 0;
  int waitlist_count = 0;
  std::string series_id;
  int sequence = 0;
  std::string created_by;
  Time created_at{};
  Time updated_at{};

  int SeatsLeft() const { return details.capacity - going_count; }
};

struct Rsvp {
  std::string event_id;
  std::string member_id;
  RsvpStatus status = RsvpStatus::kGoing;
  // 1 for the first in line; 0 unless waitlisted.
  int waitlist_position = 0;
  std::optional<Time> checked_in_at;
  Time created_at{};
  Time updated_at{};
};

// The fields of an event a coordinator may change; unset means unchanged. Setting venue clears
// online_url and the other way round.
struct EventChanges {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<EventKind> kind;
  std::optional<Time> start;
  std::optional<Time> end;
  std::optional<std::string> time_zone;
  std::optional<std::string> venue;
  std::optional<std::string> online_url;
  std::optional<int> capacity;
  std::optional<bool> waitlist_enabled;
  std::optional<Visibility> visibility;
};

using hc::tz::TimeZoneCatalog;

// Limits: generous for people, tight for abuse.
inline constexpr size_t kMaxTitleLength = 120;
inline constexpr size_t kMaxDescriptionLength = 4000;
inline constexpr size_t kMaxVenueLength = 300;
inline constexpr size_t kMaxUrlLength = 2000;
inline constexpr int kMaxCapacity = 10000;
inline constexpr auto kMaxDuration = std::chrono::days(14);
inline constexpr auto kMaxLeadTime = std::chrono::days(3 * 366);

// INVALID_ARGUMENT naming the first bad field. A new event must start after `now`.
absl::Status ValidateNewEvent(const EventDetails& details, const TimeZoneCatalog& zones, Time now);
// Applies `changes` to `event` (a copy) and returns the names of the fields that really changed,
// or INVALID_ARGUMENT / FAILED_PRECONDITION naming the field. Capacity can't go below the members
// already going; a cancelled event can't change; a new start must be after `now`.
absl::StatusOr<std::vector<std::string>> ApplyChanges(Event& event, const EventChanges& changes,
                                                      const TimeZoneCatalog& zones, Time now);

// --- Seats and the waitlist: the rules every RSVP path follows. ---

enum class Placement { kGoing, kWaitlisted };

// Where a new RSVP goes: GOING while seats remain, else WAITLISTED when the event has a
// waitlist. FAILED_PRECONDITION for a cancelled or started event, or a full one without a
// waitlist.
absl::StatusOr<Placement> PlaceRsvp(const Event& event, Time now);
// FAILED_PRECONDITION when an RSVP can no longer be withdrawn (event cancelled or started).
absl::Status CheckCancelRsvp(const Event& event, Time now);
// How many of the `waitlisted` move up (first in line first) when `capacity` seats exist and
// `going` are taken. Never more than the free seats, never negative.
int SeatsToPromote(int capacity, int going, int waitlisted);
// FAILED_PRECONDITION naming capacity when `capacity` is below the members already going.
absl::Status CheckCapacity(int capacity, int going);
// FAILED_PRECONDITION when the event can no longer change or be cancelled.
absl::Status CheckChangeable(const Event& event);
// FAILED_PRECONDITION unless `rsvp` is GOING and the event not cancelled.
absl::Status CheckCheckIn(const Event& event, const Rsvp& rsvp);

// --- Who may do what. ---

// Create, update, cancel, list attendees, check in: coordinators and admins.
absl::Status AuthorizeManage(const hc::auth::Principal& caller);
// RSVPs are the caller's own: their token's subject must be a member id.
absl::StatusOr<std::string> MemberOf(const hc::auth::Principal& caller);
// Whether `caller` sees unlisted events in listings (anyone may read one by its id).
bool SeesUnlisted(const hc::auth::Principal& caller);

// A UUID in canonical text form (what event, series and member ids are).
using hc::ids::IsUuid;

}  // namespace events::domain
