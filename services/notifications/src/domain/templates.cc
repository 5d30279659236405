#include "services/notifications/src/domain/templates.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace notifications::domain {
namespace {

// One entry per kind. "{date}" becomes "Sat 5 Dec", "{when}" "Sat 5 Dec, 6:30 PM CST"; the
// *_undated variants are used when the time is not known. Subjects and SMS texts must stay
// discreet (see templates.h); templates_test checks every kind against forbidden words.
struct Template {
  InboxKind kind;
  std::string_view subject;
  std::string_view subject_undated;
  std::string_view lead;
  std::string_view sms;
  std::string_view sms_undated;
};

constexpr std::array<Template, 26> kTemplates = {{
    {InboxKind::kRsvpConfirmed, "Your plans on {date}", "Your plans are confirmed",
     "Your place is confirmed.", "you're confirmed for {when}.", "you're confirmed."},
    {InboxKind::kRsvpWaitlisted, "Your plans on {date}: on the waitlist", "You're on a waitlist",
     "It's full for now, so you're on the waitlist. We'll tell you if a spot opens.",
     "you're on the waitlist for {when}. We'll tell you if a spot opens.",
     "you're on a waitlist. We'll tell you if a spot opens."},
    {InboxKind::kWaitlistPromoted, "A spot opened up for {date}", "A spot opened up for you",
     "A spot opened up: you're in.", "a spot opened up for {when}: you're in.",
     "a spot opened up: you're in."},
    {InboxKind::kVolunteerConfirmed, "Your shift on {date}", "Your shift is confirmed",
     "You're signed up for the shift.", "you're signed up for the shift on {when}.",
     "you're signed up for the shift."},
    {InboxKind::kVolunteerWaitlisted, "Your shift on {date}: on the waitlist",
     "You're on a shift's waitlist",
     "The shift is full, so you're on its waitlist. We'll tell you if a spot opens.",
     "the shift on {when} is full: you're on its waitlist.",
     "the shift is full: you're on its waitlist."},
    {InboxKind::kVolunteerPendingApproval, "Your shift on {date}: awaiting confirmation",
     "Your shift sign-up: awaiting confirmation",
     "Thanks for signing up: the organiser will confirm your place.",
     "thanks for signing up for {when}; the organiser will confirm your place.",
     "thanks for signing up; the organiser will confirm your place."},
    {InboxKind::kSignupApproved, "Your shift on {date}: approved", "Your shift sign-up: approved",
     "Your sign-up was approved: you're on the shift.",
     "your sign-up for {when} was approved: you're on the shift.",
     "your sign-up was approved: you're on the shift."},
    {InboxKind::kSignupApprovedWaitlisted, "Your shift on {date}: approved, on the waitlist",
     "Your shift sign-up: approved, on the waitlist",
     "Your sign-up was approved; the shift is full, so you're on its waitlist.",
     "your sign-up for {when} was approved; the shift is full, so you're on its waitlist.",
     "your sign-up was approved; the shift is full, so you're on its waitlist."},
    {InboxKind::kSignupDeclined, "About your shift on {date}", "About your shift sign-up",
     "Your sign-up for the shift wasn't accepted this time.",
     "your sign-up for the shift on {when} wasn't accepted this time.",
     "your sign-up for a shift wasn't accepted this time."},
    {InboxKind::kVolunteerPromoted, "Your shift on {date}: a spot opened up",
     "A shift spot opened up for you", "A spot opened up on the shift: you're in.",
     "a spot opened up on the shift on {when}: you're in.",
     "a spot opened up on the shift: you're in."},
    {InboxKind::kShiftCancelled, "Your shift on {date} was cancelled", "A shift was cancelled",
     "A shift you signed up for was cancelled.", "your shift on {when} was cancelled.",
     "a shift you signed up for was cancelled."},
    {InboxKind::kShiftMoved, "Your shift moved to {date}", "Your shift moved",
     "Your shift moved. Its new time is below.", "your shift moved to {when}.",
     "your shift moved: check its new time in the app."},
    {InboxKind::kEventMoved, "Your plans on {date}: a new time or place", "Your plans have changed",
     "Something you signed up for changed its time or place. The details are below.",
     "your plans changed: now {when}. Check the place in the app.",
     "your plans changed: check the new time and place in the app."},
    {InboxKind::kEventCancelled, "Your plans on {date} are cancelled", "Your plans are cancelled",
     "Something you signed up for was cancelled. Sorry for the change of plans.",
     "your plans on {when} are cancelled.", "one of your plans was cancelled."},
    {InboxKind::kEventReminder, "Coming up: your plans on {date}", "Coming up soon",
     "A reminder: you're going to this soon.", "reminder: you're going on {when}.",
     "reminder: your plans are coming up soon."},
    {InboxKind::kShiftReminder, "Coming up: your shift on {date}", "Your shift is coming up",
     "A reminder: your shift is coming up.", "reminder: your shift is on {when}.",
     "reminder: your shift is coming up soon."},
    {InboxKind::kWelcome, "Welcome to Homecoming", "Welcome to Homecoming",
     "Welcome! Homecoming is where you'll find what's coming up and ways to stay connected.",
     "welcome! Find what's coming up in the app.", "welcome! Find what's coming up in the app."},
    {InboxKind::kMilestone, "A note from Homecoming", "A note from Homecoming",
     "Congratulations from all of us today. We're glad you're part of this community.",
     "there's a note for you in the app.", "there's a note for you in the app."},
    {InboxKind::kRoleSuggested, "A new way to help out", "A new way to help out",
     "A new volunteer role matches your interests. The details are below.",
     "a new volunteer role matches your interests. See it in the app.",
     "a new volunteer role matches your interests. See it in the app."},
    // Mentorship: no date but the time to answer a choice by, and never a name, a reason or
    // what a concern was about; "mentor" is as far as a subject goes.
    {InboxKind::kMentorChosen, "Someone would like you as their mentor",
     "Someone would like you as their mentor",
     "Someone would like you as their mentor. Please answer in the app in time: if there's no "
     "answer by then, they'll be offered another mentor.",
     "someone would like you as their mentor. Please answer in the app by {when}.",
     "someone would like you as their mentor. Please answer in the app soon."},
    {InboxKind::kMentorChoiceLapsed, "About the mentor you chose", "About the mentor you chose",
     "The mentor you chose isn't available this time. You can choose another of your proposals "
     "in the app.",
     "the mentor you chose isn't available. You can choose another in the app.",
     "the mentor you chose isn't available. You can choose another in the app."},
    {InboxKind::kMentorshipIntroduction, "Someone to meet", "Someone to meet",
     "Your mentorship has started. Here is who you're matched with; say hello in the app.",
     "your mentorship has started: see who you're matched with in the app.",
     "your mentorship has started: see who you're matched with in the app."},
    {InboxKind::kMentorCheckInDue, "Time for a check-in?", "Time for a check-in?",
     "It's been a while since your last check-in. A short note or a call keeps things going; "
     "log it in the app when you've talked.",
     "it's been a while: how about a check-in with your match?",
     "it's been a while: how about a check-in with your match?"},
    {InboxKind::kMentorshipEnded, "Your mentorship has ended", "Your mentorship has ended",
     "Your mentorship has ended. Thank you for the time you gave it; what's next is in the "
     "app whenever you want it.",
     "your mentorship has ended. Thank you for the time you gave it.",
     "your mentorship has ended. Thank you for the time you gave it."},
    {InboxKind::kMentorshipAttention, "Something needs your attention",
     "Something needs your attention", "A mentorship needs a coordinator's attention.",
     "a mentorship needs a coordinator's attention. Please look in the app.",
     "a mentorship needs a coordinator's attention. Please look in the app."},
    {InboxKind::kMentorshipEndConfirmed, "Your mentorship has ended", "Your mentorship has ended",
     "You ended your mentorship; we've let your match know. Thank you for the time you gave it.",
     "you ended your mentorship; we've let your match know.",
     "you ended your mentorship; we've let your match know."},
}};

// Mail apps and lock screens preview the first lines of a body: a fixed, neutral paragraph
// comes before anything the organiser wrote (a title, a place), so the preview says nothing a
// shared screen shouldn't show.
constexpr std::string_view kPreviewBuffer =
    "The details are below. You can change which messages Homecoming sends you, how they "
    "reach you and at what hours, in your settings at any time. If this message wasn't meant "
    "for you, please ignore it.\n\n";

// For kinds without an entry yet (added by other parts of issue 9 before their wording is).
constexpr Template kGeneric = {InboxKind::kRsvpConfirmed,
                               "An update about your plans on {date}",
                               "An update from Homecoming",
                               "There's an update for you in Homecoming.",
                               "there's an update about {when} in the app.",
                               "there's an update for you in the app."};

const Template& TemplateOf(InboxKind kind) {
  for (const auto& t : kTemplates) {
    if (t.kind == kind) return t;
  }
  return kGeneric;
}

// The time a message is about: a shift's start for volunteering kinds, the event's otherwise.
std::optional<absl::Time> TimeOf(InboxKind kind, const Details& d) {
  if (CategoryOf(kind) == Category::kMentorship) return d.answer_by;
  if (CategoryOf(kind) == Category::kVolunteering) {
    return d.shift_start ? d.shift_start : d.start_time;
  }
  return d.start_time ? d.start_time : d.shift_start;
}

constexpr std::array<std::string_view, 7> kWeekdays = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string_view Weekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return kWeekdays[0];
    case absl::Weekday::tuesday:
      return kWeekdays[1];
    case absl::Weekday::wednesday:
      return kWeekdays[2];
    case absl::Weekday::thursday:
      return kWeekdays[3];
    case absl::Weekday::friday:
      return kWeekdays[4];
    case absl::Weekday::saturday:
      return kWeekdays[5];
    case absl::Weekday::sunday:
      return kWeekdays[6];
  }
  return "";
}

