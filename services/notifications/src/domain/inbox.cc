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

constexpr std::array<KindInfo, 26> kKinds = {{
    {InboxKind::kRsvpConfirmed, "rsvp_confirmed", Category::kEvents, "Your RSVP is confirmed"},
    {InboxKind::kRsvpWaitlisted, "rsvp_waitlisted", Category::kEvents,
     "You're on the waitlist; we'll tell you if a spot opens"},
    {InboxKind::kWaitlistPromoted, "waitlist_promoted", Category::kEvents,
     "A spot opened up: you're in"},
    {InboxKind::kVolunteerConfirmed, "volunteer_confirmed", Category::kVolunteering,
     "You're signed up for the shift"},
    {InboxKind::kVolunteerWaitlisted, "volunteer_waitlisted", Category::kVolunteering,
     "The shift is full: you're on its waitlist; we'll tell you if a spot opens"},
    {InboxKind::kVolunteerPendingApproval, "volunteer_pending_approval", Category::kVolunteering,
     "Thanks for signing up: the organiser will confirm your place"},
    {InboxKind::kSignupApproved, "signup_approved", Category::kVolunteering,
     "Your sign-up was approved: you're on the shift"},
    {InboxKind::kSignupApprovedWaitlisted, "signup_approved_waitlisted", Category::kVolunteering,
     "Your sign-up was approved; the shift is full, so you're on its waitlist"},
    {InboxKind::kSignupDeclined, "signup_declined", Category::kVolunteering,
     "Your sign-up for a shift wasn't accepted this time"},
    {InboxKind::kVolunteerPromoted, "volunteer_promoted", Category::kVolunteering,
     "A spot opened up on the shift: you're in"},
    {InboxKind::kShiftCancelled, "shift_cancelled", Category::kVolunteering,
     "A shift you signed up for was cancelled"},
    {InboxKind::kShiftMoved, "shift_moved", Category::kVolunteering,
     "Your shift moved: check its new time"},
    {InboxKind::kEventMoved, "event_moved", Category::kEvents,
     "An event you signed up for changed its time or place: check the details"},
    {InboxKind::kEventCancelled, "event_cancelled", Category::kEvents,
     "An event you signed up for was cancelled"},
    {InboxKind::kEventReminder, "event_reminder", Category::kReminders,
     "Reminder: an event you're going to is coming up"},
    {InboxKind::kShiftReminder, "shift_reminder", Category::kReminders,
     "Reminder: your shift is coming up"},
    {InboxKind::kWelcome, "welcome", Category::kEvents, "Welcome! Have a look at what's coming up"},
    {InboxKind::kMilestone, "milestone", Category::kMilestones,
     "Congratulations — a milestone today."},
    {InboxKind::kRoleSuggested, "role_suggested", Category::kVolunteering,
     "A new volunteer role matches your interests"},
    {InboxKind::kMentorChosen, "mentor_chosen", Category::kMentorship,
     "Someone would like you as their mentor: please answer in the app soon"},
    {InboxKind::kMentorChoiceLapsed, "mentor_choice_lapsed", Category::kMentorship,
     "The mentor you chose isn't available: you can choose another of your proposals"},
    {InboxKind::kMentorshipIntroduction, "mentorship_introduction", Category::kMentorship,
     "Your mentorship has started: meet your match in the app"},
    {InboxKind::kMentorCheckInDue, "mentor_check_in_due", Category::kMentorship,
     "It's been a while: how about a check-in with your mentorship match?"},
    {InboxKind::kMentorshipEnded, "mentorship_ended", Category::kMentorship,
     "Your mentorship has ended"},
    {InboxKind::kMentorshipAttention, "mentorship_attention", Category::kMentorship,
     "A mentorship needs a coordinator's attention"},
    {InboxKind::kMentorshipEndConfirmed, "mentorship_end_confirmed", Category::kMentorship,
     "You ended your mentorship"},
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
