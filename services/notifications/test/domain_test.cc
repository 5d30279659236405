// The rules of notifications, in plain C++: preferences and consent, quiet hours across DST
// changes, reminders, retries, the daily cap.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "libs/status/status.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/domain/attendance.h"
#include "services/notifications/src/domain/inbox.h"
#include "services/notifications/src/domain/preferences.h"
#include "services/notifications/src/domain/schedule.h"

namespace notifications::domain {
namespace {

absl::TimeZone NewYork() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("America/New_York", &zone));
  return zone;
}

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

QuietHours Window(int start_hour, int start_minute, int end_hour, int end_minute) {
  return {.start_minute = start_hour * 60 + start_minute, .end_minute = end_hour * 60 + end_minute};
}

TEST(Preferences, DefaultsAreTheInboxAndEmailForWhatMembersSignedUpForAndNothingSensitive) {
  const Preferences p = DefaultPreferences();
  for (Category c :
       {Category::kEvents, Category::kReminders, Category::kVolunteering, Category::kMentorship}) {
    EXPECT_TRUE(p.Enabled(c, Channel::kInApp));
    EXPECT_TRUE(p.Enabled(c, Channel::kEmail));
  }
  for (int c = 0; c < kCategories; ++c) {
    EXPECT_FALSE(p.Enabled(static_cast<Category>(c), Channel::kSms)) << c;
  }
  for (Channel ch : {Channel::kEmail, Channel::kSms, Channel::kInApp}) {
    EXPECT_FALSE(p.Enabled(Category::kMilestones, ch));
  }
  EXPECT_FALSE(p.role_suggestions);
  EXPECT_FALSE(p.quiet.enabled());
}

TEST(Preferences, NamesRoundTrip) {
  for (int c = 0; c < kCategories; ++c) {
    EXPECT_EQ(CategoryFromName(CategoryName(static_cast<Category>(c))), static_cast<Category>(c));
  }
  for (int ch = 0; ch < kChannels; ++ch) {
    EXPECT_EQ(ChannelFromName(ChannelName(static_cast<Channel>(ch))), static_cast<Channel>(ch));
  }
  EXPECT_FALSE(CategoryFromName("treatment").has_value());
  EXPECT_FALSE(ChannelFromName("fax").has_value());
}

TEST(Preferences, ValidationNamesTheField) {
  hc::tz::SystemTimeZones zones;
  Preferences p = DefaultPreferences();
  p.time_zone = "America/New_York";
  EXPECT_TRUE(ValidatePreferences(p, zones).ok());

  Preferences bad_zone = p;
  bad_zone.time_zone = "Mars/Olympus";
  EXPECT_EQ(hc::InvalidFieldName(ValidatePreferences(bad_zone, zones)), "time_zone");

  Preferences bad_start = p;
  bad_start.quiet.start_minute = 1440;
  EXPECT_EQ(hc::InvalidFieldName(ValidatePreferences(bad_start, zones)),
            "quiet_hours.start_minute");
  Preferences bad_end = p;
  bad_end.quiet.end_minute = -1;
  EXPECT_EQ(hc::InvalidFieldName(ValidatePreferences(bad_end, zones)), "quiet_hours.end_minute");

  Preferences digest_without_email = p;
  digest_without_email.Set(Category::kEvents, Channel::kEmail, false);
  digest_without_email.digest[static_cast<int>(Category::kEvents)] = true;
  EXPECT_EQ(hc::InvalidFieldName(ValidatePreferences(digest_without_email, zones)), "digest");
}

TEST(Decide, PreferenceThenConsentThenDigest) {
  Preferences p = DefaultPreferences();
  p.Set(Category::kEvents, Channel::kSms, true);
  const Consent both{.email = true, .sms = true};
  EXPECT_EQ(Decide(p, both, Category::kEvents, Channel::kEmail), Decision::kSend);
  EXPECT_EQ(Decide(p, both, Category::kEvents, Channel::kSms), Decision::kSend);
  EXPECT_EQ(Decide(p, both, Category::kMilestones, Channel::kInApp),
            Decision::kSuppressedByPreference);

  // Consent withdrawn: never that channel, whatever the preferences say.
  EXPECT_EQ(Decide(p, {.email = true, .sms = false}, Category::kEvents, Channel::kSms),
            Decision::kSuppressedByConsent);
  EXPECT_EQ(Decide(p, {.email = false, .sms = true}, Category::kEvents, Channel::kEmail),
            Decision::kSuppressedByConsent);
  // The inbox needs no channel consent.
  EXPECT_EQ(Decide(p, {}, Category::kEvents, Channel::kInApp), Decision::kSend);

  p.digest[static_cast<int>(Category::kEvents)] = true;
  EXPECT_EQ(Decide(p, both, Category::kEvents, Channel::kEmail), Decision::kDigest);
  EXPECT_EQ(Decide(p, both, Category::kEvents, Channel::kInApp), Decision::kSend);
}