std::string Fill(std::string_view text, const std::optional<absl::Time>& t, absl::TimeZone zone) {
  if (!t) return std::string(text);
  const std::string date = ShortDate(*t, zone);
  return absl::StrReplaceAll(std::string(text),
                             {{"{date}", date}, {"{when}", date + ", " + ClockTime(*t, zone)}});
}

}  // namespace

std::string ShortDate(absl::Time t, absl::TimeZone zone) {
  const absl::CivilDay day(zone.At(t).cs);
  return absl::StrCat(std::string(Weekday(day)), " ", day.day(), " ",
                      std::string(kMonths[day.month() - 1]));
}

std::string ClockTime(absl::Time t, absl::TimeZone zone) {
  const absl::TimeZone::CivilInfo info = zone.At(t);
  const int hour12 = info.cs.hour() % 12 == 0 ? 12 : info.cs.hour() % 12;
  return absl::StrFormat("%d:%02d %s %s", hour12, info.cs.minute(),
                         info.cs.hour() < 12 ? "AM" : "PM", info.zone_abbr);
}

RenderedEmail RenderEmail(InboxKind kind, const Details& details, absl::TimeZone member_zone,
                          std::string_view display_name) {
  const Template& t = TemplateOf(kind);
  const std::optional<absl::Time> when = TimeOf(kind, details);
  RenderedEmail out;
  out.subject = Fill(when ? t.subject : t.subject_undated, when, member_zone);
  out.text =
      display_name.empty() ? "Hi,\n\n" : absl::StrCat("Hi ", std::string(display_name), ",\n\n");
  absl::StrAppend(&out.text, std::string(t.lead), "\n\n", std::string(kPreviewBuffer));
  if (!details.event_title.empty())
    absl::StrAppend(&out.text, "Event: ", details.event_title, "\n");
  if (!details.role_title.empty()) absl::StrAppend(&out.text, "Role: ", details.role_title, "\n");
  if (when) {
    const absl::CivilDay day(member_zone.At(*when).cs);
    absl::StrAppend(&out.text, details.answer_by ? "Please answer by: " : "When: ",
                    ShortDate(*when, member_zone), " ", day.year(), ", ",
                    ClockTime(*when, member_zone), "\n");
  }
  if (!details.other_name.empty()) {
    absl::StrAppend(&out.text, "Your match: ", details.other_name, "\n");
  }
  if (!details.other_email.empty()) {
    absl::StrAppend(&out.text, "Their email (they chose to share it): ", details.other_email, "\n");
  }
  if (!details.other_phone.empty()) {
    absl::StrAppend(&out.text, "Their phone (they chose to share it): ", details.other_phone, "\n");
  }
  if (details.online) {
    absl::StrAppend(&out.text, "Where: online\n");
  } else if (!details.venue.empty()) {
    absl::StrAppend(&out.text, "Where: ", details.venue, "\n");
  }
  absl::StrAppend(&out.text,
                  "\nOpen Homecoming for the details, or to change what we send you and how.\n"
                  "\n-- \nHomecoming\n");
  return out;
}

