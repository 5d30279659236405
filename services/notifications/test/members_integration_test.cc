// Membership's facts in notifications, end to end in one process: the real gRPC server,
// PostgreSQL, Redis and Kafka. Facts are produced to real (per-test) topics exactly as membership
// and volunteering publish them: consent, welcome, milestones, the interests projection and the
// role suggestions made from it.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <pqxx/pqxx>
#include <set>

#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/notifications/v1/notifications_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "libs/testing/testing.h"
#include "services/notifications/src/app.h"
#include "services/notifications/src/storage/delivery_store.h"
#include "services/notifications/test/test_support.h"

namespace notifications {
namespace {

namespace pb = alumni::notifications::v1;
namespace mpb = alumni::membership::v1;
namespace vpb = alumni::volunteering::v1;
using google::protobuf::util::TimeUtil;
using Clock = std::chrono::system_clock;

const std::string kSecret = "notifications-members-integration-secret-0123";

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& subject) {
  return test_support::MemberCall(kSecret, subject);
}

google::protobuf::Timestamp Ago(std::chrono::minutes minutes) {
  return TimeUtil::MillisecondsToTimestamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               (Clock::now() - minutes).time_since_epoch())
                                               .count());
}

class MembersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(test_support::CreateTopics(topics_).ok());
    Settings s = test_support::AppSettings(db_.url(), kSecret, topics_,
                                           "notifications-members-test", /*workers=*/4,
                                           /*db_pool_size=*/6);
    s.membership_facts_consumer_group = members_group_;
    absl::Status started = replica_.Start(s);
    ASSERT_TRUE(started.ok()) << started;
    auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "t");
    ASSERT_TRUE(producer.ok());
    producer_ = std::move(*producer);
  }

  void TearDown() override { replica_.Shutdown(); }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql)[0][0].as<int>();
  }

  void Exec(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }

  // Queues `fact` on `topic` (facts of one key stay in order); Flush sends what is queued.
  void Queue(const std::string& topic, const std::string& key,
             const google::protobuf::Message& fact, const std::string& ce_id) {
    const std::string value = fact.SerializeAsString();
    RdKafka::Headers* headers =
        hc::kafka::NewHeaders({{hc::kafka::kCeId, ce_id},
                               {hc::kafka::kCeType, fact.GetDescriptor()->full_name()},
                               {hc::kafka::kCeSource, "/homecoming/test"},
                               {hc::kafka::kCeSpecVersion, "1.0"}});
    RdKafka::ErrorCode error;
    while ((error = producer_->produce(
                topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                const_cast<char*>(value.data()), value.size(), const_cast<char*>(key.data()),
                key.size(), 0, headers, nullptr)) == RdKafka::ERR__QUEUE_FULL) {
      producer_->poll(100);
    }
    ASSERT_EQ(error, RdKafka::ERR_NO_ERROR);
  }
  void Flush() { ASSERT_EQ(producer_->flush(30000), RdKafka::ERR_NO_ERROR); }
  void Produce(const std::string& topic, const std::string& key,
               const google::protobuf::Message& fact, const std::string& ce_id) {
    Queue(topic, key, fact, ce_id);
    Flush();
  }

  // Membership keys its facts by member id, so one member's facts are handled in order.
  void Registered(const std::string& member_id, std::vector<std::string> interests,
                  const std::string& ce_id, bool flush = true) {
    mpb::MemberRegistered fact;
    fact.set_member_id(member_id);
    *fact.mutable_registered_at() = TimeUtil::GetCurrentTime();
    fact.set_time_zone("UTC");
    for (auto& tag : interests) fact.add_interests(std::move(tag));
    Queue(topics_.membership, member_id, fact, ce_id);
    if (flush) Flush();
  }

  void Consent(const std::string& member_id, mpb::ContactChannel channel, bool granted,
               std::chrono::minutes ago) {
    mpb::MemberConsentChanged fact;
    fact.set_member_id(member_id);
    fact.set_channel(channel);
    fact.set_granted(granted);
    *fact.mutable_changed_at() = Ago(ago);
    Produce(topics_.membership, member_id, fact, hc::ids::NewUuid());
  }

  void Milestone(const std::string& member_id, mpb::Milestone milestone, int years = 0) {
    mpb::SobrietyMilestoneReached fact;
    fact.set_member_id(member_id);
    fact.set_milestone(milestone);
    fact.set_years(years);
    Produce(topics_.membership, member_id, fact, hc::ids::NewUuid());
  }

  void InterestsChanged(const std::string& member_id, std::vector<std::string> changed_fields,
                        std::vector<std::string> interests, int version) {
    mpb::MemberProfileUpdated fact;
    fact.set_member_id(member_id);
    *fact.mutable_updated_at() = TimeUtil::GetCurrentTime();
    for (auto& field : changed_fields) fact.add_changed_fields(std::move(field));
    for (auto& tag : interests) fact.add_interests(std::move(tag));
    fact.set_version(version);
    Produce(topics_.membership, member_id, fact, hc::ids::NewUuid());
  }

  // Volunteering keys its facts by role.
  void RolePosted(const std::string& role_id, std::vector<std::string> tags,
                  const std::string& ce_id) {
    vpb::VolunteerRolePosted fact;
    fact.set_role_id(role_id);
    for (auto& tag : tags) fact.add_tags(std::move(tag));
    fact.set_event_id(hc::ids::NewUuid());
    *fact.mutable_posted_at() = TimeUtil::GetCurrentTime();
    Produce(topics_.volunteering, role_id, fact, ce_id);
  }

  // A sign-up of `marker` on the role, after its other facts: once the marker's item is stored,
  // every fact of the role produced before it has been handled.
  void WaitPastRoleFacts(const std::string& role_id) {
    const std::string marker = hc::ids::NewUuid();
    vpb::VolunteerSignedUp fact;
    fact.set_role_id(role_id);
    fact.set_shift_id(hc::ids::NewUuid());
    fact.set_member_id(marker);
    fact.set_status(vpb::SIGNUP_STATUS_CONFIRMED);
    *fact.mutable_signed_up_at() = TimeUtil::GetCurrentTime();
    Produce(topics_.volunteering, role_id, fact, hc::ids::NewUuid());
    ASSERT_TRUE(
        hc::testing::WaitFor([&] { return ItemsOf(marker) == 1; }, std::chrono::seconds(60)))
        << "the volunteering consumer did not reach the marker";
  }

  // Waits until the members consumer has committed the fact `ce_id` (its inbox is scoped).
  void WaitHandled(const std::string& ce_id) {
    ASSERT_TRUE(hc::testing::WaitFor(
        [&] {
          return Count("SELECT count(*) FROM inbox WHERE ce_id = 'members:" + ce_id + "'") == 1;
        },
        std::chrono::seconds(60)))
        << "the members consumer did not handle the fact";
  }

  int ItemsOf(const std::string& member_id, const std::string& kind = "") {
    return Count("SELECT count(*) FROM inbox_items WHERE member_id = '" + member_id + "'" +
                 (kind.empty() ? "" : " AND kind = '" + kind + "'"));
  }

  int Suggestions(const std::string& role_id) {
    return Count("SELECT count(*) FROM inbox_items WHERE kind = 'role_suggested' AND role_id = '" +
                 role_id + "'");
  }

  void SetPreference(const std::string& member_id, const std::string& path) {
    pb::UpdatePreferencesRequest req;
    req.mutable_preferences()->set_role_suggestions(true);
    req.mutable_preferences()->mutable_milestones()->set_in_app(true);
    req.mutable_update_mask()->add_paths(path);
    pb::UpdatePreferencesResponse resp;
    grpc::Status s = replica_.stub->UpdatePreferences(Ctx(member_id).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  pb::ListInboxResponse Inbox(const std::string& member_id) {
    pb::ListInboxRequest req;
    req.set_page_size(100);
    pb::ListInboxResponse resp;
    grpc::Status s = replica_.stub->ListInbox(Ctx(member_id).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  domain::Consent ConsentOf(const std::string& member_id) {
    hc::postgres::Pool pool({.url = db_.url(), .size = 1});
    storage::DeliveryStore store(pool);
    domain::Consent consent;
    EXPECT_TRUE(pool.InTransaction([&](hc::postgres::Tx& tx) {
                      consent = store.ConsentIn(tx, member_id);
                      return absl::OkStatus();
                    })
                    .ok());
    return consent;
  }

  hc::testing::TestDatabase db_{"notifications"};
  test_support::Topics topics_ = test_support::UniqueTopics("memtest");
  std::string members_group_ = hc::testing::UniqueName("notifications-members-test");
  test_support::Replica replica_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

TEST_F(MembersTest, ConsentFollowsTheNewestFactAndAReplayedOlderOneChangesNothing) {
  const std::string ana = hc::ids::NewUuid();
  Consent(ana, mpb::CONTACT_CHANNEL_EMAIL, true, std::chrono::minutes(3));
  Consent(ana, mpb::CONTACT_CHANNEL_SMS, true, std::chrono::minutes(3));
  Consent(ana, mpb::CONTACT_CHANNEL_EMAIL, false, std::chrono::minutes(2));
  // An older grant replayed after the revocation (another ce_id): the revocation stands.
  Consent(ana, mpb::CONTACT_CHANNEL_EMAIL, true, std::chrono::minutes(10));
  // Push is not a channel of notifications: nothing to record, nothing to fail.
  Consent(ana, mpb::CONTACT_CHANNEL_PUSH, false, std::chrono::minutes(1));
  const std::string marker = hc::ids::NewUuid();
  Registered(ana, {}, marker);
  WaitHandled(marker);

  const domain::Consent consent = ConsentOf(ana);
  EXPECT_FALSE(consent.email);
  EXPECT_TRUE(consent.sms);

  // A newer grant does count.
  Consent(ana, mpb::CONTACT_CHANNEL_EMAIL, true, std::chrono::minutes(0));
  ASSERT_TRUE(hc::testing::WaitFor([&] { return ConsentOf(ana).email; }, std::chrono::seconds(60)));
  EXPECT_EQ(Count("SELECT count(*) FROM consents WHERE member_id = '" + ana + "'"), 2);
}

TEST_F(MembersTest, AMemberIsWelcomedOnceEvenWhenTheFactIsRedeliveredOrAnnouncedAgain) {
  const std::string ana = hc::ids::NewUuid();
  SetPreference(ana, "milestones.in_app");
  const std::string ce_id = hc::ids::NewUuid();
  Registered(ana, {"gardening"}, ce_id);
  Registered(ana, {"gardening"}, ce_id);               // redelivered
  Registered(ana, {"gardening"}, hc::ids::NewUuid());  // announced again
  Milestone(ana, mpb::MILESTONE_30_DAYS);              // the marker, after them
  ASSERT_TRUE(hc::testing::WaitFor([&] { return ItemsOf(ana, "milestone") == 1; },
                                   std::chrono::seconds(60)));

  EXPECT_EQ(ItemsOf(ana, "welcome"), 1);
  const pb::ListInboxResponse inbox = Inbox(ana);
  ASSERT_EQ(inbox.items_size(), 2);
  const pb::InboxItem& welcome = inbox.items(1);
  EXPECT_EQ(welcome.kind(), pb::INBOX_ITEM_KIND_WELCOME);
  EXPECT_EQ(welcome.category(), pb::CATEGORY_EVENTS);
  EXPECT_EQ(welcome.text(), "Welcome! Have a look at what's coming up");
  EXPECT_EQ(welcome.subject_case(), pb::InboxItem::SUBJECT_NOT_SET);
  EXPECT_EQ(Count("SELECT count(*) FROM member_interests WHERE member_id = '" + ana +
                  "' AND tag = 'gardening'"),
            1);
}

TEST_F(MembersTest, AMilestoneReachesOnlyAMemberWhoTurnedMilestonesOnAndNeverSaysWhich) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  SetPreference(ana, "milestones.in_app");
  Milestone(ana, mpb::MILESTONE_YEARS, 2);
  Milestone(ben, mpb::MILESTONE_90_DAYS);
  const std::string marker = hc::ids::NewUuid();
  Registered(ben, {}, marker);  // after ben's milestone
  WaitHandled(marker);
  ASSERT_TRUE(hc::testing::WaitFor([&] { return ItemsOf(ana) == 1; }, std::chrono::seconds(60)));

  const pb::ListInboxResponse inbox = Inbox(ana);
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).kind(), pb::INBOX_ITEM_KIND_MILESTONE);
  EXPECT_EQ(inbox.items(0).category(), pb::CATEGORY_MILESTONES);
  EXPECT_EQ(inbox.items(0).text(), "Congratulations — a milestone today.");
  EXPECT_EQ(inbox.items(0).subject_case(), pb::InboxItem::SUBJECT_NOT_SET);
  EXPECT_TRUE(inbox.items(0).role_id().empty());
  // The row holds ids and the kind only: which milestone it was is nowhere.
  EXPECT_EQ(Count("SELECT count(*) FROM inbox_items WHERE member_id = '" + ana +
                  "' AND kind = 'milestone' AND category = 'milestones' AND event_id IS NULL "
                  "AND shift_id IS NULL AND role_id IS NULL"),
            1);

  // Ben left milestones off (the default): his welcome only.
  EXPECT_EQ(ItemsOf(ben), 1);
  EXPECT_EQ(ItemsOf(ben, "welcome"), 1);
}

TEST_F(MembersTest, ARoleMatching1000OptedInMembersSuggestsItToEachOnceAndToNobodyElse) {
  const std::string role_id = hc::ids::NewUuid();
  const std::vector<std::string> tags = {"gardening", "cooking"};
  std::vector<std::string> matching;
  std::vector<std::string> not_opted_in;
  std::vector<std::string> not_matching;
  for (int i = 0; i < 1000; ++i) {
    matching.push_back(hc::ids::NewUuid());
    // Half match on one tag, half on the other beside one that doesn't.
    Registered(matching.back(),
               i % 2 == 0 ? std::vector<std::string>{"gardening"}
                          : std::vector<std::string>{"music", "cooking"},
               hc::ids::NewUuid(), /*flush=*/false);
  }
  for (int i = 0; i < 50; ++i) {
    not_opted_in.push_back(hc::ids::NewUuid());
    Registered(not_opted_in.back(), {"gardening"}, hc::ids::NewUuid(), false);
    not_matching.push_back(hc::ids::NewUuid());
    Registered(not_matching.back(), {"music", "birding"}, hc::ids::NewUuid(), false);
  }
  Flush();
  for (const auto& id : matching) SetPreference(id, "role_suggestions");
  for (const auto& id : not_matching) SetPreference(id, "role_suggestions");
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return Count("SELECT count(DISTINCT member_id) FROM member_interests") == 1100; },
      std::chrono::seconds(120)))
      << "the interests projection did not fill";

  const std::string ce_id = hc::ids::NewUuid();
  const auto posted = std::chrono::steady_clock::now();
  RolePosted(role_id, tags, ce_id);
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Suggestions(role_id) >= 1000; },
                                   std::chrono::seconds(120)));
  const auto took = std::chrono::steady_clock::now() - posted;
  std::printf(
      "[ measure  ] 1000 role suggestions stored in %lld ms after the fact was produced\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));

  RolePosted(role_id, tags, ce_id);               // redelivered
  RolePosted(role_id, tags, hc::ids::NewUuid());  // announced again
  WaitPastRoleFacts(role_id);

  EXPECT_EQ(Suggestions(role_id), 1000);
  EXPECT_EQ(Count("SELECT count(DISTINCT member_id) FROM inbox_items WHERE kind = "
                  "'role_suggested'"),
            1000);
  for (const auto& id : not_opted_in) EXPECT_EQ(ItemsOf(id, "role_suggested"), 0) << id;
  for (const auto& id : not_matching) EXPECT_EQ(ItemsOf(id, "role_suggested"), 0) << id;
  for (const auto& id : matching) ASSERT_EQ(ItemsOf(id, "role_suggested"), 1) << id;

  // What the member sees: the role, never its name.
  const pb::ListInboxResponse inbox = Inbox(matching[1]);
  ASSERT_EQ(inbox.items_size(), 2);  // the suggestion, then the welcome
  EXPECT_EQ(inbox.items(0).kind(), pb::INBOX_ITEM_KIND_ROLE_SUGGESTED);
  EXPECT_EQ(inbox.items(0).category(), pb::CATEGORY_VOLUNTEERING);
  EXPECT_EQ(inbox.items(0).role_id(), role_id);
  EXPECT_EQ(inbox.items(0).subject_case(), pb::InboxItem::SUBJECT_NOT_SET);
  EXPECT_EQ(inbox.items(0).text(), "A new volunteer role matches your interests");
}

