// The shift lifecycle end to end: UpdateShift, CancelShift and the alumni.events.v1 consumer
// against the real gRPC server, PostgreSQL, Redis and Kafka.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <set>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/volunteering/src/app.h"
#include "services/volunteering/test/test_support.h"

namespace volunteering {
namespace {

using test_support::At;
using test_support::Ctx;
using test_support::FromTs;
using test_support::kSecret;
using test_support::Token;

namespace pb = alumni::volunteering::v1;
namespace epb = alumni::events::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;
using std::chrono::hours;

class ShiftLifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {topic_, membership_topic_, events_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    Settings v;
    v.data_key_hex = std::string(64, 'e');
    v.service.server.address = "127.0.0.1:0";
    v.service.metrics_address = "127.0.0.1:0";
    v.service.database_url = db_.url();
    v.service.redis_address = hc::testing::RedisAddress();
    v.service.kafka_brokers = hc::testing::KafkaBrokers();
    v.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    v.service.workers = 4;
    v.volunteering_topic = topic_;
    v.membership_topic = membership_topic_;
    v.consumer_group = hc::testing::UniqueName("volunteering-shifts-test");
    v.events_topic = events_topic_;
    v.events_consumer_group = hc::testing::UniqueName("volunteering-events-test");
    // Nobody asks membership here: the roles need no sober time.
    v.membership_address = "127.0.0.1:1";
    app_ = std::make_unique<App>(v);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::VolunteeringService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  // The slot invariant, after every test: each shift's counts equal its rows, within its slots,
  // and a cancelled shift holds nobody.
  void TearDown() override {
    if (!app_) return;
    auto drifted = Query(
        "SELECT s.shift_id FROM shifts s WHERE s.confirmed_count <> (SELECT count(*) FROM "
        "signups g WHERE g.shift_id = s.shift_id AND g.status = 1) OR s.waitlist_count <> "
        "(SELECT count(*) FROM signups g WHERE g.shift_id = s.shift_id AND g.status = 2) OR "
        "s.confirmed_count > s.slots OR (s.status = 2 AND EXISTS (SELECT 1 FROM signups g "
        "WHERE g.shift_id = s.shift_id AND g.status IN (1, 2, 4)))");
    EXPECT_EQ(drifted.size(), 0u) << "slot counts differ from the rows";
    app_->Shutdown();
  }

  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  pb::Role Post(const std::string& event_id = "") {
    pb::PostRoleRequest req;
    auto* r = req.mutable_role();
    r->set_title("Set-up crew");
    r->set_venue("Community hall");
    r->set_event_id(event_id);
    pb::PostRoleResponse resp;
    grpc::Status s = stub_->PostRole(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.role();
  }

  pb::Shift AddShift(const std::string& role_id, int slots, Clock::time_point start) {
    pb::AddShiftRequest req;
    req.set_role_id(role_id);
    *req.mutable_start_time() = At(start);
    *req.mutable_end_time() = At(start + hours(2));
    req.set_time_zone("America/Denver");
    req.set_slots(slots);
    pb::AddShiftResponse resp;
    grpc::Status s = stub_->AddShift(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.shift();
  }

  grpc::Status SignUp(const std::string& member_id, const std::string& shift_id) {
    pb::SignUpRequest req;
    req.set_shift_id(shift_id);
    pb::SignUpResponse resp;
    return stub_->SignUp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
  }

  grpc::Status Update(pb::UpdateShiftRequest req, pb::Shift* out = nullptr) {
    pb::UpdateShiftResponse resp;
    grpc::Status s = stub_->UpdateShift(Ctx(staff_).get(), req, &resp);
    if (out) *out = resp.shift();
    return s;
  }

  grpc::Status Cancel(const std::string& shift_id, pb::Shift* out = nullptr) {
    pb::CancelShiftRequest req;
    req.set_shift_id(shift_id);
    pb::CancelShiftResponse resp;
    grpc::Status s = stub_->CancelShift(Ctx(staff_).get(), req, &resp);
    if (out) *out = resp.shift();
    return s;
  }

  pb::Shift GetShift(const std::string& role_id, const std::string& shift_id) {
    pb::GetRoleRequest req;
    req.set_role_id(role_id);
    pb::GetRoleResponse resp;
    grpc::Status s = stub_->GetRole(Ctx(Token(hc::ids::NewUuid(), {"alumnus"})).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& shift : resp.role().shifts()) {
      if (shift.shift_id() == shift_id) return shift;
    }
    ADD_FAILURE() << "GetRole does not show shift " << shift_id;
    return {};
  }

  int SignupStatusOf(const std::string& shift_id, const std::string& member_id) {
    return Query("SELECT status FROM signups WHERE shift_id = '" + shift_id +
                 "' AND member_id = '" + member_id + "'")[0][0]
        .as<int>();
  }

  // The facts of `ce_type` published for the role: waits for `count`, and one too many shows.
  template <typename Fact>
  std::vector<Fact> Published(const std::string& role_id, size_t count) {
    std::vector<Fact> out;
    for (const auto& message : hc::testing::ReadTopic(
             hc::testing::KafkaBrokers(), topic_, count, std::chrono::seconds(60),
             [&](const hc::kafka::Message& m) {
               return m.key == role_id && m.Header("ce_type") == Fact::descriptor()->full_name();
             })) {
      out.emplace_back().ParseFromString(message.value);
    }
    return out;
  }

  void PublishEventFact(const std::string& event_id, const google::protobuf::Message& fact,
                        const std::string& ce_id) {
    Publish(events_topic_, event_id, fact, ce_id);
  }

  void Publish(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact, const std::string& ce_id) {
    auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "t");
    ASSERT_TRUE(producer.ok());
    const std::string value = fact.SerializeAsString();
    RdKafka::Headers* headers =
        hc::kafka::NewHeaders({{hc::kafka::kCeId, ce_id},
                               {hc::kafka::kCeType, fact.GetDescriptor()->full_name()},
                               {hc::kafka::kCeSource, "/homecoming/test"},
                               {hc::kafka::kCeSpecVersion, "1.0"}});
    ASSERT_EQ((*producer)->produce(topic, RdKafka::Topic::PARTITION_UA,
                                   RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                   value.size(), key.data(), key.size(), 0, headers, nullptr),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ((*producer)->flush(10000), RdKafka::ERR_NO_ERROR);
  }

  // Waits until the consumer committed the fact with `ce_id` (its inbox row).
  bool Consumed(const std::string& ce_id) {
    return hc::testing::WaitFor(
        [&] { return !Query("SELECT 1 FROM inbox WHERE ce_id = '" + ce_id + "'").empty(); },
        std::chrono::seconds(60));
  }

  hc::testing::TestDatabase db_{"vol_shifts"};
  std::string topic_ = hc::testing::UniqueName("alumni.volunteering.v1.shifts");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.shifts");
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.shifts");
  std::string staff_ = Token(hc::ids::NewUuid(), {"coordinator"});
  Clock::time_point start_ = std::chrono::floor<std::chrono::seconds>(Clock::now() + hours(72));
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::VolunteeringService::Stub> stub_;
};

TEST_F(ShiftLifecycleTest, UpdateShiftMovesItAndMoreSlotsPromoteTheLineInOrder) {
  const pb::Role role = Post();
  const pb::Shift shift = AddShift(role.role_id(), 1, start_);
  const std::string a = hc::ids::NewUuid(), b = hc::ids::NewUuid(), c = hc::ids::NewUuid();
  for (const auto& m : {a, b, c}) ASSERT_TRUE(SignUp(m, shift.shift_id()).ok());

  pb::UpdateShiftRequest more;
  more.set_shift_id(shift.shift_id());
  more.set_slots(2);
  more.mutable_update_mask()->add_paths("slots");
  pb::Shift updated;
  grpc::Status s = Update(more, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.slots(), 2);
  EXPECT_EQ(updated.confirmed_count(), 2);
  EXPECT_EQ(updated.waitlist_count(), 1);
  EXPECT_EQ(SignupStatusOf(shift.shift_id(), b), 1) << "the first in line takes the new slot";
  EXPECT_EQ(SignupStatusOf(shift.shift_id(), c), 2);

  pb::UpdateShiftRequest fewer = more;
  fewer.set_slots(1);
  s = Update(fewer);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("2 volunteers are confirmed"), std::string::npos)
      << s.error_message();

  pb::UpdateShiftRequest move;
  move.set_shift_id(shift.shift_id());
  *move.mutable_start_time() = At(start_ + hours(24));
  *move.mutable_end_time() = At(start_ + hours(27));
  move.mutable_update_mask()->add_paths("start_time");
  move.mutable_update_mask()->add_paths("end_time");
  s = Update(move);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const pb::Shift shown = GetShift(role.role_id(), shift.shift_id());
  EXPECT_EQ(FromTs(shown.start_time()), start_ + hours(24)) << "GetRole shows the move";
  EXPECT_EQ(FromTs(shown.end_time()), start_ + hours(27));
  EXPECT_EQ(shown.slots_left(), 0);

  pb::UpdateShiftRequest empty;
  empty.set_shift_id(shift.shift_id());
  s = Update(empty);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("update_mask", 0), 0u) << s.error_message();
  empty.mutable_update_mask()->add_paths("role_id");
  EXPECT_EQ(Update(empty).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  auto promoted = Published<pb::VolunteerPromoted>(role.role_id(), 1);
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].member_id(), b);
  auto facts = Published<pb::ShiftUpdated>(role.role_id(), 2);
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(
      std::vector<std::string>(facts[0].changed_fields().begin(), facts[0].changed_fields().end()),
      std::vector<std::string>{"slots"});
  EXPECT_EQ(std::set<std::string>(facts[1].affected_member_ids().begin(),
                                  facts[1].affected_member_ids().end()),
            (std::set<std::string>{a, b, c}));
  EXPECT_EQ(facts[1].page(), 1);
  EXPECT_EQ(facts[1].page_count(), 1);
  EXPECT_EQ(FromTs(facts[1].start_time()), start_ + hours(24));
}

TEST_F(ShiftLifecycleTest, CancelShiftEndsEverySignupOnceAndIsIdempotent) {
  const pb::Role role = Post();
  const pb::Shift shift = AddShift(role.role_id(), 1, start_);
  const std::string a = hc::ids::NewUuid(), b = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(a, shift.shift_id()).ok());
  ASSERT_TRUE(SignUp(b, shift.shift_id()).ok());

