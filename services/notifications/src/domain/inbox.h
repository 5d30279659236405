#pragma once

#include <optional>
#include <string_view>

#include "services/notifications/src/domain/preferences.h"

// What lands in a member's in-app inbox. Rows hold only the kind and the ids it is about; the
// text is rendered when the item is read, so wording can change without touching stored rows
// and no row holds anything but ids.
namespace notifications::domain {

enum class InboxKind {
  kRsvpConfirmed = 1,
  kRsvpWaitlisted,
  kWaitlistPromoted,
  // Volunteering: a sign-up's outcome, and what happened to a shift the member is on.
  kVolunteerConfirmed,
  kVolunteerWaitlisted,
  kVolunteerPendingApproval,
  kSignupApproved,
  kSignupApprovedWaitlisted,
  kSignupDeclined,
  kVolunteerPromoted,
  kShiftCancelled,
  kShiftMoved,
  // What happened to an event the member is going to or waiting for, and reminders before
  // what they are going to (events) or confirmed on (shifts).
  kEventMoved,
  kEventCancelled,
  kEventReminder,
  kShiftReminder,
  // Membership: a new member's welcome, a milestone they chose to celebrate (never which one),
  // and a new volunteer role matching their interests.
  kWelcome,
  kMilestone,
  kRoleSuggested,
  // Mentorship (volunteering's MentorshipService facts): chosen as a mentor (answer in time);
  // the chosen mentor is not available (pick another proposal); an introduction to the other
  // party of a new match; a check-in reminder; a match ended; and, for coordinators only, a
  // match needing attention (never who, never why); to the party who ended a match, a short
  // confirmation (the other gets kMentorshipEnded).
  kMentorChosen,
  kMentorChoiceLapsed,
  kMentorshipIntroduction,
  kMentorCheckInDue,
  kMentorshipEnded,
  kMentorshipAttention,
  kMentorshipEndConfirmed,
};

std::string_view InboxKindName(InboxKind kind);
std::optional<InboxKind> InboxKindFromName(std::string_view name);

// The preference category an item of `kind` belongs to.
Category CategoryOf(InboxKind kind);

// Discreet by design: it could show on a shared screen, so it never names recovery, treatment,
// the event or the role (the client shows their details from the ids when opened).
std::string_view InboxText(InboxKind kind);

}  // namespace notifications::domain