TEST_F(MembersTest, AProfileUpdateOfInterestsChangesWhoARoleIsSuggestedTo) {
  const std::string ana = hc::ids::NewUuid();
  const std::string ben = hc::ids::NewUuid();
  SetPreference(ana, "role_suggestions");
  SetPreference(ben, "role_suggestions");
  Registered(ana, {"art"}, hc::ids::NewUuid());
  Registered(ben, {"music"}, hc::ids::NewUuid());
  InterestsChanged(ana, {"interests", "display_name"}, {"music", "yoga"}, 2);
  // Not naming interests: ben's set stays.
  InterestsChanged(ben, {"display_name"}, {}, 2);
  const std::string marker = hc::ids::NewUuid();
  Registered(ben, {"music"}, marker);  // announced again, after ben's update
  WaitHandled(marker);
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Count("SELECT count(*) FROM member_interests WHERE member_id = '" + ana +
                     "' AND tag IN ('music', 'yoga')") == 2;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(Count("SELECT count(*) FROM member_interests WHERE member_id = '" + ana + "'"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM member_interests WHERE member_id = '" + ben +
                  "' AND tag = 'music'"),
            1);

  const std::string art = hc::ids::NewUuid();
  RolePosted(art, {"art"}, hc::ids::NewUuid());
  WaitPastRoleFacts(art);
  EXPECT_EQ(Suggestions(art), 0);

  const std::string music = hc::ids::NewUuid();
  RolePosted(music, {"music"}, hc::ids::NewUuid());
  WaitPastRoleFacts(music);
  EXPECT_EQ(Suggestions(music), 2);
  EXPECT_EQ(ItemsOf(ana, "role_suggested"), 1);
  EXPECT_EQ(ItemsOf(ben, "role_suggested"), 1);
}