TEST(Digest, GoesAtEightOnTheMembersClockTodayOrTomorrow) {
  const absl::TimeZone ny = NewYork();
  const QuietHours none;
  // 07:00 EDT -> 08:00 EDT the same day; 08:00 exactly is now; a minute later is tomorrow.
  EXPECT_EQ(NextDigestTime(Utc(2026, 6, 10, 11, 0), none, ny), Utc(2026, 6, 10, 12, 0));
  EXPECT_EQ(NextDigestTime(Utc(2026, 6, 10, 12, 0), none, ny), Utc(2026, 6, 10, 12, 0));
  EXPECT_EQ(NextDigestTime(Utc(2026, 6, 10, 12, 1), none, ny), Utc(2026, 6, 11, 12, 0));
}

TEST(Digest, AcrossTheNightTheClocksFallBackItIsEightStandardTime) {
  // Saturday 31 October 09:00 EDT; the next 08:00 is Sunday's, after the change: 13:00 UTC.
  EXPECT_EQ(NextDigestTime(Utc(2026, 10, 31, 13, 0), QuietHours{}, NewYork()),
            Utc(2026, 11, 1, 13, 0));
}

TEST(Digest, WaitsForQuietHoursCoveringEightToEnd) {
  EXPECT_EQ(NextDigestTime(Utc(2026, 6, 10, 11, 0), Window(22, 0, 9, 30), NewYork()),
            Utc(2026, 6, 10, 13, 30));
}

TEST(QuietHours, OutsideTheWindowGoesNowAndTheInboxIsNeverHeld) {
  const absl::TimeZone ny = NewYork();
  const QuietHours night = Window(22, 0, 7, 0);
  // 12:00 EST on a January day.
  const absl::Time noon = Utc(2026, 1, 15, 17, 0);
  EXPECT_EQ(NextAllowed(noon, night, ny), noon);
  EXPECT_EQ(NextAllowed(noon, QuietHours{}, ny), noon);
  EXPECT_FALSE(QuietHoursApply(Channel::kInApp));
  EXPECT_TRUE(QuietHoursApply(Channel::kEmail));
  EXPECT_TRUE(QuietHoursApply(Channel::kSms));
}

TEST(QuietHours, AWindowOverMidnightEndsTheNextMorningOrThisMorning) {
  const absl::TimeZone ny = NewYork();
  const QuietHours night = Window(22, 0, 7, 0);
  // 23:30 EST Jan 15 -> 07:00 EST Jan 16 (12:00 UTC).
  EXPECT_EQ(NextAllowed(Utc(2026, 1, 16, 4, 30), night, ny), Utc(2026, 1, 16, 12, 0));
  // 05:00 EST Jan 16 -> 07:00 the same morning.
  EXPECT_EQ(NextAllowed(Utc(2026, 1, 16, 10, 0), night, ny), Utc(2026, 1, 16, 12, 0));
  // 07:00 exactly is outside: the window is [start, end).
  EXPECT_EQ(NextAllowed(Utc(2026, 1, 16, 12, 0), night, ny), Utc(2026, 1, 16, 12, 0));
  // A window inside one day: 13:00-15:00, at 14:10 EST.
  EXPECT_EQ(NextAllowed(Utc(2026, 1, 16, 19, 10), Window(13, 0, 15, 0), ny),
            Utc(2026, 1, 16, 20, 0));
}

TEST(QuietHours, TheNightTheClocksSpringForwardEndsAtSevenLocalWhichIsAnHourSoonerInUtc) {
  const absl::TimeZone ny = NewYork();
  const QuietHours night = Window(22, 0, 7, 0);
  // 23:00 EST Saturday March 7 2026; DST starts at 02:00 on March 8. 07:00 EDT = 11:00 UTC,
  // not 12:00 as the night before.
  EXPECT_EQ(NextAllowed(Utc(2026, 3, 8, 4, 0), night, ny), Utc(2026, 3, 8, 11, 0));
  // A window ending at 02:30, a time that does not exist that night: it ends when the clocks
  // jump (03:00 EDT, 07:00 UTC).
  EXPECT_EQ(NextAllowed(Utc(2026, 3, 8, 6, 30), Window(1, 0, 2, 30), ny), Utc(2026, 3, 8, 7, 0));
}

