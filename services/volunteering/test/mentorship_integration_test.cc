// MentorshipService end to end in one process: the real gRPC server beside VolunteeringService,
// PostgreSQL, Redis, Kafka, and a real in-process membership answering eligibility and names.
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "alumni/volunteering/v1/mentorship_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/membership/src/app.h"
#include "services/volunteering/src/app.h"
#include "services/volunteering/test/test_support.h"

namespace volunteering {
namespace {

using test_support::Common;
using test_support::Ctx;
using test_support::Token;

namespace pb = alumni::volunteering::v1;
namespace mpb = alumni::membership::v1;
using Clock = std::chrono::system_clock;

class MentorshipRpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(), {topic_, membership_topic_}, 3,
                                        std::chrono::seconds(30))
                    .ok());
    redis_.Start();
    membership::Settings m;
    m.service = Common(membership_db_.url(), redis_.address());
    m.data_key_hex = std::string(64, 'f');
    membership_ = std::make_unique<membership::App>(m);
    ASSERT_TRUE(membership_->Start().ok());

    Settings v;
    v.data_key_hex = std::string(64, 'e');
    v.service = Common(db_.url(), redis_.address());
    v.volunteering_topic = topic_;
    v.membership_topic = membership_topic_;
    v.consumer_group = hc::testing::UniqueName("mentorship-test");
    v.membership_address = "127.0.0.1:" + std::to_string(membership_->grpc_port());
    v.membership_deadline = std::chrono::milliseconds(1500);
    app_ = std::make_unique<App>(v);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::MentorshipService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
    members_ = mpb::MembershipService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (app_) app_->Shutdown();
    if (membership_) membership_->Shutdown();
  }

  int Count(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int>();
  }

  // A member of the real membership service, sober for `sober_days`.
  std::string Register(const std::string& first, int sober_days) {
    const std::chrono::year_month_day date{std::chrono::floor<std::chrono::days>(Clock::now()) -
                                           std::chrono::days(sober_days)};
    mpb::RegisterMemberRequest reg;
    reg.set_first_name(first);
    reg.set_last_name("Q");
    reg.set_email(hc::testing::UniqueName(first) + "@example.org");
    reg.set_time_zone("Europe/Berlin");
    reg.mutable_sobriety_date()->set_year(static_cast<int>(date.year()));
    reg.mutable_sobriety_date()->set_month(static_cast<unsigned>(date.month()));
    reg.mutable_sobriety_date()->set_day(static_cast<unsigned>(date.day()));
    mpb::RegisterMemberResponse registered;
    grpc::Status s = members_->RegisterMember(Ctx(staff_).get(), reg, &registered);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return registered.member().member_id();
  }

  static void Evenings(pb::Availability& a, const std::string& zone = "Europe/Berlin") {
    a.set_time_zone(zone);
    for (int d = 0; d < 7; ++d) {
      auto* w = a.add_windows();
      w->set_day(d);
      w->set_start_minute(18 * 60);
      w->set_end_minute(21 * 60);
    }
  }

  grpc::Status Upsert(const std::string& member_id, pb::MentorProfile profile,
                      std::vector<std::string> roles = {"alumnus", "peer_mentor"},
                      pb::MentorProfile* out = nullptr) {
    pb::UpsertMentorProfileRequest req;
    *req.mutable_profile() = std::move(profile);
    pb::UpsertMentorProfileResponse resp;
    grpc::Status s = stub_->UpsertMentorProfile(Ctx(Token(member_id, roles)).get(), req, &resp);
    if (out) *out = resp.profile();
    return s;
  }

  static pb::MentorProfile Profile(int capacity = 2) {
    pb::MentorProfile p;
    p.set_capacity(capacity);
    p.set_accepting(true);
    p.add_programs("outpatient");
    p.add_interests("running");
    p.add_languages("en");
    Evenings(*p.mutable_availability());
    p.set_introduction("Eight years in recovery; I like long walks.");
    return p;
  }

  pb::RequestMentorResponse Ask(const std::string& mentee, grpc::Status* status = nullptr) {
    pb::RequestMentorRequest req;
    req.add_programs("outpatient");
    req.set_language("en");
    Evenings(*req.mutable_availability(), "Europe/London");
    pb::RequestMentorResponse resp;
    grpc::Status s = stub_->RequestMentor(Ctx(Token(mentee)).get(), req, &resp);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  hc::testing::TestDatabase db_{"mentorship_rpc"};
  hc::testing::TestDatabase membership_db_{"mentor_membership"};
  hc::testing::RedisServer redis_;
  std::string topic_ = hc::testing::UniqueName("alumni.volunteering.v1.mentortest");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.mentortest");
  std::unique_ptr<membership::App> membership_;
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::MentorshipService::Stub> stub_;
  std::unique_ptr<mpb::MembershipService::Stub> members_;
  std::string staff_ = Token("coordinator-1", {"coordinator"});
};