TEST_F(MembersTest, MemberDeletedRemovesInterestsAndConsentAndLaterFactsBringNothingBack) {
  const std::string ana = hc::ids::NewUuid();
  Registered(ana, {"art"}, hc::ids::NewUuid());
  Consent(ana, mpb::CONTACT_CHANNEL_EMAIL, true, std::chrono::minutes(1));
  const std::string held = "SELECT (SELECT count(*) FROM member_interests WHERE member_id = '" +
                           ana + "') + (SELECT count(*) FROM consents WHERE member_id = '" + ana +
                           "') + (SELECT count(*) FROM inbox_items WHERE member_id = '" + ana +
                           "')";
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Count(held) == 3; }, std::chrono::seconds(60)));

  mpb::MemberDeleted deleted;
  deleted.set_member_id(ana);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  Produce(topics_.membership, ana, deleted, hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Count(held) == 0; }, std::chrono::seconds(60)));

  // Facts still in flight for them change nothing.
  Consent(ana, mpb::CONTACT_CHANNEL_SMS, true, std::chrono::minutes(0));
  InterestsChanged(ana, {"interests"}, {"music"}, 2);
  const std::string last = hc::ids::NewUuid();
  Registered(ana, {"art"}, last);
  WaitHandled(last);
  EXPECT_EQ(Count(held), 0);
}