TEST(QuietHours, TheNightTheClocksFallBackEndsAtTheRightOneOfTheRepeatedHour) {
  const absl::TimeZone ny = NewYork();
  // DST ends at 02:00 EDT on November 1 2026: 01:00-02:00 happens twice.
  const QuietHours early = Window(0, 0, 1, 30);
  // 01:10 EDT (05:10 UTC), the first pass: the window ends at the first 01:30 (05:30 UTC).
  EXPECT_EQ(NextAllowed(Utc(2026, 11, 1, 5, 10), early, ny), Utc(2026, 11, 1, 5, 30));
  // 01:10 EST (06:10 UTC), the second pass: the wall clock says 01:10 again, so quiet again
  // until the second 01:30 (06:30 UTC), never a time already past.
  EXPECT_EQ(NextAllowed(Utc(2026, 11, 1, 6, 10), early, ny), Utc(2026, 11, 1, 6, 30));
  // 22:00-07:00 over that night ends at 07:00 EST = 12:00 UTC (11:00 UTC the morning before).
  const QuietHours night = Window(22, 0, 7, 0);
  EXPECT_EQ(NextAllowed(Utc(2026, 11, 1, 3, 0), night, ny), Utc(2026, 11, 1, 12, 0));
  EXPECT_EQ(NextAllowed(Utc(2026, 10, 31, 3, 0), night, ny), Utc(2026, 10, 31, 11, 0));
}

TEST(Reminders, DayBeforeAndTwoHoursBeforeOnlyWhileStillAhead) {
  const absl::Time start = Utc(2026, 6, 10, 18, 0);
  auto all = ReminderSchedule(start, start - absl::Hours(48));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].kind, ReminderKind::kDayBefore);
  EXPECT_EQ(all[0].due, start - absl::Hours(24));
  EXPECT_EQ(all[1].kind, ReminderKind::kTwoHoursBefore);
  EXPECT_EQ(all[1].due, start - absl::Hours(2));

  auto late = ReminderSchedule(start, start - absl::Hours(5));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].kind, ReminderKind::kTwoHoursBefore);
  EXPECT_TRUE(ReminderSchedule(start, start - absl::Hours(1)).empty());
  EXPECT_TRUE(ReminderSchedule(start, start + absl::Hours(1)).empty());
}

TEST(Retry, FullJitterUnderADoublingCeilingCappedThenGivesUp) {
  const RetryPolicy policy{.base = std::chrono::milliseconds(1000),
                           .cap = std::chrono::milliseconds(60000),
                           .max_attempts = 5};
  EXPECT_EQ(RetryDelay(policy, 1, 0.999).count(), 999);
  EXPECT_EQ(RetryDelay(policy, 2, 0.5).count(), 1000);
  EXPECT_EQ(RetryDelay(policy, 4, 0.5).count(), 4000);
  EXPECT_EQ(RetryDelay(policy, 3, 0.0).count(), 0);
  // The ceiling stops at the cap however many attempts.
  EXPECT_EQ(RetryDelay(policy, 30, 0.5).count(), 30000);
  EXPECT_EQ(RetryDelay(policy, 1000, 0.5).count(), 30000);
  EXPECT_FALSE(GivesUp(policy, 4));
  EXPECT_TRUE(GivesUp(policy, 5));
}

TEST(DailyCap, PastTheCapEmailWaitsForTheDigestSmsIsDroppedTheInboxIsNotCapped) {
  EXPECT_EQ(ApplyDailyCap(Channel::kEmail, 9, 10), CapOutcome::kSend);
  EXPECT_EQ(ApplyDailyCap(Channel::kEmail, 10, 10), CapOutcome::kDigest);
  EXPECT_EQ(ApplyDailyCap(Channel::kSms, 10, 10), CapOutcome::kDrop);
  EXPECT_EQ(ApplyDailyCap(Channel::kInApp, 500, 10), CapOutcome::kSend);
}

TEST(Dedupe, OneKeyPerFactMemberAndChannel) {
  EXPECT_EQ(DedupeKey("f1", "m1", Channel::kEmail), "f1|m1|email");
  EXPECT_NE(DedupeKey("f1", "m1", Channel::kEmail), DedupeKey("f1", "m1", Channel::kSms));
  EXPECT_NE(DedupeKey("f1", "m1", Channel::kEmail), DedupeKey("f1", "m2", Channel::kEmail));
}