  pb::Shift cancelled;
  grpc::Status s = Cancel(shift.shift_id(), &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cancelled.status(), pb::SHIFT_STATUS_CANCELLED);
  EXPECT_EQ(cancelled.confirmed_count(), 0);
  EXPECT_EQ(cancelled.waitlist_count(), 0);
  s = Cancel(shift.shift_id(), &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(cancelled.status(), pb::SHIFT_STATUS_CANCELLED);

  EXPECT_EQ(SignupStatusOf(shift.shift_id(), a), 6);
  EXPECT_EQ(SignupStatusOf(shift.shift_id(), b), 6);
  EXPECT_EQ(GetShift(role.role_id(), shift.shift_id()).status(), pb::SHIFT_STATUS_CANCELLED);
  EXPECT_EQ(SignUp(hc::ids::NewUuid(), shift.shift_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pb::WithdrawRequest withdraw;
  withdraw.set_shift_id(shift.shift_id());
  pb::WithdrawResponse withdrawn;
  EXPECT_EQ(stub_->Withdraw(Ctx(Token(a, {"alumnus"})).get(), withdraw, &withdrawn).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  pb::UpdateShiftRequest update;
  update.set_shift_id(shift.shift_id());
  update.set_slots(3);
  update.mutable_update_mask()->add_paths("slots");
  EXPECT_EQ(Update(update).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  auto facts = Published<pb::ShiftCancelled>(role.role_id(), 1);
  ASSERT_EQ(facts.size(), 1u) << "cancelling twice tells people once";
  EXPECT_EQ(std::set<std::string>(facts[0].affected_member_ids().begin(),
                                  facts[0].affected_member_ids().end()),
            (std::set<std::string>{a, b}));
  EXPECT_TRUE(facts[0].event_id().empty());
}

TEST_F(ShiftLifecycleTest, CancelShiftPagesThePeopleAffectedByAThousand) {
  const pb::Role role = Post();
  const pb::Shift shift = AddShift(role.role_id(), 1, start_);
  const std::string first = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(first, shift.shift_id()).ok());
  // A line of 1,000 behind them, written directly (as 1,000 SignUp calls would leave it).
  Query(
      "INSERT INTO signups (shift_id, role_id, member_id, status, waitlist_seq, created_at, "
      "updated_at) SELECT '" +
      shift.shift_id() + "', '" + role.role_id() +
      "', gen_random_uuid(), 2, n + 1, now(), now() FROM generate_series(1, 1000) n");
  Query("UPDATE shifts SET waitlist_count = 1000, next_waitlist_seq = 1002 WHERE shift_id = '" +
        shift.shift_id() + "'");

  ASSERT_TRUE(Cancel(shift.shift_id()).ok());
  auto pages = Published<pb::ShiftCancelled>(role.role_id(), 2);
  ASSERT_EQ(pages.size(), 2u);
  std::set<std::string> affected;
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i].page(), static_cast<int>(i + 1));
    EXPECT_EQ(pages[i].page_count(), 2);
    EXPECT_EQ(pages[i].shift_id(), shift.shift_id()) << "each page repeats the shift";
    affected.insert(pages[i].affected_member_ids().begin(), pages[i].affected_member_ids().end());
  }
  EXPECT_EQ(pages[0].affected_member_ids_size(), 1000);
  EXPECT_EQ(pages[1].affected_member_ids_size(), 1);
  EXPECT_EQ(affected.size(), 1001u);
  EXPECT_TRUE(affected.contains(first));
}

TEST_F(ShiftLifecycleTest, ErasureForgetsSignupsOfCancelledShiftsAndPromotesNobodyThere) {
  const pb::Role role = Post();
  const pb::Shift cancelled = AddShift(role.role_id(), 1, start_);
  const pb::Shift open = AddShift(role.role_id(), 1, start_ + hours(24));
  const std::string leaver = hc::ids::NewUuid(), next = hc::ids::NewUuid();
  for (const auto& shift : {cancelled, open}) {
    ASSERT_TRUE(SignUp(leaver, shift.shift_id()).ok());
    ASSERT_TRUE(SignUp(next, shift.shift_id()).ok());
  }
  ASSERT_TRUE(Cancel(cancelled.shift_id()).ok());

  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  const std::string ce_id = hc::ids::NewUuid();
  Publish(membership_topic_, leaver, deleted, ce_id);
  ASSERT_TRUE(Consumed(ce_id));

  EXPECT_EQ(
      Query("SELECT count(*) FROM signups WHERE member_id = '" + leaver + "'")[0][0].as<int>(), 0);
  EXPECT_EQ(SignupStatusOf(cancelled.shift_id(), next), 6)
      << "nobody promoted on a cancelled shift";
  EXPECT_EQ(SignupStatusOf(open.shift_id(), next), 1) << "the freed slot of the open one goes on";
  EXPECT_EQ(GetShift(role.role_id(), cancelled.shift_id()).confirmed_count(), 0);
  // The ShiftCancelled naming the leaver goes once published (the relay deletes it then).
  EXPECT_TRUE(hc::testing::WaitFor(
      [&] {
        return Query("SELECT count(*) FROM outbox WHERE subjects @> ARRAY['" + leaver + "']")[0][0]
                   .as<int>() == 0;
      },
      std::chrono::seconds(60)));
  auto promoted = Published<pb::VolunteerPromoted>(role.role_id(), 1);
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].shift_id(), open.shift_id());
}

