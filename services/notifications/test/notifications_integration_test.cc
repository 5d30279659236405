// notifications end to end in one process: the real gRPC server, PostgreSQL, Redis and Kafka.
// Facts are produced to real (per-test) topics exactly as events and membership publish them.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <set>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"
#include "services/notifications/src/domain/schedule.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/messaging/volunteering_facts_handler.h"
#include "services/notifications/src/storage/notification_store.h"
#include "services/notifications/test/test_support.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
namespace epb = alumni::events::v1;
namespace mpb = alumni::membership::v1;
namespace vpb = alumni::volunteering::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;

const std::string kSecret = "notifications-integration-secret-0123456789";

std::string Token(const std::string& subject, std::vector<std::string> roles = {"alumnus"}) {
  return *hc::auth::Mint({.algorithm = "HS256",
                          .key = kSecret,
                          .issuer = "hc-test",
                          .subject = subject,
                          .roles = std::move(roles)});
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& subject) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Clock::now() + std::chrono::seconds(30));
  ctx->AddMetadata("authorization", "Bearer " + Token(subject));
  return ctx;
}

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {events_topic_, membership_topic_, volunteering_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    Settings s = test_support::AppSettings(db_.url(), kSecret,
                                           {events_topic_, membership_topic_, volunteering_topic_},
                                           "notifications-test");
    s.events_consumer_group = events_group_;
    s.volunteering_consumer_group = volunteering_group_;
    app_ = std::make_unique<App>(s);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::NotificationsService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (app_) app_->Shutdown();
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql)[0][0].as<int>();
  }

  void Produce(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact, const std::string& ce_id) {
    ASSERT_TRUE(hc::testing::ProduceFact(hc::testing::KafkaBrokers(), topic, key,
                                         fact.GetDescriptor()->full_name(),
                                         fact.SerializeAsString(), ce_id)
                    .ok());
  }

  void RsvpConfirmed(const std::string& event_id, const std::string& member_id,
                     const std::string& ce_id) {
    epb::RsvpConfirmed fact;
    fact.set_event_id(event_id);
    fact.set_member_id(member_id);
    *fact.mutable_confirmed_at() = TimeUtil::GetCurrentTime();
    Produce(events_topic_, event_id, fact, ce_id);
  }

  // Volunteering keys its facts by role, as volunteering does.
  void SignedUp(const std::string& role_id, const std::string& shift_id,
                const std::string& member_id, vpb::SignupStatus status, const std::string& ce_id) {
    vpb::VolunteerSignedUp fact;
    fact.set_role_id(role_id);
    fact.set_shift_id(shift_id);
    fact.set_member_id(member_id);
    fact.set_status(status);
    *fact.mutable_signed_up_at() = TimeUtil::GetCurrentTime();
    Produce(volunteering_topic_, role_id, fact, ce_id);
  }

  // Facts of one event share its key, so they are handled in order: once `marker`'s item is
  // stored, every fact of the event produced before it has been handled.
  void WaitForItemOf(const std::string& member_id) {
    ASSERT_TRUE(
        hc::testing::WaitFor([&] { return UnreadCount(member_id) > 0; }, std::chrono::seconds(60)))
        << "the consumer did not store the marker's item";
  }

  // The value of one series on the service's /metrics, -1 when absent.
  double Metric(const std::string& series) {
    const std::string text = hc::testing::HttpGet(app_->metrics_port(), "/metrics");
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
  }

  int UnreadCount(const std::string& member_id) {
    pb::UnreadCountResponse resp;
    grpc::Status s = stub_->UnreadCount(Ctx(member_id).get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.unread_count();
  }

  pb::ListInboxResponse Inbox(const std::string& member_id, int page_size = 0,
                              const std::string& token = "") {
    pb::ListInboxRequest req;
    req.set_page_size(page_size);
    req.set_page_token(token);
    pb::ListInboxResponse resp;
    grpc::Status s = stub_->ListInbox(Ctx(member_id).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  grpc::Status Update(const std::string& caller, const pb::Preferences& preferences,
                      std::vector<std::string> paths, pb::Preferences* out = nullptr,
                      const std::string& member_id = "") {
    pb::UpdatePreferencesRequest req;
    req.set_member_id(member_id);
    *req.mutable_preferences() = preferences;
    for (auto& path : paths) req.mutable_update_mask()->add_paths(std::move(path));
    pb::UpdatePreferencesResponse resp;
    grpc::Status s = stub_->UpdatePreferences(Ctx(caller).get(), req, &resp);
    if (out) *out = resp.preferences();
    return s;
  }

  pb::Preferences Get(const std::string& member_id) {
    pb::GetPreferencesResponse resp;
    grpc::Status s = stub_->GetPreferences(Ctx(member_id).get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.preferences();
  }

  hc::testing::TestDatabase db_{"notifications"};
  std::string events_topic_ = hc::testing::UniqueName("alumni.events.v1.notiftest");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.notiftest");
  std::string events_group_ = hc::testing::UniqueName("notifications-events-test");
  std::string volunteering_topic_ = hc::testing::UniqueName("alumni.volunteering.v1.notiftest");
  std::string volunteering_group_ = hc::testing::UniqueName("notifications-volunteering-test");
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::NotificationsService::Stub> stub_;
};

TEST_F(NotificationsTest, PreferencesStartAsTheDefaultsAndUpdateOnlyTheMaskedFields) {
  const std::string ana = hc::ids::NewUuid();
  const pb::Preferences defaults = Get(ana);
  EXPECT_EQ(defaults.time_zone(), "UTC");
  EXPECT_TRUE(defaults.events().in_app());
  EXPECT_TRUE(defaults.events().email());
  EXPECT_FALSE(defaults.events().sms());
  EXPECT_FALSE(defaults.milestones().in_app());

  pb::Preferences change;
  change.set_time_zone("America/New_York");
  change.mutable_quiet_hours()->set_start_minute(22 * 60);
  change.mutable_quiet_hours()->set_end_minute(7 * 60);
  change.mutable_milestones()->set_in_app(true);
  // Unmasked: must not change.
  change.set_role_suggestions(true);
  change.mutable_reminders()->set_email(false);
  pb::Preferences updated;
  grpc::Status s = Update(ana, change, {"time_zone", "quiet_hours", "milestones.in_app"}, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();

  const pb::Preferences read = Get(ana);
  EXPECT_EQ(read.SerializeAsString(), updated.SerializeAsString());
  EXPECT_EQ(read.time_zone(), "America/New_York");
  EXPECT_EQ(read.quiet_hours().start_minute(), 22 * 60);
  EXPECT_EQ(read.quiet_hours().end_minute(), 7 * 60);
  EXPECT_TRUE(read.milestones().in_app());
  EXPECT_FALSE(read.milestones().email());
  EXPECT_FALSE(read.role_suggestions());
  EXPECT_TRUE(read.reminders().email());
  EXPECT_TRUE(read.events().in_app());
}

TEST_F(NotificationsTest, BadPreferencesNameTheFieldAndChangeNothing) {
  const std::string ana = hc::ids::NewUuid();
  struct Case {
    std::vector<std::string> paths;
    pb::Preferences preferences;
    std::string field;
  };
  std::vector<Case> cases(5);
  cases[0] = {{"time_zone"}, {}, "time_zone"};
  cases[0].preferences.set_time_zone("Mars/Olympus_Mons");
  cases[1] = {{"quiet_hours"}, {}, "quiet_hours.start_minute"};
  cases[1].preferences.mutable_quiet_hours()->set_start_minute(1440);
  cases[2] = {{"events.digest"}, {}, "digest"};
  cases[2].preferences.mutable_events()->set_digest(true);
  cases[2].paths = {"events"};  // digest on with email off
  cases[3] = {{}, {}, "update_mask"};
  cases[4] = {{"colour"}, {}, "update_mask"};
  for (const auto& c : cases) {
    grpc::Status s = Update(ana, c.preferences, c.paths);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u) << s.error_message();
  }
  EXPECT_EQ(Get(ana).time_zone(), "UTC");
  EXPECT_EQ(Get(ana).quiet_hours().start_minute(), 0);
  EXPECT_TRUE(Get(ana).events().email());
}

TEST_F(NotificationsTest, NobodyReadsOrChangesAnotherMembersPreferences) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  pb::GetPreferencesRequest get;
  get.set_member_id(ben);
  pb::GetPreferencesResponse got;
  EXPECT_EQ(stub_->GetPreferences(Ctx(ana).get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  pb::Preferences change;
  change.mutable_events()->set_in_app(false);
  EXPECT_EQ(Update(ana, change, {"events.in_app"}, nullptr, ben).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Get(ben).events().in_app());

  // A service identity is not a member either.
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", "Bearer " + Token("events", {"service"}));
  EXPECT_EQ(stub_->GetPreferences(ctx.get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Asking for one's own by id is fine.
  get.set_member_id(ana);
  EXPECT_TRUE(stub_->GetPreferences(Ctx(ana).get(), get, &got).ok());
}

TEST_F(NotificationsTest, AnRsvpDeliveredTwiceMakesOneInboxItem) {
  const std::string ana = hc::ids::NewUuid();
  const std::string marker = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  const std::string ce_id = hc::ids::NewUuid();
  RsvpConfirmed(event_id, ana, ce_id);
  RsvpConfirmed(event_id, ana, ce_id);  // redelivered
  RsvpConfirmed(event_id, marker, hc::ids::NewUuid());
  WaitForItemOf(marker);

  const pb::ListInboxResponse inbox = Inbox(ana);
  ASSERT_EQ(inbox.items_size(), 1);
  const pb::InboxItem& item = inbox.items(0);
  EXPECT_EQ(item.kind(), pb::INBOX_ITEM_KIND_RSVP_CONFIRMED);
  EXPECT_EQ(item.category(), pb::CATEGORY_EVENTS);
  EXPECT_EQ(item.event_id(), event_id);
  EXPECT_EQ(item.text(), "Your RSVP is confirmed");
  EXPECT_FALSE(item.has_read_at());
  EXPECT_EQ(UnreadCount(ana), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM inbox WHERE ce_id = '" + ce_id + "'"), 1);
  // The second delivery did reach the service, and was recognised.
  EXPECT_EQ(
      Metric("hc_consumer_messages_total{group=\"" + events_group_ + "\",outcome=\"duplicate\"}"),
      1);
  EXPECT_EQ(Metric("hc_notifications_deliveries_total{channel=\"in_app\",status=\"sent\"}"), 2);

  // Another member can't mark it, and learns nothing from trying.
  pb::MarkReadRequest mark;
  mark.add_item_ids(item.item_id());
  pb::MarkReadResponse marked;
  EXPECT_EQ(stub_->MarkRead(Ctx(marker).get(), mark, &marked).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(UnreadCount(ana), 1);

  grpc::Status s = stub_->MarkRead(Ctx(ana).get(), mark, &marked);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(marked.unread_count(), 0);
  EXPECT_EQ(UnreadCount(ana), 0);
  EXPECT_TRUE(Inbox(ana).items(0).has_read_at());
  // Idempotent.
  EXPECT_TRUE(stub_->MarkRead(Ctx(ana).get(), mark, &marked).ok());
  EXPECT_EQ(marked.unread_count(), 0);
}

TEST_F(NotificationsTest, TheDedupeKeyAloneKeepsAFactToOneItem) {
  // Even were the consumer's inbox bypassed (a fact handled twice), the UNIQUE key holds.
  hc::postgres::Pool pool({.url = db_.url(), .size = 1});
  storage::NotificationStore store(pool);
  const std::string ana = hc::ids::NewUuid();
  const std::string key = domain::DedupeKey(hc::ids::NewUuid(), ana, domain::Channel::kInApp);
  std::vector<bool> stored;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(pool.InTransaction([&](hc::postgres::Tx& tx) {
                      stored.push_back(store.AddInboxItemIn(
                          tx,
                          {.item_id = hc::ids::NewUuid(),
                           .member_id = ana,
                           .kind = domain::InboxKind::kRsvpConfirmed,
                           .event_id = hc::ids::NewUuid(),
                           .created_at = std::chrono::time_point_cast<std::chrono::milliseconds>(
                               Clock::now())},
                          key));
                      return absl::OkStatus();
                    })
                    .ok());
  }
  EXPECT_EQ(stored, (std::vector<bool>{true, false}));
  EXPECT_EQ(UnreadCount(ana), 1);
}

TEST_F(NotificationsTest, AMemberWithTheEventsInboxOffGetsNothing) {
  const std::string ana = hc::ids::NewUuid();
  const std::string marker = hc::ids::NewUuid();
  pb::Preferences off;
  off.mutable_events()->set_in_app(false);
  ASSERT_TRUE(Update(ana, off, {"events.in_app"}).ok());
  const std::string event_id = hc::ids::NewUuid();
  RsvpConfirmed(event_id, ana, hc::ids::NewUuid());
  RsvpConfirmed(event_id, marker, hc::ids::NewUuid());
  WaitForItemOf(marker);
  EXPECT_EQ(UnreadCount(ana), 0);
  EXPECT_EQ(Inbox(ana).items_size(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM inbox_items WHERE member_id = '" + ana + "'"), 0);
  EXPECT_EQ(Metric("hc_notifications_deliveries_total{channel=\"in_app\",status=\"suppressed\"}"),
            1);
}

TEST_F(NotificationsTest, TheInboxPagesNewestFirst) {
  const std::string ana = hc::ids::NewUuid();
  const std::string event_id = hc::ids::NewUuid();
  RsvpConfirmed(event_id, ana, hc::ids::NewUuid());
  epb::RsvpWaitlisted waitlisted;
  waitlisted.set_event_id(event_id);
  waitlisted.set_member_id(ana);
  waitlisted.set_waitlist_position(1);
  Produce(events_topic_, event_id, waitlisted, hc::ids::NewUuid());
  epb::WaitlistPromoted promoted;
  promoted.set_event_id(event_id);
  promoted.set_member_id(ana);
  Produce(events_topic_, event_id, promoted, hc::ids::NewUuid());
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return UnreadCount(ana) == 3; }, std::chrono::seconds(60)));

  const pb::ListInboxResponse first = Inbox(ana, 2);
  ASSERT_EQ(first.items_size(), 2);
  ASSERT_FALSE(first.next_page_token().empty());
  const pb::ListInboxResponse second = Inbox(ana, 2, first.next_page_token());
  ASSERT_EQ(second.items_size(), 1);
  EXPECT_TRUE(second.next_page_token().empty());
  std::vector<pb::InboxItem> all(first.items().begin(), first.items().end());
  all.push_back(second.items(0));
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    ids.insert(all[i].item_id());
    if (i > 0) {
      EXPECT_LE(TimeUtil::TimestampToMilliseconds(all[i].created_at()),
                TimeUtil::TimestampToMilliseconds(all[i - 1].created_at()));
    }
  }
  EXPECT_EQ(ids.size(), 3u);

  // A token is only good for the listing it came from.
  pb::ListInboxRequest unread;
  unread.set_unread_only(true);
  unread.set_page_token(first.next_page_token());
  pb::ListInboxResponse refused;
  grpc::Status s = stub_->ListInbox(Ctx(ana).get(), unread, &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("page_token:", 0), 0u) << s.error_message();
}

TEST_F(NotificationsTest, MemberDeletedErasesTheirPreferencesAndInbox) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  pb::Preferences change;
  change.set_time_zone("Europe/Lisbon");
  ASSERT_TRUE(Update(ana, change, {"time_zone"}).ok());
  const std::string event_id = hc::ids::NewUuid();
  RsvpConfirmed(event_id, ana, hc::ids::NewUuid());
  RsvpConfirmed(event_id, ben, hc::ids::NewUuid());
  WaitForItemOf(ben);
  ASSERT_EQ(UnreadCount(ana), 1);

  mpb::MemberDeleted deleted;
  deleted.set_member_id(ana);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  Produce(membership_topic_, ana, deleted, hc::ids::NewUuid());
  const std::string held = "SELECT (SELECT count(*) FROM inbox_items WHERE member_id = '" + ana +
                           "') + (SELECT count(*) FROM preferences WHERE member_id = '" + ana +
                           "')";
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Count(held) == 0; }, std::chrono::seconds(60)));

  // A fact still in flight for them stores nothing; others are untouched.
  RsvpConfirmed(event_id, ana, hc::ids::NewUuid());
  RsvpConfirmed(event_id, ben, hc::ids::NewUuid());
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return UnreadCount(ben) == 2; }, std::chrono::seconds(60)));
  EXPECT_EQ(Count(held), 0);
}