TEST(Inbox, KindsRoundTripAndTheirTextIsDiscreet) {
  const std::vector<std::pair<InboxKind, Category>> kinds = {
      {InboxKind::kRsvpConfirmed, Category::kEvents},
      {InboxKind::kRsvpWaitlisted, Category::kEvents},
      {InboxKind::kWaitlistPromoted, Category::kEvents},
      {InboxKind::kVolunteerConfirmed, Category::kVolunteering},
      {InboxKind::kVolunteerWaitlisted, Category::kVolunteering},
      {InboxKind::kVolunteerPendingApproval, Category::kVolunteering},
      {InboxKind::kSignupApproved, Category::kVolunteering},
      {InboxKind::kSignupApprovedWaitlisted, Category::kVolunteering},
      {InboxKind::kSignupDeclined, Category::kVolunteering},
      {InboxKind::kVolunteerPromoted, Category::kVolunteering},
      {InboxKind::kShiftCancelled, Category::kVolunteering},
      {InboxKind::kShiftMoved, Category::kVolunteering},
      {InboxKind::kEventMoved, Category::kEvents},
      {InboxKind::kEventCancelled, Category::kEvents},
      {InboxKind::kEventReminder, Category::kReminders},
      {InboxKind::kShiftReminder, Category::kReminders},
      {InboxKind::kWelcome, Category::kEvents},
      {InboxKind::kMilestone, Category::kMilestones},
      {InboxKind::kRoleSuggested, Category::kVolunteering},
  };
  std::set<std::string> names;
  std::set<std::string> texts;
  for (const auto& [kind, category] : kinds) {
    EXPECT_EQ(InboxKindFromName(InboxKindName(kind)), kind);
    EXPECT_EQ(CategoryOf(kind), category);
    names.emplace(InboxKindName(kind));
    const std::string text(InboxText(kind));
    texts.insert(text);
    EXPECT_FALSE(text.empty());
    for (const char* word : {"recovery", "sober", "sobriety", "treatment", "addiction", "IOP",
                             "detox", "days", "year", "month"}) {
      EXPECT_EQ(text.find(word), std::string::npos) << text;
    }
  }
  // Each kind has its own stored name and its own wording.
  EXPECT_EQ(names.size(), kinds.size());
  EXPECT_EQ(texts.size(), kinds.size());
  EXPECT_EQ(InboxKindFromName("member_deleted"), std::nullopt);
}

TEST(Attendance, OnlyATimeOrPlaceChangeMovesAnEvent) {
  for (const char* field : {"start_time", "end_time", "venue", "online_url"}) {
    EXPECT_TRUE(EventMoved({"title", field})) << field;
  }
  EXPECT_FALSE(EventMoved({"title", "description", "capacity", "waitlist_enabled"}));
  EXPECT_FALSE(EventMoved({}));
}

TEST(Attendance, NamesRoundTrip) {
  for (SubjectKind kind : {SubjectKind::kEvent, SubjectKind::kShift}) {
    EXPECT_EQ(SubjectKindFromName(SubjectKindName(kind)), kind);
  }
  for (ReminderKind kind : {ReminderKind::kDayBefore, ReminderKind::kTwoHoursBefore}) {
    EXPECT_EQ(ReminderKindFromName(ReminderKindName(kind)), kind);
  }
  EXPECT_EQ(SubjectKindFromName("meeting"), std::nullopt);
  EXPECT_EQ(ReminderKindFromName("week_before"), std::nullopt);
  EXPECT_EQ(PresenceName(Presence::kGoing), "going");
  EXPECT_EQ(PresenceName(Presence::kWaiting), "waiting");
}

using Action = ReminderChange::Action;

// The actions by kind (day before, two hours before) and the due times of those scheduled.
std::vector<std::pair<ReminderKind, Action>> Actions(const std::vector<ReminderChange>& changes) {
  std::vector<std::pair<ReminderKind, Action>> out;
  for (const auto& c : changes) out.emplace_back(c.kind, c.action);
  return out;
}

