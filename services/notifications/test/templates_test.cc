// What emails and SMS texts say: discreet where a lock screen could show them, in the
// member's own time zone, one table entry per kind and a generic one for the rest.
#include "services/notifications/src/domain/templates.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace notifications::domain {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(name, &zone)) << name;
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

// Every kind there is, including ones added after these tests were written: InboxKindName
// answers for each enumerator in inbox.cc's table, in order from 1.
std::vector<InboxKind> AllKinds() {
  std::vector<InboxKind> kinds;
  for (int i = 1;; ++i) {
    const auto kind = static_cast<InboxKind>(i);
    if (InboxKindFromName(InboxKindName(kind)) != kind) break;
    kinds.push_back(kind);
  }
  return kinds;
}

// Details that would give the game away if any of them leaked into a subject or an SMS.
Details Revealing() {
  return {.event_title = "Sober bowling night",
          .start_time = Utc(2026, 12, 6, 0, 30),
          .venue = "Hope Recovery Clinic",
          .role_title = "Greeter at the AA meeting",
          .shift_start = Utc(2026, 12, 6, 0, 30)};
}

const std::vector<std::string> kForbidden = {
    "recovery", "recovering", "sober",   "sobriety", "treatment", "rehab",     "addiction",
    "addict",   "relapse",    "clinic",  "aa",       "na",        "detox",     "alcohol",
    "drug",     "drugs",      "therapy", "meeting",  "bowling",   "greeter",   "hope",
    "iop",      "program",    "12-step", "step",     "narcotics", "alcoholics"};

// The forbidden words found in `text`, compared word by word, ignoring case.
std::set<std::string> ForbiddenIn(const std::string& text) {
  std::set<std::string> found;
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" .,:;!?'\"()/\n"), absl::SkipEmpty())) {
    const std::string lower = absl::AsciiStrToLower(word);
    for (const std::string& bad : kForbidden) {
      if (lower == bad) found.insert(bad);
    }
  }
  return found;
}

TEST(Templates, EveryKindHasItsOwnWording) {
  EXPECT_EQ(AllKinds().size(), 26u);
  const std::string generic =
      RenderSms(static_cast<InboxKind>(10000), Details{}, absl::UTCTimeZone());
  for (InboxKind kind : AllKinds()) {
    EXPECT_NE(RenderSms(kind, Details{}, absl::UTCTimeZone()), generic) << InboxKindName(kind);
  }
}

TEST(Templates, TheDigestListsEachItemUnderADiscreetSubject) {
  const RenderedEmail digest =
      RenderDigest({{InboxKind::kRsvpConfirmed, Revealing()},
                    {InboxKind::kRoleSuggested, Details{.role_title = "Kitchen crew"}},
                    {InboxKind::kWelcome, Details{}}},
                   Zone("America/Chicago"), "Ana");
  EXPECT_EQ(ForbiddenIn(digest.subject), std::set<std::string>());
  EXPECT_TRUE(absl::StrContains(digest.text, "Hi Ana,")) << digest.text;
  // One line per item, with what it is about and when, in the member's zone.
  EXPECT_TRUE(absl::StrContains(digest.text, "(Sober bowling night, Sat 5 Dec 6:30 PM CST)"))
      << digest.text;
  EXPECT_TRUE(absl::StrContains(digest.text, "(Kitchen crew)")) << digest.text;
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(digest.text, '\n')) {
    if (absl::StartsWith(line, "- ")) ++lines;
  }
  EXPECT_EQ(lines, 3) << digest.text;
}