TEST_F(MentorshipRpcTest, AMentorNeedsThePeerMentorRoleAndAYearOfSobriety) {
  const std::string seasoned = Register("Ana", 2 * 365), newer = Register("Ben", 200);
  EXPECT_EQ(Upsert(seasoned, Profile(), {"alumnus"}).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = Upsert(newer, Profile());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  pb::MentorProfile saved;
  s = Upsert(seasoned, Profile(3), {"alumnus", "peer_mentor"}, &saved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(saved.capacity(), 3);
  EXPECT_EQ(saved.introduction(), "Eight years in recovery; I like long walks.");
  pb::GetMentorProfileResponse got;
  ASSERT_TRUE(stub_->GetMentorProfile(Ctx(Token(seasoned)).get(), {}, &got).ok());
  EXPECT_EQ(got.profile().member_id(), seasoned);
  EXPECT_EQ(got.profile().availability().windows_size(), 7);
}

TEST_F(MentorshipRpcTest, BadInputIsInvalidArgumentNamingTheField) {
  const std::string ana = Register("Ana", 2 * 365);
  pb::MentorProfile p = Profile(6);
  grpc::Status s = Upsert(ana, p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("capacity:", 0), 0u) << s.error_message();
  p = Profile();
  p.mutable_availability()->set_time_zone("Nowhere/Else");
  s = Upsert(ana, p);
  EXPECT_EQ(s.error_message().rfind("availability.time_zone:", 0), 0u) << s.error_message();
  pb::RequestMentorRequest req;
  req.set_language("English please");
  Evenings(*req.mutable_availability());
  pb::RequestMentorResponse resp;
  s = stub_->RequestMentor(Ctx(Token(hc::ids::NewUuid())).get(), req, &resp);
  EXPECT_EQ(s.error_message().rfind("language:", 0), 0u) << s.error_message();
  pb::RespondToRequestRequest respond;
  respond.set_match_id("nope");
  pb::RespondToRequestResponse answered;
  s = stub_->RespondToRequest(Ctx(Token(ana)).get(), respond, &answered);
  EXPECT_EQ(s.error_message().rfind("match_id:", 0), 0u) << s.error_message();
  // No token at all.
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->GetMyMentorship(&anonymous, {}, nullptr).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MentorshipRpcTest, RequestChooseAcceptStartsOneMatchAndTellsBothSides) {
  const std::string mentor = Register("Cara", 3 * 365), mentee = Register("Dev", 30);
  ASSERT_TRUE(Upsert(mentor, Profile()).ok());
  pb::RequestMentorResponse asked = Ask(mentee);
  ASSERT_EQ(asked.proposals_size(), 1);
  EXPECT_EQ(asked.proposals(0).mentor_id(), mentor);
  EXPECT_EQ(asked.proposals(0).display_name(), "Cara Q.");
  // London 18-21 against Berlin 18-21: 2 hours a day.
  EXPECT_EQ(asked.proposals(0).score().overlap_minutes(), 7 * 120);

  // Someone else can't choose for the mentee, nor answer for the mentor.
  pb::ChooseMentorRequest choose;
  choose.set_request_id(asked.request_id());
  choose.set_mentor_id(mentor);
  pb::ChooseMentorResponse chosen;
  EXPECT_EQ(stub_->ChooseMentor(Ctx(Token(hc::ids::NewUuid())).get(), choose, &chosen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->ChooseMentor(Ctx(Token(mentee)).get(), choose, &chosen).ok());
  EXPECT_EQ(chosen.match().status(), pb::MATCH_STATUS_CHOSEN);
  const auto respond_by =
      google::protobuf::util::TimeUtil::TimestampToSeconds(chosen.match().respond_by());
  EXPECT_NEAR(respond_by - Clock::to_time_t(Clock::now()), 72 * 3600, 60);

  pb::RespondToRequestRequest respond;
  respond.set_match_id(chosen.match().match_id());
  respond.set_accept(true);
  pb::RespondToRequestResponse answered;
  EXPECT_EQ(stub_->RespondToRequest(Ctx(Token(mentee)).get(), respond, &answered).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->RespondToRequest(Ctx(Token(mentor)).get(), respond, &answered).ok());
  EXPECT_EQ(answered.match().status(), pb::MATCH_STATUS_ACTIVE);
  // The same answer again changes nothing.
  ASSERT_TRUE(stub_->RespondToRequest(Ctx(Token(mentor)).get(), respond, &answered).ok());

  pb::GetMyMentorshipResponse mine;
  ASSERT_TRUE(stub_->GetMyMentorship(Ctx(Token(mentee)).get(), {}, &mine).ok());
  ASSERT_EQ(mine.as_mentee_size(), 1);
  EXPECT_EQ(mine.as_mentee(0).other_display_name(), "Cara Q.");
  EXPECT_EQ(mine.as_mentee(0).mentor_introduction(), "Eight years in recovery; I like long walks.");
  ASSERT_TRUE(stub_->GetMyMentorship(Ctx(Token(mentor)).get(), {}, &mine).ok());
  ASSERT_EQ(mine.as_mentor_size(), 1);
  EXPECT_EQ(mine.as_mentor(0).other_display_name(), "Dev Q.");
  EXPECT_TRUE(mine.as_mentor(0).mentor_introduction().empty());

  // Exactly one MentorshipStarted, keyed by the match, ids only.
  auto started = hc::testing::ReadTopic(hc::testing::KafkaBrokers(), topic_, 1,
                                        std::chrono::seconds(60), [&](const hc::kafka::Message& m) {
                                          return m.key == chosen.match().match_id() &&
                                                 m.Header("ce_type") ==
                                                     "alumni.volunteering.v1.MentorshipStarted";
                                        });
  ASSERT_EQ(started.size(), 1u);
  pb::MentorshipStarted fact;
  ASSERT_TRUE(fact.ParseFromString(started[0].value));
  EXPECT_EQ(fact.mentee_id(), mentee);
  EXPECT_EQ(fact.mentor_id(), mentor);
  EXPECT_EQ(started[0].value.find("recovery"), std::string::npos);
  EXPECT_EQ(Count("SELECT count(*)::int FROM outbox WHERE ce_type = "
                  "'alumni.volunteering.v1.MentorshipStarted'"),
            1);

  // The mentee ends it; they may ask again.
  pb::EndMentorshipRequest end;
  end.set_match_id(chosen.match().match_id());
  pb::EndMentorshipResponse ended;
  EXPECT_EQ(stub_->EndMentorship(Ctx(Token(mentee)).get(), end, &ended).error_message(),
            "reason: must be COMPLETED, NOT_A_FIT, NO_TIME or OTHER");
  end.set_reason(pb::END_REASON_COMPLETED);
  ASSERT_TRUE(stub_->EndMentorship(Ctx(Token(mentee)).get(), end, &ended).ok());
  EXPECT_EQ(ended.match().status(), pb::MATCH_STATUS_ENDED);
  EXPECT_EQ(Ask(mentee).proposals_size(), 1);
}

TEST_F(MentorshipRpcTest, MemberDeletedEndsTheMatchAndFreesThePlace) {
  const std::string mentor = Register("Eli", 3 * 365), mentee = Register("Fay", 30);
  ASSERT_TRUE(Upsert(mentor, Profile(1)).ok());
  pb::RequestMentorResponse asked = Ask(mentee);
  ASSERT_EQ(asked.proposals_size(), 1);
  pb::ChooseMentorRequest choose;
  choose.set_request_id(asked.request_id());
  choose.set_mentor_id(mentor);
  pb::ChooseMentorResponse chosen;
  ASSERT_TRUE(stub_->ChooseMentor(Ctx(Token(mentee)).get(), choose, &chosen).ok());
  pb::RespondToRequestRequest respond;
  respond.set_match_id(chosen.match().match_id());
  respond.set_accept(true);
  pb::RespondToRequestResponse answered;
  ASSERT_TRUE(stub_->RespondToRequest(Ctx(Token(mentor)).get(), respond, &answered).ok());
  // Full now: a second mentee is shown nobody.
  EXPECT_EQ(Ask(Register("Gus", 30)).proposals_size(), 0);

  // What membership publishes when the mentee is erased.
  mpb::MemberDeleted deleted;
  deleted.set_member_id(mentee);
  *deleted.mutable_deleted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "t");
  ASSERT_TRUE(producer.ok());
  const std::string value = deleted.SerializeAsString();
  RdKafka::Headers* headers =
      hc::kafka::NewHeaders({{hc::kafka::kCeId, hc::ids::NewUuid()},
                             {hc::kafka::kCeType, deleted.GetDescriptor()->full_name()},
                             {hc::kafka::kCeSource, "/homecoming/membership"},
                             {hc::kafka::kCeSpecVersion, "1.0"}});
  ASSERT_EQ((*producer)->produce(membership_topic_, RdKafka::Topic::PARTITION_UA,
                                 RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                 value.size(), mentee.data(), mentee.size(), 0, headers, nullptr),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ((*producer)->flush(10000), RdKafka::ERR_NO_ERROR);
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return Count("SELECT count(*)::int FROM mentorship_matches") == 0; },
      std::chrono::seconds(60)));
  auto ended = hc::testing::ReadTopic(hc::testing::KafkaBrokers(), topic_, 1,
                                      std::chrono::seconds(60), [&](const hc::kafka::Message& m) {
                                        return m.key == chosen.match().match_id() &&
                                               m.Header("ce_type") ==
                                                   "alumni.volunteering.v1.MentorshipEnded";
                                      });
  ASSERT_EQ(ended.size(), 1u);
  pb::MentorshipEnded fact;
  ASSERT_TRUE(fact.ParseFromString(ended[0].value));
  EXPECT_EQ(fact.reason(), pb::END_REASON_MEMBER_LEFT);
  EXPECT_EQ(fact.mentor_id(), mentor);
  EXPECT_TRUE(fact.mentee_id().empty());
  EXPECT_EQ(Ask(Register("Hal", 30)).proposals_size(), 1) << "the place is free again";
}