TEST(Attendance, ANewGoerGetsBothRemindersStillAhead) {
  const absl::Time start = Utc(2026, 6, 10, 18, 0);
  const auto changes = ReconcileReminders({}, start, start - absl::Hours(30));
  ASSERT_EQ(Actions(changes), (std::vector<std::pair<ReminderKind, Action>>{
                                  {ReminderKind::kDayBefore, Action::kSchedule},
                                  {ReminderKind::kTwoHoursBefore, Action::kSchedule}}));
  EXPECT_EQ(changes[0].due, start - absl::Hours(24));
  EXPECT_EQ(changes[1].due, start - absl::Hours(2));
  // Three hours ahead: only the two-hour one; an hour ahead: none.
  EXPECT_EQ(Actions(ReconcileReminders({}, start, start - absl::Hours(3))),
            (std::vector<std::pair<ReminderKind, Action>>{
                {ReminderKind::kTwoHoursBefore, Action::kSchedule}}));
  EXPECT_TRUE(ReconcileReminders({}, start, start - absl::Hours(1)).empty());
}

TEST(Attendance, RemindersOfTheSameStartStayAsTheyAreSentOrNot) {
  const absl::Time start = Utc(2026, 6, 10, 18, 0);
  const std::vector<StoredReminder> stored = {
      {.kind = ReminderKind::kDayBefore, .start = start, .sent = true},
      {.kind = ReminderKind::kTwoHoursBefore, .start = start, .sent = false}};
  // A redelivered fact, even after the day-before one went out: nothing is made again.
  EXPECT_EQ(Actions(ReconcileReminders(stored, start, start - absl::Hours(20))),
            (std::vector<std::pair<ReminderKind, Action>>{
                {ReminderKind::kDayBefore, Action::kKeep},
                {ReminderKind::kTwoHoursBefore, Action::kKeep}}));
}

TEST(Attendance, AMovedStartMovesPendingRemindersAndRemakesSentOnesStillAhead) {
  const absl::Time old_start = Utc(2026, 6, 10, 18, 0);
  const absl::Time new_start = old_start + absl::Hours(2);
  const absl::Time now = old_start - absl::Hours(20);  // the day-before one went out
  const std::vector<StoredReminder> stored = {
      {.kind = ReminderKind::kDayBefore, .start = old_start, .sent = true},
      {.kind = ReminderKind::kTwoHoursBefore, .start = old_start, .sent = false}};
  auto changes = ReconcileReminders(stored, new_start, now);
  // The day-before one is behind for the new start too (it was 22 h ahead): it stays as sent.
  ASSERT_EQ(Actions(changes), (std::vector<std::pair<ReminderKind, Action>>{
                                  {ReminderKind::kTwoHoursBefore, Action::kSchedule}}));
  EXPECT_EQ(changes[0].due, new_start - absl::Hours(2));

  // Moved a day later: the sent day-before one is ahead again, so it is made again.
  changes = ReconcileReminders(stored, old_start + absl::Hours(24), now);
  ASSERT_EQ(Actions(changes), (std::vector<std::pair<ReminderKind, Action>>{
                                  {ReminderKind::kDayBefore, Action::kSchedule},
                                  {ReminderKind::kTwoHoursBefore, Action::kSchedule}}));
  EXPECT_EQ(changes[0].due, old_start);

  // Moved to an hour from now: the pending one can't be ahead any more and goes.
  EXPECT_EQ(Actions(ReconcileReminders(stored, now + absl::Hours(1), now)),
            (std::vector<std::pair<ReminderKind, Action>>{
                {ReminderKind::kTwoHoursBefore, Action::kDrop}}));
}

TEST(Attendance, AReminderIsSentOnlyBeforeTheStartUnderAKeyNamingItsStart) {
  const absl::Time start = Utc(2026, 6, 10, 18, 0);
  EXPECT_TRUE(StillWorthSending(start, start - absl::Minutes(1)));
  EXPECT_FALSE(StillWorthSending(start, start));
  EXPECT_FALSE(StillWorthSending(start, start + absl::Hours(3)));
  const std::string id = ReminderFactId(SubjectKind::kEvent, "e1", ReminderKind::kDayBefore, start);
  EXPECT_EQ(id, "reminder|event|e1|day_before|" + std::to_string(absl::ToUnixMillis(start)));
  EXPECT_NE(id, ReminderFactId(SubjectKind::kEvent, "e1", ReminderKind::kTwoHoursBefore, start));
  EXPECT_NE(id, ReminderFactId(SubjectKind::kShift, "e1", ReminderKind::kDayBefore, start));
  EXPECT_NE(id, ReminderFactId(SubjectKind::kEvent, "e1", ReminderKind::kDayBefore,
                               start + absl::Hours(2)));
}

}  // namespace
}  // namespace notifications::domain
