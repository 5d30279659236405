// The attendance projection, reminders and the event moved / cancelled notices against the real
// PostgreSQL and Kafka: some facts go through the running service's consumers (real topics),
// others are handled directly in a transaction, as the consumer would; reminders are sent by
// pollers with a clock of the test's own.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <latch>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/auth/auth.h"
#include "libs/config/config.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"
#include "services/notifications/src/messaging/attendance_effects.h"
#include "services/notifications/src/messaging/event_facts_handler.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/messaging/reminder_poller.h"
#include "services/notifications/src/messaging/volunteering_facts_handler.h"
#include "services/notifications/src/storage/attendance_store.h"
#include "services/notifications/src/storage/notification_store.h"
#include "services/notifications/test/test_support.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
namespace epb = alumni::events::v1;
namespace mpb = alumni::membership::v1;
namespace vpb = alumni::volunteering::v1;
using google::protobuf::util::TimeUtil;
using std::chrono::hours;
using std::chrono::minutes;
using Time = storage::Time;

const std::string kSecret = "notifications-reminders-secret-0123456789";

Time Now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

int64_t Ms(Time t) { return t.time_since_epoch().count(); }

google::protobuf::Timestamp Ts(Time t) { return TimeUtil::MillisecondsToTimestamp(Ms(t)); }

// The value of a gauge or counter without labels in `registry`, -1 when absent.
double Metric(prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name || family.metric.empty()) continue;
    return family.type == prometheus::MetricType::Counter ? family.metric[0].counter.value
                                                          : family.metric[0].gauge.value;
  }
  return -1;
}

// What a poller or consumer of the test needs: its own pool, stores and deliveries.
struct Side {
  explicit Side(const std::string& url, std::function<Time()> clock)
      : pool({.url = url, .size = 2}),
        store(pool),
        deliveries(store, Now, registry),
        effects(attendance, deliveries, Now),
        events(deliveries, messaging::EventFactItems,
               [this](hc::postgres::Tx& tx, const hc::kafka::Message& m,
                      messaging::InboxDeliveries::Tally& tally) {
                 return effects.Events(tx, m, tally);
               }),
        volunteering(deliveries, messaging::VolunteeringFactItems,
                     [this](hc::postgres::Tx& tx, const hc::kafka::Message& m,
                            messaging::InboxDeliveries::Tally& tally) {
                       return effects.Volunteering(tx, m, tally);
                     }),
        poller(pool, attendance, deliveries, std::move(clock), {.batch = 20}, registry) {}

  prometheus::Registry registry;
  hc::postgres::Pool pool;
  storage::NotificationStore store;
  storage::AttendanceStore attendance;
  messaging::InboxDeliveries deliveries;
  messaging::AttendanceEffects effects;
  messaging::InboxFactsHandler events;
  messaging::InboxFactsHandler volunteering;
  messaging::ReminderPoller poller;
};

class RemindersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {events_topic_, membership_topic_, volunteering_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    const Settings s = test_support::AppSettings(
        db_.url(), kSecret, {events_topic_, membership_topic_, volunteering_topic_},
        "notifications-rem-test", /*workers=*/2, /*db_pool_size=*/6);
    app_ = std::make_unique<App>(s);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::NotificationsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
    side_ = std::make_unique<Side>(db_.url(), [this] { return clock_.load(); });
  }

  void TearDown() override {
    side_.reset();
    if (app_) app_->Shutdown();
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql)[0][0].as<int>();
  }

  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  // The member's reminders as "kind@due ms:status", earliest first.
  std::vector<std::string> Reminders(const std::string& member_id) {
    std::vector<std::string> out;
    for (const auto& row : Query("SELECT kind, (extract(epoch FROM due_at) * 1000)::bigint, "
                                 "status FROM reminders WHERE member_id = '" +
                                 member_id + "' ORDER BY due_at")) {
      out.push_back(row[0].as<std::string>() + "@" + row[1].as<std::string>() + ":" +
                    row[2].as<std::string>());
    }
    return out;
  }

  static std::string At(const std::string& kind, Time due, const std::string& status) {
    return kind + "@" + std::to_string(Ms(due)) + ":" + status;
  }

  int ItemsOf(const std::string& member_id, const std::string& kind) {
    return Count("SELECT count(*) FROM inbox_items WHERE member_id = '" + member_id +
                 "' AND kind = '" + kind + "'");
  }

  static hc::kafka::Message MessageOf(const google::protobuf::Message& fact,
                                      const std::string& ce_id) {
    hc::kafka::Message message;
    message.value = fact.SerializeAsString();
    message.headers = {{hc::kafka::kCeId, ce_id},
                       {hc::kafka::kCeType, fact.GetDescriptor()->full_name()}};
    return message;
  }

  // Handles the fact as the events consumer would, in one transaction, past its inbox.
  void HandleEvent(const google::protobuf::Message& fact, const std::string& ce_id) {
    const hc::kafka::Message message = MessageOf(fact, ce_id);
    ASSERT_TRUE(
        side_->pool
            .InTransaction([&](hc::postgres::Tx& tx) { return side_->events.Handle(tx, message); })
            .ok());
  }

  void HandleVolunteering(const google::protobuf::Message& fact, const std::string& ce_id) {
    const hc::kafka::Message message = MessageOf(fact, ce_id);
    ASSERT_TRUE(side_->pool
                    .InTransaction([&](hc::postgres::Tx& tx) {
                      return side_->volunteering.Handle(tx, message);
                    })
                    .ok());
  }

  void Produce(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact, const std::string& ce_id) {
    ASSERT_TRUE(hc::testing::ProduceFact(hc::testing::KafkaBrokers(), topic, key,
                                         fact.GetDescriptor()->full_name(),
                                         fact.SerializeAsString(), ce_id)
                    .ok());
  }

  static epb::RsvpConfirmed Confirmed(const std::string& event_id, const std::string& member_id,
                                      Time start) {
    epb::RsvpConfirmed fact;
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    *fact.mutable_confirmed_at() = TimeUtil::GetCurrentTime();
    *fact.mutable_start_time() = Ts(start);
    return fact;
  }

  static epb::RsvpWaitlisted Waitlisted(const std::string& event_id, const std::string& member_id,
                                        Time start) {
    epb::RsvpWaitlisted fact;
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    fact.set_waitlist_position(1);
    *fact.mutable_start_time() = Ts(start);
    return fact;
  }

  static vpb::VolunteerSignedUp SignedUp(const std::string& role_id, const std::string& shift_id,
                                         const std::string& member_id, vpb::SignupStatus status,
                                         Time start) {
    vpb::VolunteerSignedUp fact;
    fact.set_role_id(role_id);
    fact.set_shift_id(shift_id);
    fact.set_member_id(member_id);
    fact.set_status(status);
    *fact.mutable_start_time() = Ts(start);
    return fact;
  }

  // One batch of the test's poller at `now`: how many reminders it took.
  int PollAt(Time now) {
    clock_ = now;
    auto batch = side_->poller.PollOnce();
    EXPECT_TRUE(batch.ok()) << batch.status();
    return batch.ok() ? batch->taken : -1;
  }

  pb::ListInboxResponse Inbox(const std::string& member_id) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    ctx->AddMetadata("authorization", "Bearer " + *hc::auth::Mint({.algorithm = "HS256",
                                                                   .key = kSecret,
                                                                   .issuer = "hc-test",
                                                                   .subject = member_id,
                                                                   .roles = {"alumnus"}}));
    pb::ListInboxResponse resp;
    grpc::Status s = stub_->ListInbox(ctx.get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  hc::testing::TestDatabase db_{"notifrem"};
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.remtest");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.remtest");
  std::string volunteering_topic_ = hc::testing::UniqueName("alumni.volunteering.v1.remtest");
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::NotificationsService::Stub> stub_;
  std::atomic<Time> clock_{Now()};
  std::unique_ptr<Side> side_;
  // Whole minutes, so due times compare exactly after the round trip through timestamptz.
  const Time start_ = std::chrono::time_point_cast<std::chrono::minutes>(Now()) + hours(30);
};

