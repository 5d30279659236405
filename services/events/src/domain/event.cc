#include "services/events/src/domain/event.h"

#include <algorithm>
#include <cctype>

#include "libs/status/status.h"
#include "libs/text/text.h"

namespace events::domain {
namespace {

using hc::InvalidField;
using hc::text::CheckText;
using hc::text::Trim;

bool IsWebUrl(std::string_view url) {
  if (!url.starts_with("https://") && !url.starts_with("http://")) return false;
  std::string_view rest = url.substr(url.find("//") + 2);
  if (rest.empty() || rest.front() == '/') return false;
  return std::none_of(url.begin(), url.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\';
  });
}

absl::Status CheckDetails(const EventDetails& d, const TimeZoneCatalog& zones) {
  HC_RETURN_IF_ERROR(
      CheckText("title", d.title, {.required = true, .max_characters = kMaxTitleLength}));
  HC_RETURN_IF_ERROR(CheckText("description", d.description,
                               {.max_characters = kMaxDescriptionLength, .multi_line = true}));
  if (d.kind < EventKind::kAlumniMeeting || d.kind > EventKind::kService) {
    return InvalidField("kind", "must be one of the event kinds");
  }
  if (d.end <= d.start) return InvalidField("end_time", "must be after start_time");
  if (d.end - d.start > kMaxDuration) {
    return InvalidField("end_time", "must be within 14 days of start_time");
  }
  if (d.time_zone.empty()) return InvalidField("time_zone", "must not be empty");
  if (!zones.Exists(d.time_zone)) return InvalidField("time_zone", "must be an IANA time zone");
  if (d.venue.empty() == d.online_url.empty()) {
    return InvalidField("location", "set exactly one of venue and online_url");
  }
  if (!d.venue.empty()) {
    HC_RETURN_IF_ERROR(
        CheckText("venue", d.venue, {.required = true, .max_characters = kMaxVenueLength}));
  } else if (d.online_url.size() > kMaxUrlLength || !IsWebUrl(d.online_url)) {
    return InvalidField("online_url", "must be an http(s) URL of at most 2000 characters");
  }
  if (d.capacity < 1) return InvalidField("capacity", "must be at least 1");
  if (d.capacity > kMaxCapacity) {
    return InvalidField("capacity", "must be at most " + std::to_string(kMaxCapacity));
  }
  if (d.visibility < Visibility::kPublic || d.visibility > Visibility::kUnlisted) {
    return InvalidField("visibility", "must be PUBLIC, MEMBERS or UNLISTED");
  }
  return absl::OkStatus();
}

absl::Status CheckStart(Time start, Time now) {
  if (start <= now) return InvalidField("start_time", "must be in the future");
  if (start - now > kMaxLeadTime) return InvalidField("start_time", "must be within 3 years");
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNewEvent(const EventDetails& details, const TimeZoneCatalog& zones, Time now) {
  HC_RETURN_IF_ERROR(CheckStart(details.start, now));
  return CheckDetails(details, zones);
}

absl::StatusOr<std::vector<std::string>> ApplyChanges(Event& event, const EventChanges& c,
                                                      const TimeZoneCatalog& zones, Time now) {
  HC_RETURN_IF_ERROR(CheckChangeable(event));
  EventDetails& d = event.details;
  std::vector<std::string> changed;
  auto set = [&changed](auto& field, const auto& value, const char* name) {
    if (field == value) return;
    field = value;
    changed.emplace_back(name);
  };
  if (c.title) set(d.title, std::string(Trim(*c.title)), "title");
  if (c.description) set(d.description, *c.description, "description");
  if (c.kind) set(d.kind, *c.kind, "kind");
  if (c.start) {
    if (*c.start != d.start) HC_RETURN_IF_ERROR(CheckStart(*c.start, now));
    set(d.start, *c.start, "start_time");
  }
  if (c.end) set(d.end, *c.end, "end_time");
  if (c.time_zone) set(d.time_zone, *c.time_zone, "time_zone");
  if (c.venue) {
    set(d.venue, *c.venue, "venue");
    if (!c.venue->empty() && !c.online_url) set(d.online_url, std::string(), "online_url");
  }
  if (c.online_url) {
    if (!c.online_url->empty() && !c.venue) set(d.venue, std::string(), "venue");
    set(d.online_url, *c.online_url, "online_url");
  }
  if (c.capacity) set(d.capacity, *c.capacity, "capacity");
  if (c.waitlist_enabled) set(d.waitlist_enabled, *c.waitlist_enabled, "waitlist_enabled");
  if (c.visibility) set(d.visibility, *c.visibility, "visibility");
  HC_RETURN_IF_ERROR(CheckDetails(d, zones));
  if (c.capacity) HC_RETURN_IF_ERROR(CheckCapacity(d.capacity, event.going_count));
  return changed;
}

absl::StatusOr<Placement> PlaceRsvp(const Event& event, Time now) {
  if (event.status == EventStatus::kCancelled) {
    return absl::FailedPreconditionError("event is cancelled");
  }
  if (event.details.start <= now) {
    return absl::FailedPreconditionError("event has already started");
  }
  // A free seat while people wait belongs to the first in line, never to a newcomer.
  if (event.SeatsLeft() > 0 && event.waitlist_count == 0) return Placement::kGoing;
  if (event.details.waitlist_enabled) return Placement::kWaitlisted;
  return absl::FailedPreconditionError("event is full and has no waitlist");
}

absl::Status CheckCancelRsvp(const Event& event, Time now) {
  if (event.status == EventStatus::kCancelled) {
    return absl::FailedPreconditionError("event is cancelled");
  }
  if (event.details.start <= now) {
    return absl::FailedPreconditionError("event has already started");
  }
  return absl::OkStatus();
}

int SeatsToPromote(int capacity, int going, int waitlisted) {
  return std::clamp(capacity - going, 0, std::max(waitlisted, 0));
}

absl::Status CheckCapacity(int capacity, int going) {
  if (capacity >= going) return absl::OkStatus();
  return absl::FailedPreconditionError("capacity: must be at least " + std::to_string(going) +
                                       ", the number of members already going");
}

absl::Status CheckChangeable(const Event& event) {
  if (event.status == EventStatus::kCancelled) {
    return absl::FailedPreconditionError("event is cancelled");
  }
  return absl::OkStatus();
}

absl::Status CheckCheckIn(const Event& event, const Rsvp& rsvp) {
  if (event.status == EventStatus::kCancelled) {
    return absl::FailedPreconditionError("event is cancelled");
  }
  if (rsvp.status != RsvpStatus::kGoing) {
    return absl::FailedPreconditionError("member_id: only members who are going can check in");
  }
  return absl::OkStatus();
}

absl::Status AuthorizeManage(const hc::auth::Principal& caller) {
  if (caller.IsStaff()) return absl::OkStatus();
  return absl::PermissionDeniedError("only coordinators and admins may manage events");
}

absl::StatusOr<std::string> MemberOf(const hc::auth::Principal& caller) {
  if (IsUuid(caller.subject)) return caller.subject;
  return absl::PermissionDeniedError("only members may RSVP: the token's subject is no member id");
}

bool SeesUnlisted(const hc::auth::Principal& caller) { return caller.IsStaff(); }

}  // namespace events::domain