TEST_F(ShiftLifecycleTest, CancelShiftRefusesAShiftThatHasStarted) {
  const pb::Role role = Post();
  const pb::Shift shift = AddShift(role.role_id(), 2, start_);
  const std::string a = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(a, shift.shift_id()).ok());
  Query(
      "UPDATE shifts SET starts_at = now() - interval '1 hour', ends_at = now() + interval '1 "
      "hour' WHERE shift_id = '" +
      shift.shift_id() + "'");

  grpc::Status s = Cancel(shift.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "the shift has started");
  EXPECT_EQ(SignupStatusOf(shift.shift_id(), a), 1) << "the volunteer on it keeps their record";
  EXPECT_EQ(GetShift(role.role_id(), shift.shift_id()).status(), pb::SHIFT_STATUS_SCHEDULED);
}

// A shift that has ended keeps nothing of an erased member, and tells nobody: the past line
// means nothing. The future shift's sign-up is withdrawn and its line moves up.
TEST_F(ShiftLifecycleTest, ErasureDeletesEndedShiftsSignupsWithoutWithdrawalsOrPromotions) {
  const pb::Role role = Post();
  const pb::Shift past = AddShift(role.role_id(), 1, start_);
  const pb::Shift future = AddShift(role.role_id(), 1, start_ + hours(24));
  const std::string leaver = hc::ids::NewUuid(), next = hc::ids::NewUuid();
  for (const auto& shift : {past, future}) {
    ASSERT_TRUE(SignUp(leaver, shift.shift_id()).ok());
    ASSERT_TRUE(SignUp(next, shift.shift_id()).ok());
  }
  Query(
      "UPDATE shifts SET starts_at = now() - interval '1 day', ends_at = now() - interval '22 "
      "hours' WHERE shift_id = '" +
      past.shift_id() + "'");

  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  const std::string ce_id = hc::ids::NewUuid();
  Publish(membership_topic_, leaver, deleted, ce_id);
  ASSERT_TRUE(Consumed(ce_id));

  EXPECT_EQ(
      Query("SELECT count(*) FROM signups WHERE member_id = '" + leaver + "'")[0][0].as<int>(), 0);
  EXPECT_EQ(SignupStatusOf(past.shift_id(), next), 2) << "nobody promoted on an ended shift";
  EXPECT_EQ(SignupStatusOf(future.shift_id(), next), 1);
  const pb::Shift shown = GetShift(role.role_id(), past.shift_id());
  EXPECT_EQ(shown.confirmed_count(), 0);
  EXPECT_EQ(shown.waitlist_count(), 1);
  auto withdrawn = Published<pb::SignupWithdrawn>(role.role_id(), 1);
  ASSERT_EQ(withdrawn.size(), 1u) << "only the future shift's sign-up is withdrawn";
  EXPECT_EQ(withdrawn[0].shift_id(), future.shift_id());
  auto promoted = Published<pb::VolunteerPromoted>(role.role_id(), 1);
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].shift_id(), future.shift_id());
}