class VolunteeringFactsTest : public NotificationsTest {
 protected:
  const std::string role_id_ = hc::ids::NewUuid();
  const std::string shift_id_ = hc::ids::NewUuid();

  // One page of a ShiftCancelled of this test's shift.
  vpb::ShiftCancelled Cancelled(std::vector<std::string> member_ids, int page, int page_count) {
    vpb::ShiftCancelled fact;
    fact.set_role_id(role_id_);
    fact.set_shift_id(shift_id_);
    *fact.mutable_cancelled_at() = TimeUtil::GetCurrentTime();
    for (auto& id : member_ids) fact.add_affected_member_ids(std::move(id));
    fact.set_page(page);
    fact.set_page_count(page_count);
    return fact;
  }

  int ItemsOf(const std::string& member_id) {
    return Count("SELECT count(*) FROM inbox_items WHERE member_id = '" + member_id + "'");
  }
};

TEST_F(VolunteeringFactsTest, ASignUpDeliveredTwiceMakesOneInboxItemAboutTheShift) {
  const std::string ana = hc::ids::NewUuid();
  const std::string marker = hc::ids::NewUuid();
  const std::string ce_id = hc::ids::NewUuid();
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_CONFIRMED, ce_id);
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_CONFIRMED, ce_id);  // redelivered
  SignedUp(role_id_, shift_id_, marker, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  WaitForItemOf(marker);

  const pb::ListInboxResponse inbox = Inbox(ana);
  ASSERT_EQ(inbox.items_size(), 1);
  const pb::InboxItem& item = inbox.items(0);
  EXPECT_EQ(item.kind(), pb::INBOX_ITEM_KIND_VOLUNTEER_CONFIRMED);
  EXPECT_EQ(item.category(), pb::CATEGORY_VOLUNTEERING);
  EXPECT_EQ(item.shift_id(), shift_id_);
  EXPECT_EQ(item.role_id(), role_id_);
  EXPECT_FALSE(item.has_event_id());
  EXPECT_EQ(item.text(), "You're signed up for the shift");
  EXPECT_EQ(Count("SELECT count(*) FROM inbox WHERE ce_id = '" + ce_id + "'"), 1);
  EXPECT_EQ(Metric("hc_consumer_messages_total{group=\"" + volunteering_group_ +
                   "\",outcome=\"duplicate\"}"),
            1);
}