TEST_F(RemindersTest, AnRsvpThirtyHoursAheadGetsTwoRemindersEachSentOnceWhenDue) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  const std::string ce_id = hc::ids::NewUuid();
  // Through the running service's consumer, twice (a redelivery).
  Produce(events_topic_, event_id, Confirmed(event_id, ana, start_), ce_id);
  Produce(events_topic_, event_id, Confirmed(event_id, ana, start_), ce_id);
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return ItemsOf(ana, "rsvp_confirmed") == 1 && Reminders(ana).size() == 2; },
      std::chrono::seconds(60)));
  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", start_ - hours(24), "pending"),
                                      At("two_hours", start_ - hours(2), "pending")}));
  EXPECT_EQ(Count("SELECT count(*) FROM attendance WHERE member_id = '" + ana +
                  "' AND status = 'going' AND subject_kind = 'event' AND subject_id = '" +
                  event_id + "'"),
            1);

  // Not due yet: nothing.
  EXPECT_EQ(PollAt(start_ - hours(24) - minutes(1)), 0);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 0);
  // The day before: one item, once.
  EXPECT_EQ(PollAt(start_ - hours(24) + minutes(1)), 1);
  EXPECT_EQ(PollAt(start_ - hours(24) + minutes(2)), 0);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 1);
  // The fact handled again past the consumer's inbox makes nothing again.
  HandleEvent(Confirmed(event_id, ana, start_), ce_id);
  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", start_ - hours(24), "sent"),
                                      At("two_hours", start_ - hours(2), "pending")}));
  EXPECT_EQ(ItemsOf(ana, "rsvp_confirmed"), 1);
  // Two hours before: the second.
  EXPECT_EQ(PollAt(start_ - hours(2) + minutes(1)), 1);
  EXPECT_EQ(PollAt(start_ - hours(1)), 0);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 2);
  EXPECT_EQ(Metric(side_->registry, "hc_notifications_reminders_sent_total"), 2);

  const pb::ListInboxResponse inbox = Inbox(ana);
  ASSERT_EQ(inbox.items_size(), 3);
  const pb::InboxItem& newest = inbox.items(0);
  EXPECT_EQ(newest.kind(), pb::INBOX_ITEM_KIND_EVENT_REMINDER);
  EXPECT_EQ(newest.category(), pb::CATEGORY_REMINDERS);
  EXPECT_EQ(newest.event_id(), event_id);
  EXPECT_EQ(newest.text(), "Reminder: an event you're going to is coming up");
}

