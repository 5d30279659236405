#include "services/events/src/domain/event.h"

#include <gtest/gtest.h>

#include <set>

#include "libs/status/status.h"

namespace events::domain {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

class FakeZones : public TimeZoneCatalog {
 public:
  bool Exists(std::string_view name) const override {
    return std::set<std::string_view>{"America/Chicago", "Europe/Dublin"}.contains(name);
  }
};

// 2026-11-27T12:00:00Z
const Time kNow{std::chrono::milliseconds(1795780800000)};

EventDetails Valid() {
  return {.title = "Monthly alumni meeting",
          .description = "Bring a friend.\nCoffee provided.",
          .kind = EventKind::kAlumniMeeting,
          .start = kNow + days(7),
          .end = kNow + days(7) + hours(2),
          .time_zone = "America/Chicago",
          .venue = "Community room, 12 Elm St",
          .online_url = "",
          .capacity = 50,
          .waitlist_enabled = true,
          .visibility = Visibility::kMembers};
}

Event Scheduled(int capacity, int going, int waitlisted, bool waitlist = true) {
  Event e;
  e.event_id = "5d1c5f3e-8b0a-4c47-9a51-3f1d2b6c7e80";
  e.details = Valid();
  e.details.capacity = capacity;
  e.details.waitlist_enabled = waitlist;
  e.going_count = going;
  e.waitlist_count = waitlisted;
  return e;
}

std::string FieldOf(const absl::Status& s) {
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  return std::string(hc::InvalidFieldName(s));
}

TEST(ValidateNewEvent, AcceptsACompleteEvent) {
  EXPECT_TRUE(ValidateNewEvent(Valid(), FakeZones(), kNow).ok());
  EventDetails online = Valid();
  online.venue.clear();
  online.online_url = "https://meet.example.org/alumni";
  EXPECT_TRUE(ValidateNewEvent(online, FakeZones(), kNow).ok());
}

TEST(ValidateNewEvent, NamesTheBadField) {
  FakeZones zones;
  auto with = [&](auto mutate) {
    EventDetails d = Valid();
    mutate(d);
    return FieldOf(ValidateNewEvent(d, zones, kNow));
  };
  EXPECT_EQ(with([](EventDetails& d) { d.title = "   "; }), "title");
  EXPECT_EQ(with([](EventDetails& d) { d.title = std::string(121, 'a'); }), "title");
  EXPECT_EQ(with([](EventDetails& d) { d.title = "Line\nbreak"; }), "title");
  EXPECT_EQ(with([](EventDetails& d) { d.description = std::string(4001, 'a'); }), "description");
  EXPECT_EQ(with([](EventDetails& d) { d.description = "bell\a"; }), "description");
  EXPECT_EQ(with([](EventDetails& d) { d.kind = EventKind::kUnspecified; }), "kind");
  EXPECT_EQ(with([](EventDetails& d) { d.kind = static_cast<EventKind>(9); }), "kind");
  EXPECT_EQ(with([](EventDetails& d) { d.start = kNow - minutes(1); }), "start_time");
  EXPECT_EQ(with([](EventDetails& d) { d.start = kNow + days(3 * 366 + 1); }), "start_time");
  EXPECT_EQ(with([](EventDetails& d) { d.end = d.start; }), "end_time");
  EXPECT_EQ(with([](EventDetails& d) { d.end = d.start + days(15); }), "end_time");
  EXPECT_EQ(with([](EventDetails& d) { d.time_zone = "Nowhere/Land"; }), "time_zone");
  EXPECT_EQ(with([](EventDetails& d) { d.time_zone = ""; }), "time_zone");
  EXPECT_EQ(with([](EventDetails& d) { d.venue.clear(); }), "location");
  EXPECT_EQ(with([](EventDetails& d) { d.online_url = "https://x.example.org"; }), "location");
  EXPECT_EQ(with([](EventDetails& d) { d.venue = std::string(301, 'v'); }), "venue");
  EXPECT_EQ(with([](EventDetails& d) {
              d.venue.clear();
              d.online_url = "javascript:alert(1)";
            }),
            "online_url");
  EXPECT_EQ(with([](EventDetails& d) {
              d.venue.clear();
              d.online_url = "https://exa mple.org";
            }),
            "online_url");
  EXPECT_EQ(with([](EventDetails& d) { d.capacity = 0; }), "capacity");
  EXPECT_EQ(with([](EventDetails& d) { d.capacity = 10001; }), "capacity");
  EXPECT_EQ(with([](EventDetails& d) { d.visibility = Visibility::kUnspecified; }), "visibility");
}

TEST(ValidateNewEvent, CapacityMessageSaysTheMinimum) {
  EventDetails d = Valid();
  d.capacity = 0;
  EXPECT_EQ(ValidateNewEvent(d, FakeZones(), kNow).message(), "capacity: must be at least 1");
}

TEST(PlaceRsvp, GoingWhileSeatsRemain) {
  EXPECT_EQ(*PlaceRsvp(Scheduled(50, 0, 0), kNow), Placement::kGoing);
  EXPECT_EQ(*PlaceRsvp(Scheduled(50, 49, 0), kNow), Placement::kGoing);
}

TEST(PlaceRsvp, WaitlistedWhenFull) {
  EXPECT_EQ(*PlaceRsvp(Scheduled(50, 50, 0), kNow), Placement::kWaitlisted);
  EXPECT_EQ(*PlaceRsvp(Scheduled(1, 1, 900), kNow), Placement::kWaitlisted);
}

TEST(PlaceRsvp, SomeoneWaitingMeansNoSeatEvenIfOneIsFree) {
  // A free seat with people in line belongs to the first in line, not to a newcomer.
  EXPECT_EQ(*PlaceRsvp(Scheduled(50, 49, 3), kNow), Placement::kWaitlisted);
}

TEST(PlaceRsvp, FullWithoutAWaitlistIsFailedPrecondition) {
  auto placed = PlaceRsvp(Scheduled(10, 10, 0, /*waitlist=*/false), kNow);
  EXPECT_EQ(placed.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(PlaceRsvp, CancelledOrStartedEventsTakeNoRsvps) {
  Event cancelled = Scheduled(10, 0, 0);
  cancelled.status = EventStatus::kCancelled;
  EXPECT_EQ(PlaceRsvp(cancelled, kNow).status().code(), absl::StatusCode::kFailedPrecondition);
  Event started = Scheduled(10, 0, 0);
  started.details.start = kNow - minutes(1);
  EXPECT_EQ(PlaceRsvp(started, kNow).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(PlaceRsvp(started, started.details.start).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CheckCancelRsvp, OnlyBeforeTheStartOfAScheduledEvent) {
  EXPECT_TRUE(CheckCancelRsvp(Scheduled(10, 1, 0), kNow).ok());
  Event started = Scheduled(10, 1, 0);
  started.details.start = kNow;
  EXPECT_EQ(CheckCancelRsvp(started, kNow).code(), absl::StatusCode::kFailedPrecondition);
  Event cancelled = Scheduled(10, 1, 0);
  cancelled.status = EventStatus::kCancelled;
  EXPECT_EQ(CheckCancelRsvp(cancelled, kNow).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Waitlist, CancellationPromotesFirstInLine) {
  // 50 seats, 49 going after one cancelled, 3 waiting: one moves up.
  EXPECT_EQ(SeatsToPromote(50, 49, 3), 1);
}

TEST(Waitlist, NoPromotionWithoutAFreeSeatOrAnyoneWaiting) {
  EXPECT_EQ(SeatsToPromote(50, 50, 3), 0);
  EXPECT_EQ(SeatsToPromote(50, 10, 0), 0);
}

TEST(Waitlist, RaisingCapacityPromotesAsManyAsTheNewSeats) {
  EXPECT_EQ(SeatsToPromote(60, 50, 30), 10);
  EXPECT_EQ(SeatsToPromote(60, 50, 4), 4);
}

TEST(Waitlist, NeverNegativeEvenIfOverCapacity) { EXPECT_EQ(SeatsToPromote(10, 12, 5), 0); }

TEST(CheckCapacity, CannotDropBelowTheConfirmedCount) {
  EXPECT_TRUE(CheckCapacity(20, 20).ok());
  absl::Status s = CheckCapacity(19, 20);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(hc::InvalidFieldName(absl::InvalidArgumentError(s.message())), "capacity");
}

TEST(ApplyChanges, ReportsWhatChangedAndValidates) {
  Event e = Scheduled(50, 10, 0);
  EventChanges c;
  c.title = "Sober social: bowling";
  c.capacity = 60;
  auto changed = ApplyChanges(e, c, FakeZones(), kNow);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_EQ(*changed, (std::vector<std::string>{"title", "capacity"}));
  EXPECT_EQ(e.details.capacity, 60);

  Event same = Scheduled(50, 10, 0);
  EventChanges nothing;
  nothing.title = same.details.title;
  EXPECT_TRUE(ApplyChanges(same, nothing, FakeZones(), kNow)->empty());
}

TEST(ApplyChanges, CapacityBelowGoingIsFailedPreconditionNamingCapacity) {
  Event e = Scheduled(50, 30, 0);
  EventChanges c;
  c.capacity = 29;
  auto changed = ApplyChanges(e, c, FakeZones(), kNow);
  EXPECT_EQ(changed.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(changed.status().message()).rfind("capacity: ", 0), 0u);
  c.capacity = 0;
  EXPECT_EQ(FieldOf(ApplyChanges(e, c, FakeZones(), kNow).status()), "capacity");
}

TEST(ApplyChanges, MovingToOnlineClearsTheVenue) {
  Event e = Scheduled(50, 0, 0);
  EventChanges c;
  c.online_url = "https://meet.example.org/x";
  auto changed = ApplyChanges(e, c, FakeZones(), kNow);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(e.details.venue.empty());
  EXPECT_EQ(*changed, (std::vector<std::string>{"venue", "online_url"}));
}

TEST(ApplyChanges, CancelledEventsDoNotChange) {
  Event e = Scheduled(50, 0, 0);
  e.status = EventStatus::kCancelled;
  EventChanges c;
  c.title = "x";
  EXPECT_EQ(ApplyChanges(e, c, FakeZones(), kNow).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ApplyChanges, ANewStartMustBeInTheFutureButOtherFieldsOfAStartedEventMayChange) {
  Event e = Scheduled(50, 0, 0);
  e.details.start = kNow - hours(1);
  e.details.end = kNow + hours(1);
  EventChanges c;
  c.description = "Running late, sorry";
  EXPECT_TRUE(ApplyChanges(e, c, FakeZones(), kNow).ok());
  EventChanges move;
  move.start = kNow - hours(2);
  EXPECT_EQ(FieldOf(ApplyChanges(e, move, FakeZones(), kNow).status()), "start_time");
}

TEST(CheckCheckIn, OnlyGoingAttendeesOfAScheduledEvent) {
  Event e = Scheduled(10, 1, 1);
  Rsvp going{.status = RsvpStatus::kGoing};
  Rsvp waiting{.status = RsvpStatus::kWaitlisted};
  EXPECT_TRUE(CheckCheckIn(e, going).ok());
  EXPECT_EQ(CheckCheckIn(e, waiting).code(), absl::StatusCode::kFailedPrecondition);
  e.status = EventStatus::kCancelled;
  EXPECT_EQ(CheckCheckIn(e, going).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Authorization, CoordinatorsManageMembersRsvpForThemselves) {
  hc::auth::Principal member{.subject = "5d1c5f3e-8b0a-4c47-9a51-3f1d2b6c7e80",
                             .roles = {"alumnus"}};
  hc::auth::Principal coordinator{.subject = "staff-1", .roles = {"coordinator"}};
  EXPECT_EQ(AuthorizeManage(member).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AuthorizeManage(coordinator).ok());
  EXPECT_EQ(*MemberOf(member), member.subject);
  EXPECT_EQ(MemberOf(coordinator).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(Authorization, UnlistedEventsAreListedToStaffOnly) {
  hc::auth::Principal member{.subject = "m", .roles = {"alumnus"}};
  hc::auth::Principal admin{.subject = "a", .roles = {"admin"}};
  EXPECT_FALSE(SeesUnlisted(member));
  EXPECT_TRUE(SeesUnlisted(admin));
}

}  // namespace
}  // namespace events::domain