// The fan-out at scale: the projection is seeded directly (10,000 members who opted in and hold
// the tag), the role's fact goes through Kafka; prints the rate.
TEST_F(MembersTest, ARoleMatching10000MembersReachesEachOnce) {
  constexpr int kMembers = 10000;
  const std::string template_member = hc::ids::NewUuid();
  SetPreference(template_member, "role_suggestions");
  Exec(
      "INSERT INTO preferences SELECT gen_random_uuid()::text, time_zone, enabled, digest, "
      "quiet_start_minute, quiet_end_minute, role_suggestions, updated_at FROM preferences, "
      "generate_series(1, " +
      std::to_string(kMembers - 1) + ") WHERE member_id = '" + template_member + "'");
  Exec("INSERT INTO member_interests SELECT member_id, 'gardening' FROM preferences");
  Exec("ANALYZE preferences; ANALYZE member_interests");
  ASSERT_EQ(Count("SELECT count(*) FROM member_interests"), kMembers);

  const std::string role_id = hc::ids::NewUuid();
  const auto posted = std::chrono::steady_clock::now();
  RolePosted(role_id, {"gardening", "cooking"}, hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Suggestions(role_id) >= kMembers; },
                                   std::chrono::seconds(240), std::chrono::milliseconds(100)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - posted).count();
  std::printf("[ measure  ] %d role suggestions stored in %.2f s: %.0f items/s\n", kMembers,
              seconds, kMembers / seconds);
  WaitPastRoleFacts(role_id);
  EXPECT_EQ(Suggestions(role_id), kMembers);
  EXPECT_EQ(Count("SELECT count(DISTINCT member_id) FROM inbox_items WHERE kind = "
                  "'role_suggested'"),
            kMembers);
}

}  // namespace
}  // namespace notifications

