#include "services/notifications/src/domain/inbox.h"

#include <array>

namespace notifications::domain {
namespace {

struct KindInfo {
  InboxKind kind;
  std::string_view name;
  Category category;
  std::string_view text;
};

constexpr std::array<KindInfo, 3> kKinds = {{
    {InboxKind::kRsvpConfirmed, "rsvp_confirmed", Category::kEvents, "Your RSVP is confirmed"},
    {InboxKind::kRsvpWaitlisted, "rsvp_waitlisted", Category::kEvents,
     "You're on the waitlist; we'll tell you if a spot opens"},
    {InboxKind::kWaitlistPromoted, "waitlist_promoted", Category::kEvents,
     "A spot opened up: you're in"},
}};

const KindInfo& Info(InboxKind kind) {
  for (const auto& info : kKinds) {
    if (info.kind == kind) return info;
  }
  return kKinds[0];  // unreachable: every enumerator is in kKinds
}

}  // namespace

std::string_view InboxKindName(InboxKind kind) { return Info(kind).name; }

std::optional<InboxKind> InboxKindFromName(std::string_view name) {
  for (const auto& info : kKinds) {
    if (info.name == name) return info.kind;
  }
  return std::nullopt;
}

Category CategoryOf(InboxKind kind) { return Info(kind).category; }

std::string_view InboxText(InboxKind kind) { return Info(kind).text; }

}  // namespace notifications::domain