TEST_F(ShiftLifecycleTest, ErasureNeverPromotesTheErasedMember) {
  const pb::Role role = Post();
  const pb::Shift shift = AddShift(role.role_id(), 1, start_);
  const std::string holder = hc::ids::NewUuid(), leaver = hc::ids::NewUuid(),
                    next = hc::ids::NewUuid();
  for (const auto& m : {holder, leaver, next}) ASSERT_TRUE(SignUp(m, shift.shift_id()).ok());
  // A slot free while the leaver is first in line (a slot freed but not yet handed on).
  Query("UPDATE shifts SET slots = 2 WHERE shift_id = '" + shift.shift_id() + "'");

  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  const std::string ce_id = hc::ids::NewUuid();
  Publish(membership_topic_, leaver, deleted, ce_id);
  ASSERT_TRUE(Consumed(ce_id));

  EXPECT_EQ(SignupStatusOf(shift.shift_id(), next), 1) << "the free slot goes to the next in line";
  auto promoted = Published<pb::VolunteerPromoted>(role.role_id(), 1);
  ASSERT_EQ(promoted.size(), 1u);
  EXPECT_EQ(promoted[0].member_id(), next);
}

TEST_F(ShiftLifecycleTest, EventCancelledDeliveredTwiceCancelsLinkedShiftsOnce) {
  const std::string event_id = hc::ids::NewUuid();
  const pb::Role linked = Post(event_id);
  const pb::Role other = Post();
  const pb::Shift first = AddShift(linked.role_id(), 2, start_);
  const pb::Shift second = AddShift(linked.role_id(), 2, start_ + hours(24));
  const pb::Shift unrelated = AddShift(other.role_id(), 2, start_);
  const std::string a = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(a, first.shift_id()).ok());
  GetShift(linked.role_id(), first.shift_id());  // cached before the fact arrives

  epb::EventCancelled fact;
  fact.set_event_id(event_id);
  *fact.mutable_cancelled_at() = At(Clock::now());
  fact.set_sequence(1);
  fact.set_page(1);
  fact.set_page_count(2);
  const std::string ce_id = hc::ids::NewUuid();
  PublishEventFact(event_id, fact, ce_id);
  PublishEventFact(event_id, fact, ce_id);  // redelivered
  fact.set_page(2);
  const std::string page_two = hc::ids::NewUuid();
  PublishEventFact(event_id, fact, page_two);
  ASSERT_TRUE(Consumed(page_two));

  EXPECT_EQ(GetShift(linked.role_id(), first.shift_id()).status(), pb::SHIFT_STATUS_CANCELLED)
      << "the cached role was dropped after the commit";
  EXPECT_EQ(GetShift(linked.role_id(), second.shift_id()).status(), pb::SHIFT_STATUS_CANCELLED);
  EXPECT_EQ(GetShift(other.role_id(), unrelated.shift_id()).status(), pb::SHIFT_STATUS_SCHEDULED);
  EXPECT_EQ(SignupStatusOf(first.shift_id(), a), 6);

  auto facts = Published<pb::ShiftCancelled>(linked.role_id(), 2);
  ASSERT_EQ(facts.size(), 2u) << "one ShiftCancelled per shift, whatever was delivered";
  std::set<std::string> shifts;
  for (const auto& f : facts) {
    shifts.insert(f.shift_id());
    EXPECT_EQ(f.event_id(), event_id);
  }
  EXPECT_EQ(shifts, (std::set<std::string>{first.shift_id(), second.shift_id()}));
}

