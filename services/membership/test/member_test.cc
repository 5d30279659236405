#include "services/membership/src/domain/member.h"

#include <gtest/gtest.h>

#include <set>

#include "libs/status/status.h"

namespace membership::domain {
namespace {

class FakeZones : public TimeZoneCatalog {
 public:
  bool Exists(std::string_view name) const override {
    return std::set<std::string_view>{"America/Chicago", "Europe/Dublin"}.contains(name);
  }
};

const Date kToday{2026, 11, 27};

NewMember Valid() {
  return {.first_name = "Ana",
          .last_name = "Martinez",
          .email = "Ana.Martinez@Example.org",
          .phone = "+15551234567",
          .program = Program::kIop,
          .sobriety_date = Date{2025, 2, 28},
          .interests = {"hiking", "peer-support"},
          .time_zone = "America/Chicago"};
}

std::string FieldOf(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(hc::InvalidFieldName(s));
}

TEST(ValidateNewMember, AcceptsACompleteMember) {
  EXPECT_TRUE(ValidateNewMember(Valid(), FakeZones(), kToday).ok());
}

TEST(ValidateNewMember, NamesTheBadField) {
  FakeZones zones;
  auto with = [&](auto mutate) {
    NewMember m = Valid();
    mutate(m);
    return FieldOf(ValidateNewMember(m, zones, kToday));
  };
  EXPECT_EQ(with([](NewMember& m) { m.first_name = "  "; }), "first_name");
  EXPECT_EQ(with([](NewMember& m) { m.first_name = std::string(51, 'a'); }), "first_name");
  EXPECT_EQ(with([](NewMember& m) { m.last_name = "Bad\nName"; }), "last_name");
  EXPECT_EQ(with([](NewMember& m) { m.email = ""; }), "email");
  EXPECT_EQ(with([](NewMember& m) { m.email = "no-at-sign.org"; }), "email");
  EXPECT_EQ(with([](NewMember& m) { m.email = "a@b@c.org"; }), "email");
  EXPECT_EQ(with([](NewMember& m) { m.email = "a@nodot"; }), "email");
  EXPECT_EQ(with([](NewMember& m) { m.email = std::string(250, 'a') + "@x.org"; }), "email");
  EXPECT_EQ(with([](NewMember& m) { m.phone = "555-1234"; }), "phone");
  EXPECT_EQ(with([](NewMember& m) { m.program = static_cast<Program>(42); }), "program");
  EXPECT_EQ(with([](NewMember& m) { m.sobriety_date = Date{2026, 2, 30}; }), "sobriety_date");
  EXPECT_EQ(with([](NewMember& m) { m.sobriety_date = Date{2026, 11, 29}; }), "sobriety_date");
  EXPECT_EQ(with([](NewMember& m) { m.interests = {"Hiking!"}; }), "interests");
  EXPECT_EQ(with([](NewMember& m) { m.interests = std::vector<std::string>(21, "x"); }),
            "interests");
  EXPECT_EQ(with([](NewMember& m) { m.time_zone = ""; }), "time_zone");
  EXPECT_EQ(with([](NewMember& m) { m.time_zone = "Mars/Olympus"; }), "time_zone");
}

TEST(ValidateNewMember, AcceptsLeapDayAndToday) {
  NewMember m = Valid();
  m.sobriety_date = Date{2024, 2, 29};
  EXPECT_TRUE(ValidateNewMember(m, FakeZones(), kToday).ok());
  m.sobriety_date = kToday;
  EXPECT_TRUE(ValidateNewMember(m, FakeZones(), kToday).ok());
  // Already tomorrow east of UTC.
  m.sobriety_date = Date{2026, 11, 28};
  EXPECT_TRUE(ValidateNewMember(m, FakeZones(), kToday).ok());
}

TEST(DefaultDisplayName, IsFirstNameAndLastInitial) {
  EXPECT_EQ(DefaultDisplayName("Ana", "Martinez"), "Ana M.");
  EXPECT_EQ(DefaultDisplayName(" Ana ", ""), "Ana");
  EXPECT_EQ(DefaultDisplayName("Siggi", "Ólafsson"), "Siggi Ó.");
}

TEST(NormalizeEmail, TrimsAndLowercases) {
  EXPECT_EQ(NormalizeEmail("  Ana.M@Example.ORG "), "ana.m@example.org");
}

TEST(ApplyChanges, ReportsOnlyRealChangesAndKeepsTheDefaultDisplayNameInStep) {
  Member m{.first_name = "Ana", .last_name = "Martinez", .display_name = "Ana M."};
  ProfileChanges c;
  c.last_name = "Lopez";
  c.first_name = "Ana";  // unchanged
  auto changed = ApplyChanges(m, c);
  EXPECT_EQ(changed, (std::vector<std::string>{"last_name", "display_name"}));
  EXPECT_EQ(m.display_name, "Ana L.");
}

TEST(ApplyChanges, KeepsADisplayNameTheMemberChose) {
  Member m{.first_name = "Ana", .last_name = "Martinez", .display_name = "AnaM"};
  ProfileChanges c;
  c.last_name = "Lopez";
  ApplyChanges(m, c);
  EXPECT_EQ(m.display_name, "AnaM");
}

TEST(ApplyChanges, ClearsTheSobrietyDate) {
  Member m{.sobriety_date = Date{2020, 1, 1}};
  ProfileChanges c;
  c.sobriety_date = std::optional<Date>();
  EXPECT_EQ(ApplyChanges(m, c), std::vector<std::string>{"sobriety_date"});
  EXPECT_FALSE(m.sobriety_date.has_value());
}

TEST(AnnouncedChanges, NeverNamePrivateFields) {
  EXPECT_EQ(AnnouncedChanges({"phone", "last_name", "program", "sobriety_date", "interests"}),
            (std::vector<std::string>{"last_name", "interests"}));
  EXPECT_TRUE(AnnouncedChanges({"phone", "program", "sobriety_date"}).empty());
}

TEST(ValidateInterestTag, LowerCaseWordsAndHyphensNamingTheField) {
  EXPECT_TRUE(ValidateInterestTag("peer-support").ok());
  for (const char* bad : {"", "Hiking", "bird watching", "-x", "sober@1998"}) {
    EXPECT_EQ(FieldOf(ValidateInterestTag(bad)), "tag") << bad;
  }
  EXPECT_EQ(FieldOf(ValidateInterestTag(std::string(33, 'a'))), "tag");
  EXPECT_TRUE(AuthorizeCatalogue({.subject = "c", .roles = {"coordinator"}}).ok());
  EXPECT_EQ(AuthorizeCatalogue({.subject = "a", .roles = {"alumnus"}}).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(Authorize, MembersActOnlyOnThemselvesStaffMayReadAndRegister) {
  hc::auth::Principal ana{.subject = "a", .roles = {"alumnus"}};
  hc::auth::Principal coordinator{.subject = "c", .roles = {"coordinator"}};
  hc::auth::Principal admin{.subject = "d", .roles = {"admin"}};
  EXPECT_TRUE(AuthorizeRead(ana, "a").ok());
  EXPECT_EQ(AuthorizeRead(ana, "b").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeRead(coordinator, "b").ok());
  EXPECT_TRUE(AuthorizeUpdate(ana, "a").ok());
  EXPECT_EQ(AuthorizeUpdate(coordinator, "a").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(AuthorizeRegister(ana).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeRegister(coordinator).ok());
  EXPECT_TRUE(AuthorizeRegister(admin).ok());
}

TEST(TodayUtc, IsTheCalendarDate) {
  using namespace std::chrono;
  auto t = sys_days{year{2026} / 11 / 27} + hours{23};
  EXPECT_EQ(TodayUtc(t), (Date{2026, 11, 27}));
}

}  // namespace
}  // namespace membership::domain