namespace notifications {
namespace {

// Mentorship (issue 12): volunteering's mentorship facts, keyed by match as volunteering keys
// them, and the coordinators projection from membership's role facts.
class MentorshipTest : public MembersTest {
 protected:
  void Mentorship(const std::string& match_id, const google::protobuf::Message& fact,
                  const std::string& ce_id = hc::ids::NewUuid()) {
    Produce(topics_.volunteering, match_id, fact, ce_id);
  }

  vpb::MentorshipStarted Started(const std::string& match, const std::string& mentee,
                                 const std::string& mentor) {
    vpb::MentorshipStarted fact;
    fact.set_match_id(match);
    fact.set_mentee_id(mentee);
    fact.set_mentor_id(mentor);
    *fact.mutable_started_at() = TimeUtil::GetCurrentTime();
    return fact;
  }

  // A MentorChosen of a new match to `marker` on the key `key`, produced after the facts before
  // it: once its item is stored, every fact of the key before it has been handled.
  void WaitPastMatchFacts(const std::string& key) {
    const std::string marker = hc::ids::NewUuid();
    vpb::MentorChosen fact;
    fact.set_match_id(hc::ids::NewUuid());
    fact.set_request_id(hc::ids::NewUuid());
    fact.set_mentee_id(hc::ids::NewUuid());
    fact.set_mentor_id(marker);
    Mentorship(key, fact);
    ASSERT_TRUE(
        hc::testing::WaitFor([&] { return ItemsOf(marker) == 1; }, std::chrono::seconds(60)))
        << "the volunteering consumer did not reach the marker";
  }