TEST_F(RemindersTest, TheServicesOwnPollerSendsAReminderWhenItFallsDue) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  // Only the two-hour reminder is still ahead, due in ten seconds (time for the consumer to join
  // and handle the fact first).
  Produce(events_topic_, event_id,
          Confirmed(event_id, ana, Now() + hours(2) + std::chrono::seconds(10)),
          hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return ItemsOf(ana, "event_reminder") == 1; },
                                   std::chrono::seconds(60)));
  EXPECT_EQ(Count("SELECT count(*) FROM reminders WHERE member_id = '" + ana +
                  "' AND kind = 'two_hours' AND status = 'sent'"),
            1);
  const std::string metrics = hc::testing::HttpGet(app_->metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("\nhc_notifications_reminders_sent_total 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("\nhc_notifications_reminder_backlog 0\n"), std::string::npos);
}

TEST_F(RemindersTest, AnRsvpCancelledLeavesNoReminders) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  HandleEvent(Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  ASSERT_EQ(Reminders(ana).size(), 2u);
  epb::RsvpCancelled cancelled;
  cancelled.set_event_id(event_id);
  cancelled.set_member_id(ana);
  cancelled.set_previous_status(epb::RSVP_STATUS_GOING);
  HandleEvent(cancelled, hc::ids::NewUuid());
  EXPECT_TRUE(Reminders(ana).empty());
  EXPECT_EQ(Count("SELECT count(*) FROM attendance WHERE member_id = '" + ana + "'"), 0);
  EXPECT_EQ(PollAt(start_ - minutes(1)), 0);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 0);

  // Waitlisted: told of changes, but no reminders.
  HandleEvent(Waitlisted(event_id, ana, start_), hc::ids::NewUuid());
  EXPECT_TRUE(Reminders(ana).empty());
  EXPECT_EQ(Count("SELECT count(*) FROM attendance WHERE member_id = '" + ana +
                  "' AND status = 'waiting'"),
            1);
  // Promoted from the waitlist: going, so reminded.
  epb::WaitlistPromoted promoted;
  promoted.set_event_id(event_id);
  promoted.set_member_id(ana);
  *promoted.mutable_start_time() = Ts(start_);
  HandleEvent(promoted, hc::ids::NewUuid());
  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", start_ - hours(24), "pending"),
                                      At("two_hours", start_ - hours(2), "pending")}));
}

TEST_F(RemindersTest, AnEventMovedByTwoHoursMovesItsRemindersAndTellsEveryoneOnItOnce) {
  const std::string ana = hc::ids::NewUuid();  // going
  const std::string ben = hc::ids::NewUuid();  // waiting
  const std::string cai = hc::ids::NewUuid();  // cancelled before the move
  const std::string event_id = hc::ids::NewUuid();
  HandleEvent(Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  HandleEvent(Waitlisted(event_id, ben, start_), hc::ids::NewUuid());
  HandleEvent(Confirmed(event_id, cai, start_), hc::ids::NewUuid());
  epb::RsvpCancelled cancelled;
  cancelled.set_event_id(event_id);
  cancelled.set_member_id(cai);
  HandleEvent(cancelled, hc::ids::NewUuid());

  const Time moved = start_ + hours(2);
  epb::EventUpdated updated;
  updated.set_event_id(event_id);
  updated.add_changed_fields("start_time");
  updated.add_changed_fields("end_time");
  *updated.mutable_start_time() = Ts(moved);
  const std::string ce_id = hc::ids::NewUuid();
  HandleEvent(updated, ce_id);
  HandleEvent(updated, ce_id);  // handled twice

  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", moved - hours(24), "pending"),
                                      At("two_hours", moved - hours(2), "pending")}));
  EXPECT_TRUE(Reminders(ben).empty());
  EXPECT_EQ(ItemsOf(ana, "event_moved"), 1);
  EXPECT_EQ(ItemsOf(ben, "event_moved"), 1);
  EXPECT_EQ(ItemsOf(cai, "event_moved"), 0);
  const pb::InboxItem told = Inbox(ben).items(0);
  EXPECT_EQ(told.kind(), pb::INBOX_ITEM_KIND_EVENT_MOVED);
  EXPECT_EQ(told.category(), pb::CATEGORY_EVENTS);
  EXPECT_EQ(told.event_id(), event_id);
  EXPECT_EQ(told.text(), "An event you signed up for changed its time or place: check the details");

  // Nothing at the old times, each at the new one.
  EXPECT_EQ(PollAt(start_ - hours(24) + minutes(1)), 0);
  EXPECT_EQ(PollAt(moved - hours(24) + minutes(1)), 1);
  EXPECT_EQ(PollAt(start_ - hours(2) + minutes(1)), 0);
  EXPECT_EQ(PollAt(moved - hours(2) + minutes(1)), 1);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 2);
  EXPECT_EQ(ItemsOf(ben, "event_reminder"), 0);

  // A change of title or capacity tells nobody.
  epb::EventUpdated retitled;
  retitled.set_event_id(event_id);
  retitled.add_changed_fields("title");
  retitled.add_changed_fields("capacity");
  HandleEvent(retitled, hc::ids::NewUuid());
  EXPECT_EQ(ItemsOf(ana, "event_moved"), 1);
  EXPECT_EQ(ItemsOf(ben, "event_moved"), 1);
  // A new place does, without touching the reminders.
  epb::EventUpdated relocated;
  relocated.set_event_id(event_id);
  relocated.add_changed_fields("venue");
  relocated.add_changed_fields("online_url");
  HandleEvent(relocated, hc::ids::NewUuid());
  EXPECT_EQ(ItemsOf(ana, "event_moved"), 2);
  EXPECT_EQ(ItemsOf(ben, "event_moved"), 2);
  EXPECT_EQ(Reminders(ana), (std::vector<std::string>{At("day_before", moved - hours(24), "sent"),
                                                      At("two_hours", moved - hours(2), "sent")}));
}

