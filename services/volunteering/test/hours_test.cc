// The rules of volunteer hours, alone: no servers.
#include "services/volunteering/src/domain/hours.h"

#include <gtest/gtest.h>

#include <cctype>

namespace volunteering::domain {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const Time kNow{std::chrono::milliseconds(1'800'000'000'000)};
constexpr char kMember[] = "0b5a3c1e-8d2f-4a6b-9c7d-1e2f3a4b5c6d";
constexpr char kOther[] = "7f6e5d4c-3b2a-4190-8f7e-6d5c4b3a2918";
constexpr char kRoleId[] = "11111111-2222-4333-8444-555555555555";

// A two-hour shift that ended an hour before kNow.
Shift Ended() {
  return {.shift_id = "s", .role_id = "r", .start = kNow - hours(3), .end = kNow - hours(1)};
}

absl::StatusCode Code(const absl::Status& s) { return s.code(); }

TEST(ShiftMinutes, IsTheShiftsLengthInWholeMinutes) {
  EXPECT_EQ(ShiftMinutes(Ended()), 120);
  Shift odd = Ended();
  odd.end = odd.start + minutes(90) + std::chrono::seconds(59);
  EXPECT_EQ(ShiftMinutes(odd), 90);
}

TEST(CheckLogHours, MinutesFromOneToTheShiftsLength) {
  EXPECT_TRUE(CheckLogHours(Ended(), true, std::nullopt, 1, kNow).ok());
  EXPECT_TRUE(CheckLogHours(Ended(), true, std::nullopt, 120, kNow).ok());
  for (int bad : {0, -5, 121, 100000}) {
    absl::Status s = CheckLogHours(Ended(), true, std::nullopt, bad, kNow);
    EXPECT_EQ(Code(s), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message(), "minutes: must be 1 to 120 (the shift's length)") << bad;
  }
}

TEST(CheckLogHours, OnlyAfterTheShiftEndedAndNotWhenCancelled) {
  Shift running = Ended();
  running.end = kNow + minutes(1);
  absl::Status s = CheckLogHours(running, true, std::nullopt, 30, kNow);
  EXPECT_EQ(Code(s), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "the shift has not ended yet");
  Shift ending_now = Ended();
  ending_now.end = kNow;
  EXPECT_TRUE(CheckLogHours(ending_now, true, std::nullopt, 30, kNow).ok());

  Shift cancelled = Ended();
  cancelled.status = ShiftStatus::kCancelled;
  s = CheckLogHours(cancelled, true, std::nullopt, 30, kNow);
  EXPECT_EQ(Code(s), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "the shift was cancelled");
}

TEST(CheckLogHours, OnlyForAConfirmedSignUp) {
  absl::Status s = CheckLogHours(Ended(), false, std::nullopt, 30, kNow);
  EXPECT_EQ(Code(s), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "you were not confirmed for this shift");
}

TEST(CheckLogHours, ReplacesAPendingEntryButNotAReviewedOne) {
  EXPECT_TRUE(CheckLogHours(Ended(), true, HoursStatus::kPending, 60, kNow).ok());
  for (HoursStatus reviewed : {HoursStatus::kApproved, HoursStatus::kRejected}) {
    absl::Status s = CheckLogHours(Ended(), true, reviewed, 60, kNow);
    EXPECT_EQ(Code(s), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(s.message(), "your hours for this shift were already reviewed");
  }
}

TEST(Review, PendingMovesEitherWayAndTheSameDecisionAgainStands) {
  EXPECT_EQ(*Review(HoursStatus::kPending, HoursDecision::kApprove), HoursStatus::kApproved);
  EXPECT_EQ(*Review(HoursStatus::kPending, HoursDecision::kReject), HoursStatus::kRejected);
  EXPECT_EQ(*Review(HoursStatus::kApproved, HoursDecision::kApprove), HoursStatus::kApproved);
  EXPECT_EQ(*Review(HoursStatus::kRejected, HoursDecision::kReject), HoursStatus::kRejected);
}

TEST(Review, TheOtherDecisionAfterAReviewIsRefused) {
  auto s = Review(HoursStatus::kApproved, HoursDecision::kReject);
  EXPECT_EQ(Code(s.status()), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.status().message(), "these hours were already approved");
  s = Review(HoursStatus::kRejected, HoursDecision::kApprove);
  EXPECT_EQ(Code(s.status()), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.status().message(), "these hours were already rejected");
}

TEST(AuthorizeReview, CoordinatorsReviewOthersHoursNeverTheirOwn) {
  const hc::auth::Principal coordinator{.subject = kMember, .roles = {"coordinator"}};
  const std::string other = "5b1f6c2e-8d4a-4e3b-9c7d-2a1b0c9d8e7f";
  EXPECT_TRUE(AuthorizeReview(coordinator, other).ok());
  auto own = AuthorizeReview(coordinator, kMember);
  EXPECT_EQ(Code(own), absl::StatusCode::kPermissionDenied);
  // The same id in another spelling is still their own.
  std::string upper = kMember;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Code(AuthorizeReview(coordinator, upper)), absl::StatusCode::kPermissionDenied);
  const hc::auth::Principal member{.subject = kMember, .roles = {"alumnus"}};
  EXPECT_EQ(Code(AuthorizeReview(member, other)), absl::StatusCode::kPermissionDenied);
}

TEST(SummaryFor, AMemberSeesTheirOwn) {
  hc::auth::Principal member{.subject = kMember, .roles = {"alumnus"}};
  auto own = SummaryFor(member, "", "");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->member_id, kMember);
  EXPECT_TRUE(own->own);
  own = SummaryFor(member, kMember, "");
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->own);
  EXPECT_EQ(Code(SummaryFor(member, kOther, "").status()), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(SummaryFor(member, "", kRoleId).status()), absl::StatusCode::kPermissionDenied);
}

TEST(SummaryFor, CoordinatorsSeeAnyonesAndARolesTotals) {
  hc::auth::Principal staff{.subject = "coordinator-1", .roles = {"coordinator"}};
  auto other = SummaryFor(staff, kOther, "");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->member_id, kOther);
  EXPECT_FALSE(other->own);
  auto role = SummaryFor(staff, "", kRoleId);
  ASSERT_TRUE(role.ok());
  EXPECT_EQ(role->member_id, "");
  EXPECT_EQ(role->role_id, kRoleId);
  hc::auth::Principal admin{.subject = kMember, .roles = {"admin"}};
  EXPECT_TRUE(SummaryFor(admin, "", kRoleId).ok());
}

TEST(SummaryFor, IdsAreCheckedAndServicesHaveNoSummary) {
  hc::auth::Principal staff{.subject = "coordinator-1", .roles = {"coordinator"}};
  EXPECT_EQ(SummaryFor(staff, "nobody", "").status().message(), "member_id: must be a UUID");
  EXPECT_EQ(SummaryFor(staff, "", "role-7").status().message(), "role_id: must be a UUID");
  hc::auth::Principal service{.subject = "events", .roles = {"service"}};
  EXPECT_EQ(Code(SummaryFor(service, "", "").status()), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace volunteering::domain