  void Role(const std::string& member_id, const std::string& role, bool assigned,
            std::chrono::minutes ago, const std::string& ce_id = hc::ids::NewUuid()) {
    if (assigned) {
      mpb::MemberRoleAssigned fact;
      fact.set_member_id(member_id);
      fact.set_role(role);
      *fact.mutable_assigned_at() = Ago(ago);
      Produce(topics_.membership, member_id, fact, ce_id);
    } else {
      mpb::MemberRoleRevoked fact;
      fact.set_member_id(member_id);
      fact.set_role(role);
      *fact.mutable_revoked_at() = Ago(ago);
      Produce(topics_.membership, member_id, fact, ce_id);
    }
  }

  int Coordinators() { return Count("SELECT count(*) FROM coordinators WHERE coordinator"); }
};

TEST_F(MentorshipTest, AMatchIntroducesEachPartyOnceOnTheChannelsTheyConsentedTo) {
  const std::string mentee = hc::ids::NewUuid();
  const std::string mentor = hc::ids::NewUuid();
  const std::string match = hc::ids::NewUuid();
  // The mentee consented to email, the mentor did not.
  Consent(mentee, mpb::CONTACT_CHANNEL_EMAIL, true, std::chrono::minutes(1));
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return ConsentOf(mentee).email; }, std::chrono::seconds(60)));

  const std::string ce_id = hc::ids::NewUuid();
  Mentorship(match, Started(match, mentee, mentor), ce_id);
  Mentorship(match, Started(match, mentee, mentor), ce_id);               // redelivered
  Mentorship(match, Started(match, mentee, mentor), hc::ids::NewUuid());  // published again
  WaitPastMatchFacts(match);

  EXPECT_EQ(ItemsOf(mentee, "mentorship_introduction"), 1);
  EXPECT_EQ(ItemsOf(mentor, "mentorship_introduction"), 1);
  const pb::ListInboxResponse inbox = Inbox(mentee);
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).kind(), pb::INBOX_ITEM_KIND_MENTORSHIP_INTRODUCTION);
  EXPECT_EQ(inbox.items(0).category(), pb::CATEGORY_MENTORSHIP);
  EXPECT_EQ(inbox.items(0).subject_case(), pb::InboxItem::SUBJECT_NOT_SET);
  // Email: one delivery each; the mentee's goes out (consent) and names the mentor by id only
  // (the name is looked up at send time); the mentor's is kept as suppressed for want of
  // consent. No SMS (nobody chose it).
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE member_id = '" + mentee +
                  "' AND kind = 'mentorship_introduction' AND channel = 'email' AND category = "
                  "'mentorship' AND status <> 'suppressed_consent' AND other_member_id = '" +
                  mentor + "'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE member_id = '" + mentor +
                  "' AND status = 'suppressed_consent'"),
            1);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE member_id IN ('" + mentee + "', '" +
                  mentor + "')"),
            2);
}

TEST_F(MentorshipTest, EachFactTellsOnlyThePartiesItConcernsOnce) {
  const std::string mentee = hc::ids::NewUuid();
  const std::string mentor = hc::ids::NewUuid();
  const std::string match = hc::ids::NewUuid();

  vpb::MentorChosen chosen;
  chosen.set_match_id(match);
  chosen.set_request_id(hc::ids::NewUuid());
  chosen.set_mentee_id(mentee);
  chosen.set_mentor_id(mentor);
  *chosen.mutable_respond_by() = TimeUtil::GetCurrentTime();
  Mentorship(match, chosen);
  Mentorship(match, chosen);  // published again

  vpb::MentorChoiceLapsed lapsed;
  lapsed.set_match_id(match);
  lapsed.set_request_id(chosen.request_id());
  lapsed.set_mentee_id(mentee);
  lapsed.set_mentor_id(mentor);
  lapsed.set_lapse(vpb::CHOICE_LAPSE_EXPIRED);
  Mentorship(match, lapsed);

  vpb::MentorCheckInDue due;
  due.set_match_id(match);
  due.set_mentee_id(mentee);
  due.set_mentor_id(mentor);
  *due.mutable_last_activity_at() = Ago(std::chrono::minutes(30 * 24 * 60));
  Mentorship(match, due);
  Mentorship(match, due);  // the same quiet spell again

  // The mentor left: only the mentee remains named.
  vpb::MentorshipEnded ended;
  ended.set_match_id(match);
  ended.set_mentee_id(mentee);
  ended.set_reason(vpb::END_REASON_MEMBER_LEFT);
  *ended.mutable_ended_at() = TimeUtil::GetCurrentTime();
  Mentorship(match, ended);
  WaitPastMatchFacts(match);

  EXPECT_EQ(ItemsOf(mentor, "mentor_chosen"), 1);
  EXPECT_EQ(ItemsOf(mentee, "mentor_chosen"), 0);
  EXPECT_EQ(ItemsOf(mentee, "mentor_choice_lapsed"), 1);
  EXPECT_EQ(ItemsOf(mentor, "mentor_choice_lapsed"), 0);
  EXPECT_EQ(ItemsOf(mentee, "mentor_check_in_due"), 1);
  EXPECT_EQ(ItemsOf(mentor, "mentor_check_in_due"), 1);
  EXPECT_EQ(ItemsOf(mentee, "mentorship_ended"), 1);
  EXPECT_EQ(ItemsOf(mentor, "mentorship_ended"), 0);
  EXPECT_EQ(ItemsOf(mentee), 3);
  EXPECT_EQ(ItemsOf(mentor), 2);
  const pb::ListInboxResponse inbox = Inbox(mentee);
  ASSERT_EQ(inbox.items_size(), 3);
  EXPECT_EQ(inbox.items(0).kind(), pb::INBOX_ITEM_KIND_MENTORSHIP_ENDED);
  EXPECT_EQ(inbox.items(0).text(), "Your mentorship has ended");
}

