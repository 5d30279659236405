// The rules of volunteering, alone: no servers.
#include "services/volunteering/src/domain/volunteering.h"

#include <gtest/gtest.h>

namespace volunteering::domain {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Time kNow{std::chrono::milliseconds(1'800'000'000'000)};

class FakeZones : public TimeZoneCatalog {
 public:
  bool Exists(std::string_view name) const override { return name == "America/Denver"; }
};

RoleDetails Details() {
  return {.title = "Greeter", .tags = {"peer-support"}, .venue = "Main hall"};
}

Role OpenRole(int max_shifts = 2) {
  Role r{.role_id = "r", .details = Details()};
  r.details.max_shifts_per_person = max_shifts;
  return r;
}

Shift ShiftOf(int slots, int confirmed, Time start = kNow + hours(48)) {
  return {.shift_id = "s",
          .role_id = "r",
          .start = start,
          .end = start + hours(2),
          .time_zone = "America/Denver",
          .slots = slots,
          .confirmed_count = confirmed};
}

TEST(ValidateRole, FillsDefaultsAndNamesTheBadField) {
  RoleDetails good = Details();
  ASSERT_TRUE(ValidateRole(good).ok());
  EXPECT_EQ(good.max_shifts_per_person, kDefaultShiftsPerPerson);
  auto bad = [](auto change) {
    RoleDetails details = Details();
    change(details);
    return std::string(ValidateRole(details).message());
  };
  EXPECT_EQ(bad([](auto& d) { d.title = " "; }), "title: must not be empty");
  EXPECT_EQ(bad([](auto& d) { d.tags = {"Not A Tag"}; }),
            "tags: must be catalogue tags (a-z 0-9 -)");
  EXPECT_EQ(bad([](auto& d) { d.tags = {"art", "art"}; }), "tags: must not repeat a tag");
  EXPECT_EQ(bad([](auto& d) { d.online_url = "https://x.org"; }),
            "location: set exactly one of venue and online_url");
  EXPECT_EQ(bad([](auto& d) { d.min_sober_days = 45; }).rfind("min_sober_days:", 0), 0u);
  EXPECT_EQ(bad([](auto& d) { d.max_shifts_per_person = 51; }),
            "max_shifts_per_person: must be 1 to 50");
  EXPECT_EQ(bad([](auto& d) { d.event_id = "event-7"; }), "event_id: must be an event id (UUID)");
}

TEST(IsAllowedSoberThreshold, OnlyTheMilestoneLadder) {
  for (int days : {0, 30, 60, 90, 180, 365, 730, 3650}) EXPECT_TRUE(IsAllowedSoberThreshold(days));
  for (int days : {1, 29, 45, 100, 364, 366, -30}) EXPECT_FALSE(IsAllowedSoberThreshold(days));
}

TEST(ValidateShift, FutureBoundedSlotsAndAnOpenRole) {
  FakeZones zones;
  EXPECT_TRUE(ValidateShift(OpenRole(), ShiftOf(3, 0), zones, kNow).ok());
  EXPECT_EQ(ValidateShift(OpenRole(), ShiftOf(0, 0), zones, kNow).message(),
            "slots: must be 1 to 500");
  EXPECT_EQ(ValidateShift(OpenRole(), ShiftOf(3, 0, kNow - hours(1)), zones, kNow).message(),
            "start_time: must be in the future");
  Shift long_one = ShiftOf(3, 0);
  long_one.end = long_one.start + hours(25);
  EXPECT_EQ(ValidateShift(OpenRole(), long_one, zones, kNow).message(),
            "end_time: must be within 24 hours of start_time");
  Shift bad_zone = ShiftOf(3, 0);
  bad_zone.time_zone = "Mars/Olympus";
  EXPECT_EQ(ValidateShift(OpenRole(), bad_zone, zones, kNow).message(),
            "time_zone: must be an IANA time zone");
  Role closed = OpenRole();
  closed.status = RoleStatus::kClosed;
  EXPECT_EQ(ValidateShift(closed, ShiftOf(3, 0), zones, kNow).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PlaceSignup, ConfirmedWhileSlotsRemainThenTheLine) {
  EXPECT_EQ(*PlaceSignup(OpenRole(), ShiftOf(3, 2), kNow), Placement::kConfirmed);
  EXPECT_EQ(*PlaceSignup(OpenRole(), ShiftOf(3, 3), kNow), Placement::kWaitlisted);
  EXPECT_EQ(PlaceSignup(OpenRole(), ShiftOf(3, 0, kNow), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Role closed = OpenRole();
  closed.status = RoleStatus::kClosed;
  EXPECT_EQ(PlaceSignup(closed, ShiftOf(3, 0), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CheckShiftLimit, HoldsAtTheRolesMaximum) {
  EXPECT_TRUE(CheckShiftLimit(OpenRole(2), 1).ok());
  const absl::Status full = CheckShiftLimit(OpenRole(2), 2);
  EXPECT_EQ(full.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(full.message(), "you hold 2 current shifts of this role, the most one person may (2)");
}

TEST(CheckWithdraw, ClosesAtTheCutOffAndSaysWhen) {
  const Shift shift = ShiftOf(3, 1, kNow + hours(30));
  EXPECT_TRUE(CheckWithdraw(shift, kNow, minutes(24 * 60)).ok());
  absl::Status late = CheckWithdraw(shift, kNow + hours(7), minutes(24 * 60));
  EXPECT_EQ(late.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(late.message().find("closed at 2027-01-15 14:00 UTC"), std::string::npos)
      << late.message();
}

TEST(PromotesOnFree, OnlyBeforeTheShiftStarts) {
  EXPECT_TRUE(PromotesOnFree(ShiftOf(3, 1), kNow));
  EXPECT_FALSE(PromotesOnFree(ShiftOf(3, 1, kNow), kNow));
}

Shift Cancelled(Shift s) {
  s.status = ShiftStatus::kCancelled;
  return s;
}

TEST(ApplyShiftChanges, MovesAndResizesNamingOnlyWhatChanged) {
  FakeZones zones;
  Shift shift = ShiftOf(3, 2);
  const Time later = shift.start + hours(24);
  auto changed = ApplyShiftChanges(
      shift, {.start = later, .end = later + hours(3), .time_zone = "America/Denver", .slots = 5},
      zones, kNow);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, (std::vector<std::string>{"start_time", "end_time", "slots"}));
  EXPECT_EQ(shift.start, later);
  EXPECT_EQ(shift.end, later + hours(3));
  EXPECT_EQ(shift.slots, 5);
  EXPECT_EQ(shift.confirmed_count, 2);
}

TEST(ApplyShiftChanges, KeepsAddShiftsRulesForTheResult) {
  FakeZones zones;
  auto refused = [&](ShiftChanges changes) {
    Shift shift = ShiftOf(3, 0);
    const Shift before = shift;
    absl::Status status = ApplyShiftChanges(shift, changes, zones, kNow).status();
    EXPECT_EQ(shift.start, before.start) << "a refused change must leave the shift alone";
    EXPECT_EQ(shift.slots, before.slots);
    return std::string(status.message());
  };
  const Time start = ShiftOf(3, 0).start;
  EXPECT_EQ(refused({.start = kNow - hours(1)}), "start_time: must be in the future");
  EXPECT_EQ(refused({.start = kNow + std::chrono::days(400)}), "start_time: must be within a year");
  EXPECT_EQ(refused({.end = start}), "end_time: must be after start_time");
  EXPECT_EQ(refused({.start = start - hours(23)}),
            "end_time: must be within 24 hours of start_time");
  EXPECT_EQ(refused({.time_zone = "Mars/Olympus"}), "time_zone: must be an IANA time zone");
  EXPECT_EQ(refused({.slots = 501}), "slots: must be 1 to 500");
  EXPECT_EQ(refused({.slots = 0}), "slots: must be 1 to 500");
}

TEST(ApplyShiftChanges, FewerSlotsThanConfirmedIsRefusedSayingHowMany) {
  FakeZones zones;
  Shift shift = ShiftOf(5, 4);
  absl::Status status = ApplyShiftChanges(shift, {.slots = 3}, zones, kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("4 volunteers are confirmed"), std::string::npos) << status;
  EXPECT_EQ(shift.slots, 5);
  EXPECT_TRUE(ApplyShiftChanges(shift, {.slots = 4}, zones, kNow).ok());
}

TEST(ApplyShiftChanges, RefusesStartedAndCancelledShifts) {
  FakeZones zones;
  Shift started = ShiftOf(3, 0, kNow);
  EXPECT_EQ(ApplyShiftChanges(started, {.slots = 4}, zones, kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Shift cancelled = Cancelled(ShiftOf(3, 0));
  absl::Status status = ApplyShiftChanges(cancelled, {.slots = 4}, zones, kNow).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "the shift was cancelled");
}

TEST(ApplyShiftChanges, TheSameValuesChangeNothing) {
  FakeZones zones;
  Shift shift = ShiftOf(3, 1);
  auto changed = ApplyShiftChanges(shift, {.start = shift.start, .slots = 3}, zones, kNow);
  ASSERT_TRUE(changed.ok());
  EXPECT_TRUE(changed->empty());
}

TEST(CancelledShift, TakesNoSignUpsAndPromotesNobody) {
  const Shift cancelled = Cancelled(ShiftOf(3, 0));
  absl::StatusOr<Placement> placed = PlaceSignup(OpenRole(), cancelled, kNow);
  EXPECT_EQ(placed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(placed.status().message(), "the shift was cancelled");
  EXPECT_EQ(CheckScheduled(cancelled).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckScheduled(ShiftOf(3, 0)).ok());
  EXPECT_FALSE(PromotesOnFree(cancelled, kNow));
}

TEST(CheckCancel, RefusedOnceTheShiftHasStartedACancelledOneAsItStands) {
  EXPECT_TRUE(CheckCancel(ShiftOf(3, 0), kNow).ok());
  const absl::Status started = CheckCancel(ShiftOf(3, 0, kNow), kNow);
  EXPECT_EQ(started.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(started.message(), "the shift has started");
  EXPECT_EQ(CheckCancel(ShiftOf(3, 0, kNow - hours(1)), kNow).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(CheckCancel(Cancelled(ShiftOf(3, 0, kNow - hours(1))), kNow).ok());
}

TEST(HasEnded, FromTheShiftsEndOn) {
  const Shift shift = ShiftOf(3, 0, kNow - hours(1));
  EXPECT_FALSE(HasEnded(shift, kNow)) << "started, not ended";
  EXPECT_TRUE(HasEnded(shift, shift.end));
  EXPECT_TRUE(HasEnded(shift, kNow + hours(2)));
}

TEST(FollowsEvent, OnlyScheduledShiftsThatHaveNotStarted) {
  EXPECT_TRUE(FollowsEvent(ShiftOf(3, 0), kNow));
  EXPECT_FALSE(FollowsEvent(ShiftOf(3, 0, kNow), kNow));
  EXPECT_FALSE(FollowsEvent(Cancelled(ShiftOf(3, 0)), kNow));
}

Role ApprovalRole() {
  Role r = OpenRole();
  r.details.requires_approval = true;
  return r;
}

TEST(PlaceSignup, ARoleThatNeedsApprovalHoldsEverySignUpPendingWhateverTheSlots) {
  EXPECT_EQ(*PlaceSignup(ApprovalRole(), ShiftOf(3, 0), kNow), Placement::kPendingApproval);
  EXPECT_EQ(*PlaceSignup(ApprovalRole(), ShiftOf(3, 3), kNow), Placement::kPendingApproval);
  // The role's other rules come first.
  Role closed = ApprovalRole();
  closed.status = RoleStatus::kClosed;
  EXPECT_EQ(PlaceSignup(closed, ShiftOf(3, 0), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlaceSignup(ApprovalRole(), ShiftOf(3, 0, kNow), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PlaceApproval, TakesASlotWhileOneIsLeftThenTheBackOfTheLine) {
  EXPECT_EQ(*PlaceApproval(ShiftOf(3, 2), kNow), Placement::kConfirmed);
  EXPECT_EQ(*PlaceApproval(ShiftOf(3, 3), kNow), Placement::kWaitlisted);
}

TEST(PlaceApproval, RefusedOnceTheShiftStartedOrWasCancelled) {
  absl::StatusOr<Placement> started = PlaceApproval(ShiftOf(3, 0, kNow), kNow);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(started.status().message(), "the shift has started");
  Shift cancelled = ShiftOf(3, 0);
  cancelled.status = ShiftStatus::kCancelled;
  EXPECT_EQ(PlaceApproval(cancelled, kNow).status().message(), "the shift was cancelled");
}

TEST(IsActive, ConfirmedWaitlistedAndPendingHoldTheMembersPlace) {
  EXPECT_TRUE(IsActive(SignupStatus::kConfirmed));
  EXPECT_TRUE(IsActive(SignupStatus::kWaitlisted));
  EXPECT_TRUE(IsActive(SignupStatus::kPendingApproval));
  EXPECT_FALSE(IsActive(SignupStatus::kWithdrawn));
  EXPECT_FALSE(IsActive(SignupStatus::kDeclined));
  EXPECT_FALSE(IsActive(SignupStatus::kShiftCancelled));
}

TEST(CheckSignUpAgain, ADeclineIsFinalForTheShiftAWithdrawalIsNot) {
  EXPECT_TRUE(CheckSignUpAgain(SignupStatus::kWithdrawn).ok());
  EXPECT_EQ(CheckSignUpAgain(SignupStatus::kDeclined).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CheckWithdraw, APendingSignUpHoldsNoSlotSoTheCutOffDoesNotApply) {
  const Shift shift = ShiftOf(3, 1, kNow + hours(2));
  EXPECT_TRUE(CheckWithdraw(shift, SignupStatus::kPendingApproval, kNow, minutes(24 * 60)).ok());
  EXPECT_EQ(CheckWithdraw(shift, SignupStatus::kConfirmed, kNow, minutes(24 * 60)).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckWithdraw(shift, SignupStatus::kWaitlisted, kNow, minutes(24 * 60)).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace volunteering::domain