TEST(Templates, SubjectsAndSmsNeverCarryTitlesPlacesOrRecoveryWording) {
  const absl::TimeZone chicago = Zone("America/Chicago");
  for (InboxKind kind : AllKinds()) {
    for (const Details& d : {Revealing(), Details{}}) {
      const RenderedEmail email = RenderEmail(kind, d, chicago, "Ana");
      const std::string sms = RenderSms(kind, d, chicago);
      EXPECT_EQ(ForbiddenIn(email.subject), std::set<std::string>())
          << InboxKindName(kind) << ": " << email.subject;
      EXPECT_EQ(ForbiddenIn(sms), std::set<std::string>()) << InboxKindName(kind) << ": " << sms;
      EXPECT_FALSE(email.subject.empty()) << InboxKindName(kind);
      EXPECT_LE(sms.size(), 160u) << InboxKindName(kind) << ": " << sms;
    }
  }
}

// A lock screen or a mail app's list shows the subject and the start of the body: the first
// 200 characters of every body are as discreet as the subject, whatever the details say.
TEST(Templates, TheStartOfEveryEmailBodyIsDiscreetToo) {
  for (InboxKind kind : AllKinds()) {
    const RenderedEmail email = RenderEmail(kind, Revealing(), Zone("America/Chicago"), "Ana");
    const std::string preview = email.text.substr(0, 200);
    EXPECT_EQ(ForbiddenIn(preview), std::set<std::string>())
        << InboxKindName(kind) << ": " << preview;
    // The details are still there, further down.
    EXPECT_TRUE(absl::StrContains(email.text, "Sober bowling night")) << InboxKindName(kind);
  }
}

TEST(Templates, TheSelfTestOfTheForbiddenListCatchesALeak) {
  // Guards the test above against a tokenizer that never matches.
  EXPECT_EQ(ForbiddenIn("Your AA meeting: Sober bowling."),
            (std::set<std::string>{"aa", "bowling", "meeting", "sober"}));
}

TEST(Templates, TheEmailBodyNamesTheEventTimeAndPlaceInTheMembersZone) {
  const RenderedEmail email =
      RenderEmail(InboxKind::kRsvpConfirmed, Revealing(), Zone("America/Chicago"), "Ana");
  // 00:30 UTC on Sunday 6 December is 6:30 PM CST on Saturday 5 December.
  EXPECT_EQ(email.subject, "Your plans on Sat 5 Dec");
  EXPECT_TRUE(absl::StrContains(email.text, "Hi Ana,")) << email.text;
  EXPECT_TRUE(absl::StrContains(email.text, "Event: Sober bowling night")) << email.text;
  EXPECT_TRUE(absl::StrContains(email.text, "When: Sat 5 Dec 2026, 6:30 PM CST")) << email.text;
  EXPECT_TRUE(absl::StrContains(email.text, "Where: Hope Recovery Clinic")) << email.text;
}

TEST(Templates, VolunteeringKindsShowTheShiftAndItsRole) {
  Details d = Revealing();
  d.event_title.clear();
  d.shift_start = Utc(2026, 7, 1, 16, 0);
  const RenderedEmail email = RenderEmail(InboxKind::kShiftMoved, d, Zone("Europe/Dublin"), "Dev");
  EXPECT_EQ(email.subject, "Your shift moved to Wed 1 Jul");
  EXPECT_TRUE(absl::StrContains(email.text, "Role: Greeter at the AA meeting")) << email.text;
  EXPECT_TRUE(absl::StrContains(email.text, "When: Wed 1 Jul 2026, 5:00 PM IST")) << email.text;
  EXPECT_EQ(RenderSms(InboxKind::kShiftMoved, d, Zone("Europe/Dublin")),
            "Homecoming: your shift moved to Wed 1 Jul, 5:00 PM IST.");
}

TEST(Templates, OnlineEventsSayOnline) {
  Details d = Revealing();
  d.venue.clear();
  d.online = true;
  const RenderedEmail email = RenderEmail(InboxKind::kRsvpConfirmed, d, Zone("UTC"), "");
  EXPECT_TRUE(absl::StrContains(email.text, "Where: online")) << email.text;
  EXPECT_TRUE(absl::StartsWith(email.text, "Hi,\n")) << email.text;
}