TEST_F(ShiftLifecycleTest, EventUpdatedMovesLinkedShiftsByTheEventsMoveAndStaleOnesNothing) {
  const std::string event_id = hc::ids::NewUuid();
  const pb::Role role = Post(event_id);
  const pb::Shift shift = AddShift(role.role_id(), 2, start_);
  const std::string a = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(a, shift.shift_id()).ok());
  const Clock::time_point event_start = start_ + hours(1);

  epb::EventPublished published;
  published.set_event_id(event_id);
  *published.mutable_start_time() = At(event_start);
  PublishEventFact(event_id, published, hc::ids::NewUuid());
  epb::EventUpdated updated;
  updated.set_event_id(event_id);
  updated.add_changed_fields("start_time");
  *updated.mutable_start_time() = At(event_start + hours(3));
  updated.set_sequence(1);
  const std::string moved = hc::ids::NewUuid();
  PublishEventFact(event_id, updated, moved);
  ASSERT_TRUE(Consumed(moved));
  pb::Shift shown = GetShift(role.role_id(), shift.shift_id());
  EXPECT_EQ(FromTs(shown.start_time()), start_ + hours(3)) << "moved as far as the event";
  EXPECT_EQ(FromTs(shown.end_time()), start_ + hours(5));

  // A replay of sequence 1 with another start, then an older sequence: neither moves anything.
  *updated.mutable_start_time() = At(event_start + hours(9));
  PublishEventFact(event_id, updated, hc::ids::NewUuid());
  updated.set_sequence(0);
  const std::string stale = hc::ids::NewUuid();
  PublishEventFact(event_id, updated, stale);
  ASSERT_TRUE(Consumed(stale));
  shown = GetShift(role.role_id(), shift.shift_id());
  EXPECT_EQ(FromTs(shown.start_time()), start_ + hours(3));

  // An event whose start was never seen: recorded, nothing moved.
  const std::string unseen = hc::ids::NewUuid();
  const pb::Role unseen_role = Post(unseen);
  const pb::Shift unseen_shift = AddShift(unseen_role.role_id(), 2, start_);
  updated.set_event_id(unseen);
  updated.set_sequence(4);
  const std::string first_seen = hc::ids::NewUuid();
  PublishEventFact(unseen, updated, first_seen);
  ASSERT_TRUE(Consumed(first_seen));
  EXPECT_EQ(FromTs(GetShift(unseen_role.role_id(), unseen_shift.shift_id()).start_time()), start_);
  EXPECT_EQ(
      Query("SELECT sequence FROM event_starts WHERE event_id = '" + unseen + "'")[0][0].as<int>(),
      4);

  auto facts = Published<pb::ShiftUpdated>(role.role_id(), 1);
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].event_id(), event_id);
  EXPECT_EQ(std::vector<std::string>(facts[0].affected_member_ids().begin(),
                                     facts[0].affected_member_ids().end()),
            std::vector<std::string>{a});
}

}  // namespace
}  // namespace volunteering