TEST_F(RemindersTest, ASentReminderIsMadeAgainWhenTheEventMovesLater) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  HandleEvent(Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  ASSERT_EQ(PollAt(start_ - hours(24) + minutes(1)), 1);
  // A day later: the member was told the old time, so they are reminded again.
  const Time later = start_ + hours(24);
  epb::EventUpdated updated;
  updated.set_event_id(event_id);
  updated.add_changed_fields("start_time");
  *updated.mutable_start_time() = Ts(later);
  HandleEvent(updated, hc::ids::NewUuid());
  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", later - hours(24), "pending"),
                                      At("two_hours", later - hours(2), "pending")}));
  EXPECT_EQ(PollAt(later - hours(24) + minutes(1)), 1);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 2);
}

TEST_F(RemindersTest, AnEventCancelledTellsEachAffectedMemberOnceAndLeavesNoReminders) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  Produce(events_topic_, event_id, Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  Produce(events_topic_, event_id, Waitlisted(event_id, ben, start_), hc::ids::NewUuid());
  std::vector<std::pair<epb::EventCancelled, std::string>> pages;
  for (const auto& [member, page] : {std::pair{ana, 1}, std::pair{ben, 2}}) {
    epb::EventCancelled fact;
    fact.set_event_id(event_id);
    *fact.mutable_cancelled_at() = TimeUtil::GetCurrentTime();
    fact.add_affected_member_ids(member);
    fact.set_page(page);
    fact.set_page_count(2);
    pages.emplace_back(fact, hc::ids::NewUuid());
    Produce(events_topic_, event_id, fact, pages.back().second);
  }
  // A marker behind them under the same key (another event, so the cancelled one stays empty).
  const std::string marker = hc::ids::NewUuid();
  Produce(events_topic_, event_id, Confirmed(hc::ids::NewUuid(), marker, start_),
          hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return ItemsOf(marker, "rsvp_confirmed") == 1; },
                                   std::chrono::seconds(60)));

  EXPECT_EQ(ItemsOf(ana, "event_cancelled"), 1);
  EXPECT_EQ(ItemsOf(ben, "event_cancelled"), 1);
  const std::string on_event = " WHERE subject_id = '" + event_id + "'";
  EXPECT_EQ(Count("SELECT count(*) FROM attendance" + on_event), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM reminders" + on_event), 0);
  EXPECT_EQ(PollAt(start_ - minutes(1)), 2);  // the marker's two, none of ana's
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 0);

  // Both pages handled again past the consumer's inbox: nobody is told twice.
  for (const auto& [fact, ce_id] : pages) HandleEvent(fact, ce_id);
  EXPECT_EQ(ItemsOf(ana, "event_cancelled"), 1);
  EXPECT_EQ(ItemsOf(ben, "event_cancelled"), 1);
  const pb::InboxItem item = Inbox(ben).items(0);
  EXPECT_EQ(item.kind(), pb::INBOX_ITEM_KIND_EVENT_CANCELLED);
  EXPECT_EQ(item.category(), pb::CATEGORY_EVENTS);
  EXPECT_EQ(item.event_id(), event_id);
}