TEST_F(MentorshipRpcTest, CheckInsConcernsAndTheCoordinatorsOverview) {
  const std::string mentor = Register("Ivy", 3 * 365), mentee = Register("Jo", 30);
  ASSERT_TRUE(Upsert(mentor, Profile()).ok());
  pb::RequestMentorResponse asked = Ask(mentee);
  ASSERT_EQ(asked.proposals_size(), 1);
  pb::ChooseMentorRequest choose;
  choose.set_request_id(asked.request_id());
  choose.set_mentor_id(mentor);
  pb::ChooseMentorResponse chosen;
  ASSERT_TRUE(stub_->ChooseMentor(Ctx(Token(mentee)).get(), choose, &chosen).ok());
  const std::string match_id = chosen.match().match_id();
  pb::RespondToRequestRequest respond;
  respond.set_match_id(match_id);
  respond.set_accept(true);
  pb::RespondToRequestResponse answered;
  ASSERT_TRUE(stub_->RespondToRequest(Ctx(Token(mentor)).get(), respond, &answered).ok());

  pb::LogCheckInRequest log;
  log.set_match_id(match_id);
  log.set_held_on("yesterday");
  pb::LogCheckInResponse logged;
  grpc::Status s = stub_->LogCheckIn(Ctx(Token(mentee)).get(), log, &logged);
  EXPECT_EQ(s.error_message().rfind("held_on:", 0), 0u) << s.error_message();
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  log.set_held_on(absl::FormatCivilTime(today));
  log.set_note("Coffee after the Tuesday meeting");
  ASSERT_TRUE(stub_->LogCheckIn(Ctx(Token(mentee)).get(), log, &logged).ok());
  pb::ListCheckInsRequest list;
  list.set_match_id(match_id);
  pb::ListCheckInsResponse listed;
  ASSERT_TRUE(stub_->ListCheckIns(Ctx(Token(mentor)).get(), list, &listed).ok());
  ASSERT_EQ(listed.check_ins_size(), 1);
  EXPECT_TRUE(listed.check_ins(0).note().empty()) << "the mentee's note is the mentee's";
  ASSERT_TRUE(stub_->ListCheckIns(Ctx(Token(mentee)).get(), list, &listed).ok());
  EXPECT_EQ(listed.check_ins(0).note(), "Coffee after the Tuesday meeting");
  EXPECT_EQ(stub_->ListCheckIns(Ctx(Token(hc::ids::NewUuid())).get(), list, &listed).error_code(),
            grpc::StatusCode::NOT_FOUND);

  pb::ReportConcernRequest report;
  report.set_match_id(match_id);
  pb::ReportConcernResponse reported;
  s = stub_->ReportConcern(Ctx(Token(mentee)).get(), report, &reported);
  EXPECT_EQ(s.error_message().rfind("category:", 0), 0u) << s.error_message();
  report.set_category(pb::CONCERN_CATEGORY_BOUNDARIES);
  ASSERT_TRUE(stub_->ReportConcern(Ctx(Token(mentee)).get(), report, &reported).ok());
  EXPECT_EQ(reported.match().status(), pb::MATCH_STATUS_PAUSED);
  auto concern = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), topic_, 1, std::chrono::seconds(60),
      [&](const hc::kafka::Message& m) {
        return m.key == match_id &&
               m.Header("ce_type") == "alumni.volunteering.v1.MentorshipConcernReported";
      });
  ASSERT_EQ(concern.size(), 1u);
  EXPECT_EQ(concern[0].value.find(mentee), std::string::npos);

  pb::GetMentorshipOverviewResponse overview;
  EXPECT_EQ(stub_->GetMentorshipOverview(Ctx(Token(mentee)).get(), {}, &overview).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->GetMentorshipOverview(Ctx(staff_).get(), {}, &overview).ok());
  EXPECT_EQ(overview.mentors(), 1);
  EXPECT_EQ(overview.places(), 2);
  EXPECT_EQ(overview.paused_matches(), 1);
  EXPECT_EQ(overview.active_matches(), 0);
  EXPECT_EQ(overview.open_requests(), 0);
}

}  // namespace
}  // namespace volunteering