TEST_F(VolunteeringFactsTest, AShiftCancelledOverTwoPagesReachesEachMemberOnceAlsoWhenRedelivered) {
  const std::vector<std::string> members = {hc::ids::NewUuid(), hc::ids::NewUuid(),
                                            hc::ids::NewUuid()};
  const std::string marker = hc::ids::NewUuid();
  const vpb::ShiftCancelled first = Cancelled({members[0], members[1]}, 1, 2);
  const vpb::ShiftCancelled second = Cancelled({members[2]}, 2, 2);
  const std::string first_ce = hc::ids::NewUuid();
  const std::string second_ce = hc::ids::NewUuid();
  Produce(volunteering_topic_, role_id_, first, first_ce);
  Produce(volunteering_topic_, role_id_, second, second_ce);
  SignedUp(role_id_, shift_id_, marker, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  WaitForItemOf(marker);
  for (const std::string& member : members) {
    ASSERT_EQ(ItemsOf(member), 1) << member;
    const pb::InboxItem item = Inbox(member).items(0);
    EXPECT_EQ(item.kind(), pb::INBOX_ITEM_KIND_SHIFT_CANCELLED);
    EXPECT_EQ(item.shift_id(), shift_id_);
    EXPECT_EQ(item.text(), "A shift you signed up for was cancelled");
  }

  // Both pages delivered again, then a second marker behind them.
  Produce(volunteering_topic_, role_id_, first, first_ce);
  Produce(volunteering_topic_, role_id_, second, second_ce);
  const std::string second_marker = hc::ids::NewUuid();
  SignedUp(role_id_, shift_id_, second_marker, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  WaitForItemOf(second_marker);
  for (const std::string& member : members) EXPECT_EQ(ItemsOf(member), 1) << member;
  EXPECT_EQ(Metric("hc_consumer_messages_total{group=\"" + volunteering_group_ +
                   "\",outcome=\"duplicate\"}"),
            2);
}

TEST_F(VolunteeringFactsTest, APageHandledTwiceStoresOneItemPerMember) {
  // Past the consumer's inbox (as after a crash between commit and offset), the dedupe key per
  // member still holds.
  hc::postgres::Pool pool({.url = db_.url(), .size = 1});
  storage::NotificationStore store(pool);
  prometheus::Registry registry;
  messaging::InboxDeliveries deliveries(
      store, [] { return std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now()); },
      registry);
  messaging::InboxFactsHandler handler(deliveries, messaging::VolunteeringFactItems);
  const std::vector<std::string> members = {hc::ids::NewUuid(), hc::ids::NewUuid()};
  hc::kafka::Message message;
  message.value = Cancelled(members, 1, 1).SerializeAsString();
  message.headers = {{hc::kafka::kCeId, hc::ids::NewUuid()},
                     {hc::kafka::kCeType, vpb::ShiftCancelled::descriptor()->full_name()}};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        pool.InTransaction([&](hc::postgres::Tx& tx) { return handler.Handle(tx, message); }).ok());
  }
  for (const std::string& member : members) EXPECT_EQ(ItemsOf(member), 1) << member;
}