TEST_F(RemindersTest, AConfirmedShiftGetsRemindersAWithdrawnOneNone) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  const std::string cai = hc::ids::NewUuid();
  const std::string role_id = hc::ids::NewUuid();
  const std::string shift_id = hc::ids::NewUuid();
  HandleVolunteering(SignedUp(role_id, shift_id, ana, vpb::SIGNUP_STATUS_CONFIRMED, start_),
                     hc::ids::NewUuid());
  HandleVolunteering(SignedUp(role_id, shift_id, ben, vpb::SIGNUP_STATUS_CONFIRMED, start_),
                     hc::ids::NewUuid());
  vpb::SignupWithdrawn withdrawn;
  withdrawn.set_role_id(role_id);
  withdrawn.set_shift_id(shift_id);
  withdrawn.set_member_id(ben);
  HandleVolunteering(withdrawn, hc::ids::NewUuid());
  // Pending approval: nothing until approved.
  HandleVolunteering(SignedUp(role_id, shift_id, cai, vpb::SIGNUP_STATUS_PENDING_APPROVAL, start_),
                     hc::ids::NewUuid());
  EXPECT_EQ(Count("SELECT count(*) FROM attendance WHERE member_id = '" + cai + "'"), 0);
  EXPECT_EQ(Reminders(ana).size(), 2u);
  EXPECT_TRUE(Reminders(ben).empty());
  EXPECT_TRUE(Reminders(cai).empty());
  vpb::SignupApproved approved;
  approved.set_role_id(role_id);
  approved.set_shift_id(shift_id);
  approved.set_member_id(cai);
  approved.set_status(vpb::SIGNUP_STATUS_CONFIRMED);
  *approved.mutable_start_time() = Ts(start_);
  HandleVolunteering(approved, hc::ids::NewUuid());
  EXPECT_EQ(Reminders(cai).size(), 2u);

  // The shift moves an hour: reminders follow.
  const Time moved = start_ + hours(1);
  vpb::ShiftUpdated updated;
  updated.set_role_id(role_id);
  updated.set_shift_id(shift_id);
  updated.add_changed_fields("start_time");
  *updated.mutable_start_time() = Ts(moved);
  updated.add_affected_member_ids(ana);
  updated.add_affected_member_ids(cai);
  updated.set_page(1);
  updated.set_page_count(1);
  HandleVolunteering(updated, hc::ids::NewUuid());
  EXPECT_EQ(Reminders(ana),
            (std::vector<std::string>{At("day_before", moved - hours(24), "pending"),
                                      At("two_hours", moved - hours(2), "pending")}));

  EXPECT_EQ(PollAt(moved - hours(24) + minutes(1)), 2);  // ana's and cai's
  EXPECT_EQ(ItemsOf(ana, "shift_reminder"), 1);
  EXPECT_EQ(ItemsOf(ben, "shift_reminder"), 0);
  const pb::InboxItem item = Inbox(ana).items(0);
  EXPECT_EQ(item.kind(), pb::INBOX_ITEM_KIND_SHIFT_REMINDER);
  EXPECT_EQ(item.category(), pb::CATEGORY_REMINDERS);
  EXPECT_EQ(item.shift_id(), shift_id);
  EXPECT_EQ(item.role_id(), role_id);

  // Cancelled: nothing left to remind of.
  vpb::ShiftCancelled cancelled;
  cancelled.set_role_id(role_id);
  cancelled.set_shift_id(shift_id);
  cancelled.add_affected_member_ids(ana);
  cancelled.add_affected_member_ids(cai);
  HandleVolunteering(cancelled, hc::ids::NewUuid());
  EXPECT_TRUE(Reminders(ana).empty());
  EXPECT_TRUE(Reminders(cai).empty());
  EXPECT_EQ(PollAt(moved - minutes(1)), 0);
}