TEST_F(MentorshipTest, AConcernReachesTheCurrentCoordinatorsOnlyAndErasureRemovesOne) {
  const std::string ada = hc::ids::NewUuid();  // coordinator
  const std::string bo = hc::ids::NewUuid();   // coordinator, then revoked
  const std::string cy = hc::ids::NewUuid();   // a peer mentor, not a coordinator
  Role(ada, "coordinator", true, std::chrono::minutes(10));
  Role(bo, "coordinator", true, std::chrono::minutes(10));
  Role(bo, "coordinator", false, std::chrono::minutes(5));
  // An older assignment handled after the revocation changes nothing.
  Role(bo, "coordinator", true, std::chrono::minutes(8));
  Role(cy, "peer_mentor", true, std::chrono::minutes(10));
  const std::string last = hc::ids::NewUuid();
  Role(cy, "alumnus", true, std::chrono::minutes(1), last);
  WaitHandled(last);
  ASSERT_TRUE(hc::testing::WaitFor([&] { return Coordinators() == 1; }, std::chrono::seconds(60)));

  const std::string match = hc::ids::NewUuid();
  vpb::MentorshipConcernReported concern;
  concern.set_match_id(match);
  concern.set_concern_id(hc::ids::NewUuid());
  concern.set_category(2);
  concern.set_blocked(true);
  *concern.mutable_reported_at() = TimeUtil::GetCurrentTime();
  Mentorship(match, concern);
  Mentorship(match, concern);  // published again
  WaitPastMatchFacts(match);

  EXPECT_EQ(ItemsOf(ada, "mentorship_attention"), 1);
  EXPECT_EQ(ItemsOf(bo), 0);
  EXPECT_EQ(ItemsOf(cy), 0);
  const pb::ListInboxResponse inbox = Inbox(ada);
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).text(), "A mentorship needs a coordinator's attention");
  EXPECT_EQ(inbox.items(0).subject_case(), pb::InboxItem::SUBJECT_NOT_SET);

  // Ada's erasure takes her out of the projection: a later concern reaches nobody.
  mpb::MemberDeleted deleted;
  deleted.set_member_id(ada);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  Produce(topics_.membership, ada, deleted, hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Count("SELECT count(*) FROM coordinators WHERE member_id = '" + ada + "'") == 0;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(Coordinators(), 0);
}

TEST_F(MentorshipTest, AnIntroductionKeepsWhetherTheOtherPartySharesAndNeverAnAddress) {
  const std::string mentee = hc::ids::NewUuid();
  const std::string mentor = hc::ids::NewUuid();
  const std::string match = hc::ids::NewUuid();
  // The mentor shares their email; the mentee shares nothing.
  vpb::MentorshipStarted started = Started(match, mentee, mentor);
  started.set_mentor_shares_email(true);
  Mentorship(match, started);
  WaitPastMatchFacts(match);
  const auto intro = [&](const std::string& member, const std::string& shares) {
    return Count("SELECT count(*) FROM deliveries WHERE member_id = '" + member +
                 "' AND kind = 'mentorship_introduction' AND channel = 'email' AND " + shares);
  };
  // The mentee's introduction may show the mentor's email (looked up when it is sent).
  EXPECT_EQ(intro(mentee, "other_shares_email AND NOT other_shares_phone"), 1);
  // The mentor's shows no address of the mentee.
  EXPECT_EQ(intro(mentor, "NOT other_shares_email AND NOT other_shares_phone"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE other_member_id IS NOT NULL AND "
                  "other_member_id LIKE '%@%'"),
            0);
}