RenderedEmail RenderDigest(const std::vector<std::pair<InboxKind, Details>>& items,
                           absl::TimeZone member_zone, std::string_view display_name) {
  RenderedEmail out;
  out.subject = "Your Homecoming summary";
  out.text =
      display_name.empty() ? "Hi,\n\n" : absl::StrCat("Hi ", std::string(display_name), ",\n\n");
  absl::StrAppend(&out.text, "Here is what's new for you since your last summary:\n\n");
  for (const auto& [kind, details] : items) {
    absl::StrAppend(&out.text, "- ", std::string(TemplateOf(kind).lead));
    const std::optional<absl::Time> when = TimeOf(kind, details);
    std::string about = !details.event_title.empty() ? details.event_title : details.role_title;
    if (when) {
      absl::StrAppend(&about, about.empty() ? "" : ", ", ShortDate(*when, member_zone), " ",
                      ClockTime(*when, member_zone));
    }
    if (!about.empty()) absl::StrAppend(&out.text, " (", about, ")");
    absl::StrAppend(&out.text, "\n");
  }
  absl::StrAppend(&out.text,
                  "\nOpen Homecoming for the details, or to change what we send you and how.\n"
                  "\n-- \nHomecoming\n");
  return out;
}

std::string RenderSms(InboxKind kind, const Details& details, absl::TimeZone member_zone) {
  const Template& t = TemplateOf(kind);
  const std::optional<absl::Time> when = TimeOf(kind, details);
  std::string sms =
      absl::StrCat("Homecoming: ", Fill(when ? t.sms : t.sms_undated, when, member_zone));
  // Every template fits with room to spare; a longer zone abbreviation must not split it.
  if (sms.size() > 160) sms.resize(160);
  return sms;
}

}  // namespace notifications::domain