TEST_F(RemindersTest, AReminderDueOnlyAfterTheStartIsMissedNotSent) {
  const std::string ana = hc::ids::NewUuid();
  HandleEvent(Confirmed(hc::ids::NewUuid(), ana, start_), hc::ids::NewUuid());
  // The poller was away until after the start.
  EXPECT_EQ(PollAt(start_ + minutes(5)), 2);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 0);
  EXPECT_EQ(
      Count("SELECT count(*) FROM reminders WHERE member_id = '" + ana + "' AND status = 'missed'"),
      2);
  EXPECT_EQ(Metric(side_->registry, "hc_notifications_reminders_sent_total"), 0);
}

TEST_F(RemindersTest, MemberDeletedErasesTheirAttendanceAndReminders) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  HandleEvent(Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  ASSERT_EQ(Reminders(ana).size(), 2u);
  mpb::MemberDeleted deleted;
  deleted.set_member_id(ana);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  Produce(membership_topic_, ana, deleted, hc::ids::NewUuid());
  const std::string held = "SELECT (SELECT count(*) FROM attendance WHERE member_id = '" + ana +
                           "') + (SELECT count(*) FROM reminders WHERE member_id = '" + ana + "')";
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Count(held) == 0; }, std::chrono::seconds(60)));
  // A fact still in flight for them brings nothing back.
  HandleEvent(Confirmed(event_id, ana, start_), hc::ids::NewUuid());
  EXPECT_EQ(Count(held), 0);
}

TEST_F(RemindersTest, TwoPollersRacingOverFiveHundredDueRemindersSendEachOnce) {
  constexpr int kReminders = 500;
  // 250 members going to two events each, straight into the due work.
  const std::string first = hc::ids::NewUuid();
  const std::string second = hc::ids::NewUuid();
  {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO reminders (subject_kind, subject_id, member_id, kind, start_time, due_at, "
        "status) SELECT 'event', e::uuid, gen_random_uuid()::text, 'two_hours', "
        "to_timestamp($3::bigint / 1000.0), to_timestamp($3::bigint / 1000.0) - interval '2 "
        "hours', 'pending' FROM generate_series(1, $4) AS n, unnest(ARRAY[$1, $2]) AS e",
        first, second, Ms(start_), kReminders / 2);
    tx.commit();
  }
  ASSERT_EQ(Count("SELECT count(*) FROM reminders WHERE status = 'pending'"), kReminders);

  // Two replicas: their own pools, deliveries and metrics, the same clock.
  clock_ = start_ - minutes(30);
  std::vector<std::unique_ptr<Side>> replicas;
  for (int i = 0; i < 2; ++i) {
    replicas.push_back(std::make_unique<Side>(db_.url(), [this] { return clock_.load(); }));
  }
  std::latch go(2);
  std::vector<int> taken(2, 0);
  std::vector<int> sent(2, 0);
  std::vector<int> duplicates(2, 0);
  std::vector<bool> failed(2, false);
  const auto began = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      while (true) {
        auto batch = replicas[i]->poller.PollOnce();
        if (!batch.ok()) {
          failed[i] = true;
          return;
        }
        if (batch->taken == 0) return;
        taken[i] += batch->taken;
        sent[i] += batch->tally.sent;
        duplicates[i] += batch->tally.duplicate;
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - began);
  EXPECT_FALSE(failed[0] || failed[1]);
  std::cout << "taken by the two pollers: " << taken[0] << " + " << taken[1] << " in "
            << took.count() << " ms\n";
  // Rows taken by one are skipped by the other: together exactly once each.
  EXPECT_EQ(taken[0] + taken[1], kReminders);
  EXPECT_EQ(sent[0] + sent[1], kReminders);
  EXPECT_EQ(duplicates[0] + duplicates[1], 0);
  EXPECT_GT(taken[0], 0);
  EXPECT_GT(taken[1], 0);
  EXPECT_EQ(Count("SELECT count(*) FROM inbox_items WHERE kind = 'event_reminder'"), kReminders);
  EXPECT_EQ(Count("SELECT count(DISTINCT dedupe_key) FROM inbox_items WHERE kind = "
                  "'event_reminder'"),
            kReminders);
  EXPECT_EQ(Count("SELECT count(*) FROM reminders WHERE status = 'sent'"), kReminders);
  EXPECT_EQ(Metric(replicas[0]->registry, "hc_notifications_reminders_sent_total") +
                Metric(replicas[1]->registry, "hc_notifications_reminders_sent_total"),
            kReminders);
  // Nothing left due.
  ASSERT_TRUE(replicas[0]->poller.PollAll().ok());
  EXPECT_EQ(Metric(replicas[0]->registry, "hc_notifications_reminder_backlog"), 0);
}