TEST_F(MentorshipTest, AChosenMentorsNoticeKeepsTheTimeToAnswerBy) {
  const std::string mentor = hc::ids::NewUuid();
  const std::string match = hc::ids::NewUuid();
  vpb::MentorChosen chosen;
  chosen.set_match_id(match);
  chosen.set_request_id(hc::ids::NewUuid());
  chosen.set_mentee_id(hc::ids::NewUuid());
  chosen.set_mentor_id(mentor);
  *chosen.mutable_respond_by() = TimeUtil::SecondsToTimestamp(1796212800);  // 2026-12-02 12:00Z
  Mentorship(match, chosen);
  WaitPastMatchFacts(match);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE member_id = '" + mentor +
                  "' AND kind = 'mentor_chosen' AND answer_by = to_timestamp(1796212800)"),
            1);
}

TEST_F(MentorshipTest, WhoEndedAMatchGetsAConfirmationAndTheOtherTheNeutralNotice) {
  const std::string mentee = hc::ids::NewUuid();
  const std::string mentor = hc::ids::NewUuid();
  const std::string match = hc::ids::NewUuid();
  vpb::MentorshipEnded ended;
  ended.set_match_id(match);
  ended.set_mentee_id(mentee);
  ended.set_mentor_id(mentor);
  ended.set_reason(vpb::END_REASON_NOT_A_FIT);
  ended.set_ended_by(mentee);
  *ended.mutable_ended_at() = TimeUtil::GetCurrentTime();
  Mentorship(match, ended);
  Mentorship(match, ended);  // published again
  WaitPastMatchFacts(match);
  EXPECT_EQ(ItemsOf(mentee, "mentorship_end_confirmed"), 1);
  EXPECT_EQ(ItemsOf(mentee, "mentorship_ended"), 0);
  EXPECT_EQ(ItemsOf(mentor, "mentorship_ended"), 1);
  EXPECT_EQ(ItemsOf(mentor, "mentorship_end_confirmed"), 0);
  const pb::ListInboxResponse inbox = Inbox(mentee);
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).kind(), pb::INBOX_ITEM_KIND_MENTORSHIP_END_CONFIRMED);
  EXPECT_EQ(inbox.items(0).text(), "You ended your mentorship");
}

TEST_F(MentorshipTest, AConcernReachesAdminsAsWellAsCoordinatorsDiscreetlyAndOnceEach) {
  const std::string ada = hc::ids::NewUuid();  // admin
  const std::string bo = hc::ids::NewUuid();   // coordinator and admin
  const std::string cy = hc::ids::NewUuid();   // admin, then revoked
  Role(ada, "admin", true, std::chrono::minutes(10));
  Role(bo, "coordinator", true, std::chrono::minutes(10));
  Role(bo, "admin", true, std::chrono::minutes(10));
  Role(cy, "admin", true, std::chrono::minutes(10));
  const std::string last = hc::ids::NewUuid();
  Role(cy, "admin", false, std::chrono::minutes(5), last);
  WaitHandled(last);
  ASSERT_TRUE(
      hc::testing::WaitFor([&] { return Count("SELECT count(*) FROM admins WHERE admin") == 2; },
                           std::chrono::seconds(60)));

  const std::string match = hc::ids::NewUuid();
  vpb::MentorshipConcernReported concern;
  concern.set_match_id(match);
  concern.set_concern_id(hc::ids::NewUuid());
  concern.set_category(3);
  concern.set_blocked(true);
  *concern.mutable_reported_at() = TimeUtil::GetCurrentTime();
  Mentorship(match, concern);
  WaitPastMatchFacts(match);
  EXPECT_EQ(ItemsOf(ada, "mentorship_attention"), 1);
  EXPECT_EQ(ItemsOf(bo, "mentorship_attention"), 1) << "a coordinator and admin is told once";
  EXPECT_EQ(ItemsOf(cy), 0);
  // Discreet: the item says only that a mentorship needs attention; its email / SMS (rendered
  // from the kind alone) carry no reason, no name and no subject ids.
  const pb::ListInboxResponse inbox = Inbox(ada);
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).text(), "A mentorship needs a coordinator's attention");
  EXPECT_EQ(inbox.items(0).subject_case(), pb::InboxItem::SUBJECT_NOT_SET);
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries WHERE member_id = '" + ada +
                  "' AND kind = 'mentorship_attention' AND other_member_id IS NULL"),
            Count("SELECT count(*) FROM deliveries WHERE member_id = '" + ada + "'"));
}

}  // namespace
}  // namespace notifications
