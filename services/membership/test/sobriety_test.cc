#include "services/membership/src/domain/sobriety.h"

#include <gtest/gtest.h>

#include "libs/status/status.h"
#include "services/membership/src/domain/directory.h"

namespace membership::domain {
namespace {

std::vector<std::string> Keys(const std::vector<Milestone>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.Key());
  return out;
}

TEST(MilestonesBetween, FindsEachMilestoneOnItsDay) {
  const Date since{2025, 1, 1};
  EXPECT_EQ(Keys(MilestonesBetween(since, {2025, 1, 31}, {2025, 1, 31})),
            std::vector<std::string>{"30d"});
  EXPECT_EQ(Keys(MilestonesBetween(since, {2025, 3, 2}, {2025, 3, 2})),
            std::vector<std::string>{"60d"});
  EXPECT_EQ(Keys(MilestonesBetween(since, {2025, 4, 1}, {2025, 4, 1})),
            std::vector<std::string>{"90d"});
  EXPECT_EQ(Keys(MilestonesBetween(since, {2025, 7, 1}, {2025, 7, 1})),
            std::vector<std::string>{"6m"});
  EXPECT_EQ(Keys(MilestonesBetween(since, {2026, 1, 1}, {2026, 1, 1})),
            std::vector<std::string>{"1y"});
  EXPECT_EQ(Keys(MilestonesBetween(since, {2030, 1, 1}, {2030, 1, 1})),
            std::vector<std::string>{"5y"});
  EXPECT_TRUE(MilestonesBetween(since, {2025, 1, 30}, {2025, 1, 30}).empty());
}

TEST(MilestonesBetween, AWindowCatchesUpDaysTheJobMissed) {
  EXPECT_EQ(Keys(MilestonesBetween({2025, 1, 1}, {2025, 1, 25}, {2025, 3, 5})),
            (std::vector<std::string>{"30d", "60d"}));
}

TEST(MilestonesBetween, LeapDayYearsFallOnTheLastDayOfFebruary) {
  auto ms = MilestonesBetween({2024, 2, 29}, {2025, 2, 27}, {2025, 3, 1});
  ASSERT_EQ(ms.size(), 1u);
  EXPECT_EQ(ms[0].reached_on, (Date{2025, 2, 28}));
  EXPECT_EQ(ms[0].years, 1);
  // Six months from 31 August is the last day of February.
  auto six = MilestonesBetween({2025, 8, 31}, {2026, 2, 28}, {2026, 2, 28});
  ASSERT_EQ(Keys(six), std::vector<std::string>{"6m"});
}

TEST(MilestoneDue, AfterALongOutageTheLatestIsAnnouncedNotDropped) {
  const Date since{2025, 1, 1};
  // The job was down from before day 30 until after day 90: one announcement, of 90 days.
  ASSERT_TRUE(MilestoneDue(since, since, {2025, 4, 20}).has_value());
  EXPECT_EQ(MilestoneDue(since, since, {2025, 4, 20})->Key(), "90d");
  // Years later, still the latest.
  EXPECT_EQ(MilestoneDue(since, since, {2028, 6, 1})->Key(), "3y");
  EXPECT_EQ(MilestoneDue(since, since, {2025, 1, 31})->Key(), "30d");
  EXPECT_FALSE(MilestoneDue(since, since, {2025, 1, 30}).has_value());
}

TEST(MilestoneDue, NothingReachedBeforeTheMemberOptedIn) {
  const Date since{2025, 1, 1};
  EXPECT_FALSE(MilestoneDue(since, {2025, 2, 5}, {2025, 2, 20}).has_value());  // 30d: 31 Jan
  EXPECT_EQ(MilestoneDue(since, {2025, 2, 5}, {2025, 3, 2})->Key(), "60d");
  EXPECT_EQ(MilestoneDue(since, {2025, 1, 31}, {2025, 1, 31})->Key(), "30d");  // same day
}

TEST(LocalDate, IsTheMembersOwnCalendarDay) {
  using namespace std::chrono;
  const auto instant = sys_days{year{2026} / 11 / 27} + hours{10} + minutes{30};
  absl::TimeZone kiritimati, pago_pago;  // UTC+14 and UTC-11, no daylight saving
  ASSERT_TRUE(absl::LoadTimeZone("Pacific/Kiritimati", &kiritimati));
  ASSERT_TRUE(absl::LoadTimeZone("Pacific/Pago_Pago", &pago_pago));
  EXPECT_EQ(LocalDate(instant, absl::UTCTimeZone()), (Date{2026, 11, 27}));
  EXPECT_EQ(LocalDate(instant, kiritimati), (Date{2026, 11, 28}));
  EXPECT_EQ(LocalDate(instant, pago_pago), (Date{2026, 11, 26}));
}

TEST(SoberAtLeast, CountsWholeDaysAndKnowsWhenItCannotTell) {
  const Date today{2026, 11, 27};
  EXPECT_EQ(SoberAtLeast(Date{2026, 10, 28}, 30, today), Eligibility::kYes);
  EXPECT_EQ(SoberAtLeast(Date{2026, 10, 29}, 30, today), Eligibility::kNo);
  EXPECT_EQ(SoberAtLeast(std::nullopt, 30, today), Eligibility::kUnknown);
  EXPECT_EQ(SoberAtLeast(today, 0, today), Eligibility::kYes);
}

TEST(ValidateMinSoberDays, AllowsOnlyTheMilestoneLadderAndWholeYears) {
  for (int days : {30, 60, 90, 180, 365, 730, 3650, 36500}) {
    EXPECT_TRUE(ValidateMinSoberDays(days).ok()) << days;
  }
  // Anything else would let a caller bisect the date.
  for (int days : {-1, 0, 1, 29, 31, 100, 179, 364, 366, 400, 547, 36865}) {
    absl::Status s = ValidateMinSoberDays(days);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << days;
    EXPECT_EQ(hc::InvalidFieldName(s), "min_sober_days") << days;
  }
}

TEST(ThresholdAllowed, FewDistinctThresholdsButRepeatsAreFree) {
  EXPECT_TRUE(ThresholdAllowed({}, 30));
  EXPECT_TRUE(ThresholdAllowed({30, 60}, 90));
  EXPECT_FALSE(ThresholdAllowed({30, 60, 90}, 180));
  EXPECT_TRUE(ThresholdAllowed({30, 60, 90}, 60));
}

Member Listed() {
  Member m{.member_id = "m1",
           .first_name = "Ana",
           .last_name = "Martinez",
           .display_name = "Ana M.",
           .email = "ana@example.org",
           .phone = "+15551234567",
           .program = Program::kIop,
           .sobriety_date = Date{2020, 1, 1},
           .interests = {"hiking"},
           .time_zone = "America/Chicago"};
  m.privacy.visibility = DirectoryVisibility::kAlumni;
  return m;
}

TEST(Directory, DefaultsHideTheMember) {
  Member m = Listed();
  m.privacy = Privacy{};
  EXPECT_FALSE(IsListed(m));
}

TEST(Directory, ShowsOnlyTheChosenFields) {
  Member m = Listed();
  ASSERT_TRUE(IsListed(m));
  DirectoryEntry bare = ToDirectoryEntry(m);
  EXPECT_EQ(bare.display_name, "Ana M.");
  EXPECT_EQ(bare.last_name, "");
  EXPECT_TRUE(bare.interests.empty());
  EXPECT_EQ(bare.program, Program::kUnspecified);
  EXPECT_EQ(bare.time_zone, "");
  m.privacy.visible_fields = {DirectoryField::kFullName, DirectoryField::kInterests};
  DirectoryEntry more = ToDirectoryEntry(m);
  EXPECT_EQ(more.last_name, "Martinez");
  EXPECT_EQ(more.interests, std::vector<std::string>{"hiking"});
  EXPECT_EQ(more.time_zone, "");
}

TEST(Directory, DeletedMembersAreNeverListed) {
  Member m = Listed();
  m.status = MemberStatus::kDeleted;
  EXPECT_FALSE(IsListed(m));
}

TEST(ValidatePurpose, AcceptsDottedNamesOnly) {
  EXPECT_TRUE(ValidatePurpose("notifications.rsvp_confirmed").ok());
  EXPECT_FALSE(ValidatePurpose("").ok());
  EXPECT_FALSE(ValidatePurpose("Because I want to").ok());
  EXPECT_FALSE(ValidatePurpose(std::string(65, 'a')).ok());
}

TEST(AuthorizeDelete, AdminsOrTheMemberThemself) {
  hc::auth::Principal admin{.subject = "a", .roles = {"admin", "coordinator"}};
  EXPECT_TRUE(AuthorizeDelete(admin, "someone").ok());
  EXPECT_EQ(AuthorizeDelete({.subject = "x", .roles = {}}, "someone").code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace membership::domain