TEST_F(RemindersTest, TheBacklogGaugeCountsPendingRemindersAlreadyDue) {
  const std::string ana = hc::ids::NewUuid();
  HandleEvent(Confirmed(hc::ids::NewUuid(), ana, start_), hc::ids::NewUuid());
  clock_ = start_ - hours(24) + minutes(1);
  ASSERT_TRUE(side_->poller.RefreshBacklog().ok());
  EXPECT_EQ(Metric(side_->registry, "hc_notifications_reminder_backlog"), 1);
  clock_ = start_ - hours(2) + minutes(1);
  ASSERT_TRUE(side_->poller.RefreshBacklog().ok());
  EXPECT_EQ(Metric(side_->registry, "hc_notifications_reminder_backlog"), 2);
  ASSERT_TRUE(side_->poller.PollAll().ok());
  EXPECT_EQ(Metric(side_->registry, "hc_notifications_reminder_backlog"), 0);
  EXPECT_EQ(ItemsOf(ana, "event_reminder"), 2);
}

TEST(RemindersSettings, ThePollIntervalIsADurationDefaultingToASecond) {
  const std::string key_file = ::testing::TempDir() + "/reminders-jwt-key";
  {
    std::ofstream out(key_file);
    out << kSecret;
  }
  const std::string data_key_file = ::testing::TempDir() + "/reminders-data-key";
  {
    std::ofstream out(data_key_file);
    out << std::string(64, 'a');
  }
  std::map<std::string, std::string> vars = {{"HC_DATABASE_URL", "postgresql://localhost/x"},
                                             {"HC_KAFKA_BROKERS", "127.0.0.1:9092"},
                                             {"HC_JWT_KEY_FILE", key_file},
                                             {"HC_DATA_KEY_FILE", data_key_file}};
  auto read = [&vars] {
    hc::config::Env env([&vars](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
    return Settings::FromEnv(env);
  };
  auto defaults = read();
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->reminder_poll_interval, std::chrono::milliseconds(1000));
  EXPECT_EQ(defaults->reminder_batch, 100);
  vars["HC_REMINDER_POLL_INTERVAL"] = "250ms";
  vars["HC_REMINDER_BATCH"] = "500";
  auto set = read();
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->reminder_poll_interval, std::chrono::milliseconds(250));
  EXPECT_EQ(set->reminder_batch, 500);
  for (const char* bad : {"soon", "0s", "2h"}) {
    vars["HC_REMINDER_POLL_INTERVAL"] = bad;
    auto refused = read();
    EXPECT_TRUE(absl::IsInvalidArgument(refused.status())) << bad;
    EXPECT_NE(refused.status().message().find("HC_REMINDER_POLL_INTERVAL"), std::string::npos);
  }
}

}  // namespace
}  // namespace notifications