TEST(Templates, TimesFollowTheMembersZoneAcrossDst) {
  const absl::TimeZone new_york = Zone("America/New_York");
  // 2026-03-08 is the spring change in New York: 13:00 UTC is 8:00 EST the day before and
  // 9:00 EDT the day after.
  Details before{.start_time = Utc(2026, 3, 7, 13, 0)};
  Details after{.start_time = Utc(2026, 3, 9, 13, 0)};
  EXPECT_EQ(RenderSms(InboxKind::kRsvpConfirmed, before, new_york),
            "Homecoming: you're confirmed for Sat 7 Mar, 8:00 AM EST.");
  EXPECT_EQ(RenderSms(InboxKind::kRsvpConfirmed, after, new_york),
            "Homecoming: you're confirmed for Mon 9 Mar, 9:00 AM EDT.");
  // The date is the member's, not UTC's: 02:00 UTC on the 10th is still the 9th in New York.
  EXPECT_EQ(ShortDate(Utc(2026, 3, 10, 2, 0), new_york), "Mon 9 Mar");
  EXPECT_EQ(ClockTime(Utc(2026, 3, 10, 2, 0), new_york), "10:00 PM EDT");
  EXPECT_EQ(ClockTime(Utc(2026, 3, 10, 4, 5), new_york), "12:05 AM EDT");
}

TEST(Templates, UnknownTimesGiveUndatedWording) {
  const std::string sms = RenderSms(InboxKind::kShiftCancelled, Details{}, Zone("UTC"));
  EXPECT_EQ(sms, "Homecoming: a shift you signed up for was cancelled.");
  EXPECT_EQ(RenderEmail(InboxKind::kShiftCancelled, Details{}, Zone("UTC"), "A").subject,
            "A shift was cancelled");
}

TEST(Templates, KindsWithoutAnEntryGetTheGenericWording) {
  // An enumerator value past the table stands in for a kind added by another part of issue 9.
  const auto unknown = static_cast<InboxKind>(10000);
  const RenderedEmail email =
      RenderEmail(unknown, Details{.start_time = Utc(2026, 12, 6, 0, 30)}, Zone("UTC"), "A");
  EXPECT_EQ(email.subject, "An update about your plans on Sun 6 Dec");
  EXPECT_EQ(RenderSms(unknown, Details{}, Zone("UTC")),
            "Homecoming: there's an update for you in the app.");
}

}  // namespace
}  // namespace notifications::domain

