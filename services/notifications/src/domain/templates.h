#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/notifications/src/domain/inbox.h"

// What an email or an SMS about an inbox item says. Pure: the caller looks the details up
// (events, volunteering) and knows the member's zone and name.
//
// Discreet by design: a subject and an SMS show on lock screens and in shared inboxes, so
// they carry only a date and a time, never the event or the role, its place, recovery or
// treatment wording. The body of an email, read once opened, may name the event or role, its
// time in the member's zone and its place.
namespace notifications::domain {

struct Details {
  // Empty when not known or not about an event / a role.
  std::string event_title;
  std::optional<absl::Time> start_time;
  std::string venue;
  // Held online (then `venue` is usually empty).
  bool online = false;
  std::string role_title;
  std::optional<absl::Time> shift_start;
  // A mentorship introduction: the other party's display name, and their email only when they
  // chose to share it (never otherwise). Shown in the body only, below the preview buffer.
  std::string other_name;
  std::string other_email;
  std::string other_phone;
  // A mentor's choice: when the mentor must answer by (shown in the member's zone).
  std::optional<absl::Time> answer_by;
};

struct RenderedEmail {
  std::string subject;
  std::string text;
};

RenderedEmail RenderEmail(InboxKind kind, const Details& details, absl::TimeZone member_zone,
                          std::string_view display_name);

// The daily digest: one email listing each item (its kind and details) in the order given.
// The subject says nothing but that it is a summary.
RenderedEmail RenderDigest(const std::vector<std::pair<InboxKind, Details>>& items,
                           absl::TimeZone member_zone, std::string_view display_name);

// Up to 160 characters (one SMS segment) for every kind.
std::string RenderSms(InboxKind kind, const Details& details, absl::TimeZone member_zone);

// "Sat 5 Dec" and "6:30 PM CST" in `zone` (exposed for tests).
std::string ShortDate(absl::Time t, absl::TimeZone zone);
std::string ClockTime(absl::Time t, absl::TimeZone zone);

}  // namespace notifications::domain