TEST_F(VolunteeringFactsTest, AMemberWithTheVolunteeringInboxOffGetsNothing) {
  const std::string ana = hc::ids::NewUuid();
  const std::string marker = hc::ids::NewUuid();
  pb::Preferences off;
  off.mutable_volunteering()->set_in_app(false);
  ASSERT_TRUE(Update(ana, off, {"volunteering.in_app"}).ok());
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  Produce(volunteering_topic_, role_id_, Cancelled({ana}, 1, 1), hc::ids::NewUuid());
  SignedUp(role_id_, shift_id_, marker, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  WaitForItemOf(marker);
  EXPECT_EQ(UnreadCount(ana), 0);
  EXPECT_EQ(ItemsOf(ana), 0);
  EXPECT_EQ(Metric("hc_notifications_deliveries_total{channel=\"in_app\",status=\"suppressed\"}"),
            2);
}

TEST_F(VolunteeringFactsTest, TheInboxShowsEachVolunteeringKindsText) {
  const std::string ana = hc::ids::NewUuid();
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_WAITLISTED, hc::ids::NewUuid());
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_PENDING_APPROVAL, hc::ids::NewUuid());
  // Statuses that tell the member nothing new make no item.
  SignedUp(role_id_, shift_id_, ana, vpb::SIGNUP_STATUS_WITHDRAWN, hc::ids::NewUuid());
  for (vpb::SignupStatus status : {vpb::SIGNUP_STATUS_CONFIRMED, vpb::SIGNUP_STATUS_WAITLISTED}) {
    vpb::SignupApproved approved;
    approved.set_role_id(role_id_);
    approved.set_shift_id(shift_id_);
    approved.set_member_id(ana);
    approved.set_status(status);
    Produce(volunteering_topic_, role_id_, approved, hc::ids::NewUuid());
  }
  vpb::SignupDeclined declined;
  declined.set_role_id(role_id_);
  declined.set_shift_id(shift_id_);
  declined.set_member_id(ana);
  Produce(volunteering_topic_, role_id_, declined, hc::ids::NewUuid());
  vpb::VolunteerPromoted promoted;
  promoted.set_role_id(role_id_);
  promoted.set_shift_id(shift_id_);
  promoted.set_member_id(ana);
  Produce(volunteering_topic_, role_id_, promoted, hc::ids::NewUuid());
  // Only a new start time is news to the people on the shift.
  for (const char* changed : {"slots", "start_time"}) {
    vpb::ShiftUpdated updated;
    updated.set_role_id(role_id_);
    updated.set_shift_id(shift_id_);
    updated.add_changed_fields(changed);
    updated.add_affected_member_ids(ana);
    updated.set_page(1);
    updated.set_page_count(1);
    Produce(volunteering_topic_, role_id_, updated, hc::ids::NewUuid());
  }
  const std::string marker = hc::ids::NewUuid();
  SignedUp(role_id_, shift_id_, marker, vpb::SIGNUP_STATUS_CONFIRMED, hc::ids::NewUuid());
  WaitForItemOf(marker);

  std::map<pb::InboxItemKind, std::string> texts;
  const pb::ListInboxResponse inbox = Inbox(ana, 100);
  for (const pb::InboxItem& item : inbox.items()) {
    EXPECT_EQ(item.category(), pb::CATEGORY_VOLUNTEERING);
    EXPECT_EQ(item.shift_id(), shift_id_);
    EXPECT_EQ(item.role_id(), role_id_);
    EXPECT_TRUE(texts.emplace(item.kind(), item.text()).second) << item.kind();
  }
  const std::map<pb::InboxItemKind, std::string> expected = {
      {pb::INBOX_ITEM_KIND_VOLUNTEER_WAITLISTED,
       "The shift is full: you're on its waitlist; we'll tell you if a spot opens"},
      {pb::INBOX_ITEM_KIND_VOLUNTEER_PENDING_APPROVAL,
       "Thanks for signing up: the organiser will confirm your place"},
      {pb::INBOX_ITEM_KIND_SIGNUP_APPROVED, "Your sign-up was approved: you're on the shift"},
      {pb::INBOX_ITEM_KIND_SIGNUP_APPROVED_WAITLISTED,
       "Your sign-up was approved; the shift is full, so you're on its waitlist"},
      {pb::INBOX_ITEM_KIND_SIGNUP_DECLINED, "Your sign-up for a shift wasn't accepted this time"},
      {pb::INBOX_ITEM_KIND_VOLUNTEER_PROMOTED, "A spot opened up on the shift: you're in"},
      {pb::INBOX_ITEM_KIND_SHIFT_MOVED, "Your shift moved: check its new time"},
  };
  EXPECT_EQ(texts, expected);
}

}  // namespace
}  // namespace notifications