namespace notifications::domain {
namespace {

const std::vector<InboxKind> kMentorshipKinds = {
    InboxKind::kMentorChosen,           InboxKind::kMentorChoiceLapsed,
    InboxKind::kMentorshipIntroduction, InboxKind::kMentorCheckInDue,
    InboxKind::kMentorshipEnded,        InboxKind::kMentorshipAttention,
    InboxKind::kMentorshipEndConfirmed};

TEST(MentorshipTemplates, AreInTheirOwnCategoryAndNeverNameAnyone) {
  const Details d{.other_name = "Robin Sample", .other_email = "robin@example.org"};
  for (InboxKind kind : kMentorshipKinds) {
    EXPECT_EQ(CategoryOf(kind), Category::kMentorship) << InboxKindName(kind);
    const RenderedEmail email = RenderEmail(kind, d, absl::UTCTimeZone(), "Ana");
    const std::string sms = RenderSms(kind, d, absl::UTCTimeZone());
    for (const std::string& shown : {email.subject, sms, std::string(InboxText(kind))}) {
      EXPECT_FALSE(absl::StrContains(shown, "Robin")) << InboxKindName(kind) << ": " << shown;
      EXPECT_FALSE(absl::StrContains(shown, "robin@")) << InboxKindName(kind) << ": " << shown;
      EXPECT_EQ(ForbiddenIn(shown), std::set<std::string>()) << shown;
    }
    EXPECT_EQ(ForbiddenIn(email.text), std::set<std::string>()) << email.text;
  }
}

TEST(MentorshipTemplates, TheIntroductionNamesTheOtherBelowThePreviewAndAnAddressOnlyIfShared) {
  const RenderedEmail named =
      RenderEmail(InboxKind::kMentorshipIntroduction, Details{.other_name = "Robin"},
                  absl::UTCTimeZone(), "Ana");
  EXPECT_EQ(named.subject, "Someone to meet");
  EXPECT_TRUE(absl::StrContains(named.text, "Your match: Robin\n")) << named.text;
  EXPECT_FALSE(absl::StrContains(named.text.substr(0, 200), "Robin")) << named.text;
  EXPECT_FALSE(absl::StrContains(named.text, "email")) << named.text;

  const RenderedEmail shared =
      RenderEmail(InboxKind::kMentorshipIntroduction,
                  Details{.other_name = "Robin", .other_email = "robin@example.org"},
                  absl::UTCTimeZone(), "Ana");
  EXPECT_TRUE(
      absl::StrContains(shared.text, "Their email (they chose to share it): robin@example.org"))
      << shared.text;
}

TEST(MentorshipTemplates, AChosenMentorIsToldTheTimeToAnswerByInTheirOwnZone) {
  const absl::Time by =
      absl::FromCivil(absl::CivilMinute(2026, 12, 2, 17, 30), absl::UTCTimeZone());
  absl::TimeZone chicago;
  ASSERT_TRUE(absl::LoadTimeZone("America/Chicago", &chicago));
  const Details d{.answer_by = by};
  const RenderedEmail email = RenderEmail(InboxKind::kMentorChosen, d, chicago, "Ana");
  EXPECT_TRUE(absl::StrContains(email.text, "Please answer by: Wed 2 Dec 2026, 11:30 AM CST\n"))
      << email.text;
  EXPECT_EQ(RenderSms(InboxKind::kMentorChosen, d, chicago),
            "Homecoming: someone would like you as their mentor. Please answer in the app by Wed "
            "2 Dec, 11:30 AM CST.");
  // Without the time (an older fact) it asks for an answer soon, and says no "When".
  const RenderedEmail undated = RenderEmail(InboxKind::kMentorChosen, Details{}, chicago, "Ana");
  EXPECT_FALSE(absl::StrContains(undated.text, "answer by:")) << undated.text;
  EXPECT_FALSE(absl::StrContains(undated.text, "When:")) << undated.text;
}

TEST(MentorshipTemplates, APhoneNumberShowsOnlyWhenShared) {
  const RenderedEmail shared = RenderEmail(
      InboxKind::kMentorshipIntroduction,
      Details{.other_name = "Robin", .other_phone = "+15555550123"}, absl::UTCTimeZone(), "Ana");
  EXPECT_TRUE(absl::StrContains(shared.text, "Their phone (they chose to share it): +15555550123"))
      << shared.text;
  EXPECT_FALSE(absl::StrContains(shared.text, "Their email")) << shared.text;
  EXPECT_FALSE(
      absl::StrContains(RenderSms(InboxKind::kMentorshipIntroduction,
                                  Details{.other_phone = "+15555550123"}, absl::UTCTimeZone()),
                        "555"));
}

TEST(MentorshipTemplates, TheCoordinatorsNoticeSaysOnlyThatAMatchNeedsAttention) {
  EXPECT_EQ(InboxText(InboxKind::kMentorshipAttention),
            "A mentorship needs a coordinator's attention");
  const RenderedEmail email =
      RenderEmail(InboxKind::kMentorshipAttention, Details{}, absl::UTCTimeZone(), "Cy");
  EXPECT_EQ(email.subject, "Something needs your attention");
  for (const char* word : {"concern", "block", "report", "safety", "unsafe"}) {
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(email.text), word)) << word;
    EXPECT_FALSE(absl::StrContains(absl::AsciiStrToLower(RenderSms(InboxKind::kMentorshipAttention,
                                                                   Details{}, absl::UTCTimeZone())),
                                   word))
        << word;
  }
}

}  // namespace
}  // namespace notifications::domain
