// Volunteer hours and the thank-you board end to end: the real gRPC server, PostgreSQL, Redis,
// Kafka, and a real in-process membership service giving display names.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/testing.h"
#include "services/membership/src/app.h"
#include "services/volunteering/src/app.h"
#include "services/volunteering/test/test_support.h"

namespace volunteering {
namespace {

using test_support::At;
using test_support::Common;
using test_support::Ctx;
using test_support::Token;

namespace pb = alumni::volunteering::v1;
namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using Clock = std::chrono::system_clock;

constexpr char kTitle[] = "Kitchen crew";

class HoursTest : public ::testing::Test {
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
    v.consumer_group = hc::testing::UniqueName("volunteering-hours-test");
    v.membership_address = "127.0.0.1:" + std::to_string(membership_->grpc_port());
    v.membership_deadline = std::chrono::milliseconds(1500);
    app_ = std::make_unique<App>(v);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::VolunteeringService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
    members_ = mpb::MembershipService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
    role_id_ = Post();
  }

  // The totals invariant, after every test: each member's total is the sum of their approved
  // entries.
  void TearDown() override {
    if (app_) {
      EXPECT_EQ(Count("SELECT count(*) FROM (SELECT member_id, sum(minutes) AS m FROM hours "
                      "WHERE status = 2 GROUP BY member_id) h FULL JOIN hours_member_totals t "
                      "USING (member_id) WHERE h.m IS DISTINCT FROM t.minutes"),
                0)
          << "hours_member_totals differ from the approved entries";
      app_->Shutdown();
    }
    if (membership_) membership_->Shutdown();
  }

  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  std::string Post() {
    pb::PostRoleRequest req;
    req.mutable_role()->set_title(kTitle);
    req.mutable_role()->set_venue("Community kitchen");
    req.mutable_role()->set_max_shifts_per_person(10);
    pb::PostRoleResponse resp;
    grpc::Status s = stub_->PostRole(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.role().role_id();
  }

  // A two-hour shift of the role, three days ahead (AddShift takes only future shifts).
  std::string AddShift(int slots = 5) {
    pb::AddShiftRequest req;
    req.set_role_id(role_id_);
    const auto start = std::chrono::floor<std::chrono::seconds>(Clock::now()) +
                       std::chrono::hours(72) + std::chrono::minutes(++shifts_added_);
    *req.mutable_start_time() = At(start);
    *req.mutable_end_time() = At(start + std::chrono::hours(2));
    req.set_time_zone("America/Denver");
    req.set_slots(slots);
    pb::AddShiftResponse resp;
    grpc::Status s = stub_->AddShift(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.shift().shift_id();
  }

  // Moves a shift into the past, keeping its two hours: the time hours may be logged.
  void EndShift(const std::string& shift_id) {
    Query(
        "UPDATE shifts SET starts_at = now() - interval '3 hours', ends_at = now() - interval "
        "'1 hour' WHERE shift_id = '" +
        shift_id + "'");
  }

  void SignUp(const std::string& member_id, const std::string& shift_id) {
    pb::SignUpRequest req;
    req.set_shift_id(shift_id);
    pb::SignUpResponse resp;
    grpc::Status s = stub_->SignUp(Ctx(Token(member_id)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // A shift the member was confirmed for, now over.
  std::string WorkedShift(const std::vector<std::string>& members) {
    const std::string shift_id = AddShift();
    for (const auto& m : members) SignUp(m, shift_id);
    EndShift(shift_id);
    return shift_id;
  }

  grpc::Status Log(const std::string& member_id, const std::string& shift_id, int minutes,
                   pb::HoursEntry* out = nullptr) {
    pb::LogHoursRequest req;
    req.set_shift_id(shift_id);
    req.set_minutes(minutes);
    pb::LogHoursResponse resp;
    grpc::Status s = stub_->LogHours(Ctx(Token(member_id)).get(), req, &resp);
    if (out) *out = resp.entry();
    return s;
  }

  grpc::Status Review(bool approve, const std::string& shift_id, const std::string& member_id,
                      pb::HoursEntry* out = nullptr, const std::string& token = "") {
    pb::ReviewHoursRequest req;
    req.set_shift_id(shift_id);
    req.set_member_id(member_id);
    pb::ReviewHoursResponse resp;
    auto ctx = Ctx(token.empty() ? staff_ : token);
    grpc::Status s = approve ? stub_->ApproveHours(ctx.get(), req, &resp)
                             : stub_->RejectHours(ctx.get(), req, &resp);
    if (out) *out = resp.entry();
    return s;
  }

  void Approved(const std::string& member_id, const std::string& shift_id, int minutes) {
    ASSERT_TRUE(Log(member_id, shift_id, minutes).ok());
    ASSERT_TRUE(Review(true, shift_id, member_id).ok());
  }

  grpc::Status Summary(const std::string& token, const std::string& member_id,
                       const std::string& role_id, pb::GetVolunteerSummaryResponse* out) {
    pb::GetVolunteerSummaryRequest req;
    req.set_member_id(member_id);
    req.set_role_id(role_id);
    return stub_->GetVolunteerSummary(Ctx(token).get(), req, out);
  }

  pb::GetVolunteerSummaryResponse RoleTotals() {
    pb::GetVolunteerSummaryResponse totals;
    grpc::Status s = Summary(staff_, "", role_id_, &totals);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return totals;
  }

  pb::ListHoursResponse ListHours(pb::HoursStatus status, int page_size = 0,
                                  const std::string& page_token = "") {
    pb::ListHoursRequest req;
    req.set_role_id(role_id_);
    req.set_status(status);
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    pb::ListHoursResponse resp;
    grpc::Status s = stub_->ListHours(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  pb::ListThankYouBoardResponse Board(int page_size = 0, const std::string& page_token = "") {
    pb::ListThankYouBoardRequest req;
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    pb::ListThankYouBoardResponse resp;
    grpc::Status s = stub_->ListThankYouBoard(Ctx(Token(hc::ids::NewUuid())).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  void OptIn(const std::string& member_id, bool opt_in = true) {
    pb::SetThankYouBoardRequest req;
    req.set_opt_in(opt_in);
    pb::SetThankYouBoardResponse resp;
    ASSERT_TRUE(stub_->SetThankYouBoard(Ctx(Token(member_id)).get(), req, &resp).ok());
    EXPECT_EQ(resp.opt_in(), opt_in);
  }

  // A member registered in the real membership service, optionally hiding their name in lists.
  std::string Register(const std::string& first, const std::string& last, bool hide_name) {
    mpb::RegisterMemberRequest reg;
    reg.set_first_name(first);
    reg.set_last_name(last);
    reg.set_email(hc::testing::UniqueName(first) + "@example.org");
    reg.set_time_zone("America/Denver");
    mpb::RegisterMemberResponse registered;
    grpc::Status s = members_->RegisterMember(Ctx(staff_).get(), reg, &registered);
    EXPECT_TRUE(s.ok()) << s.error_message();
    const std::string id = registered.member().member_id();
    if (hide_name) {
      mpb::UpdatePrivacyRequest privacy;
      privacy.set_member_id(id);
      privacy.mutable_privacy()->set_directory_visibility(mpb::DIRECTORY_VISIBILITY_HIDDEN);
      privacy.mutable_privacy()->set_hide_name_in_lists(true);
      mpb::UpdatePrivacyResponse updated;
      s = members_->UpdatePrivacy(Ctx(Token(id)).get(), privacy, &updated);
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return id;
  }

  void PublishMemberDeleted(const std::string& member_id, const std::string& ce_id) {
    mpb::MemberDeleted deleted;
    deleted.set_member_id(member_id);
    *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
    auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "t");
    ASSERT_TRUE(producer.ok());
    const std::string value = deleted.SerializeAsString();
    RdKafka::Headers* headers =
        hc::kafka::NewHeaders({{hc::kafka::kCeId, ce_id},
                               {hc::kafka::kCeType, deleted.GetDescriptor()->full_name()},
                               {hc::kafka::kCeSource, "/homecoming/membership"},
                               {hc::kafka::kCeSpecVersion, "1.0"}});
    ASSERT_EQ((*producer)->produce(membership_topic_, RdKafka::Topic::PARTITION_UA,
                                   RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                   value.size(), const_cast<char*>(member_id.data()),
                                   member_id.size(), 0, headers, nullptr),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ((*producer)->flush(10000), RdKafka::ERR_NO_ERROR);
  }

  int Count(const std::string& sql) { return Query(sql)[0][0].as<int>(); }

  hc::testing::TestDatabase db_{"volunteering_hours"};
  hc::testing::TestDatabase membership_db_{"vol_hours_membership"};
  hc::testing::RedisServer redis_;
  std::string topic_ = hc::testing::UniqueName("alumni.volunteering.v1.hourstest");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.hourstest");
  std::unique_ptr<membership::App> membership_;
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::VolunteeringService::Stub> stub_;
  std::unique_ptr<mpb::MembershipService::Stub> members_;
  std::string staff_ = Token("coordinator-1", {"coordinator"});
  std::string role_id_;
  int shifts_added_ = 0;
};

TEST_F(HoursTest, LoggedThenApprovedHoursShowInTheMemberAndRoleSummaries) {
  const std::string ana = hc::ids::NewUuid();
  const std::string first = WorkedShift({ana}), second = WorkedShift({ana});

  pb::HoursEntry entry;
  ASSERT_TRUE(Log(ana, first, 90, &entry).ok());
  EXPECT_EQ(entry.status(), pb::HOURS_STATUS_PENDING);
  // Logging again replaces the entry while it is pending.
  ASSERT_TRUE(Log(ana, first, 100, &entry).ok());
  EXPECT_EQ(entry.minutes(), 100);
  EXPECT_EQ(ListHours(pb::HOURS_STATUS_PENDING).entries_size(), 1);

  ASSERT_TRUE(Review(true, first, ana, &entry).ok());
  EXPECT_EQ(entry.status(), pb::HOURS_STATUS_APPROVED);
  EXPECT_EQ(entry.minutes(), 100);
  EXPECT_TRUE(entry.has_reviewed_at());
  // The same decision again answers as it stands; the other one, or a new log, is refused.
  ASSERT_TRUE(Review(true, first, ana, &entry).ok());
  EXPECT_EQ(entry.status(), pb::HOURS_STATUS_APPROVED);
  grpc::Status s = Review(false, first, ana);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("already approved"));
  s = Log(ana, first, 30);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("already reviewed"));

  // Rejected hours count nowhere.
  ASSERT_TRUE(Log(ana, second, 60).ok());
  ASSERT_TRUE(Review(false, second, ana, &entry).ok());
  EXPECT_EQ(entry.status(), pb::HOURS_STATUS_REJECTED);
  EXPECT_EQ(Review(true, second, ana).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  pb::GetVolunteerSummaryResponse mine;
  ASSERT_TRUE(Summary(Token(ana), "", "", &mine).ok());
  EXPECT_EQ(mine.member_id(), ana);
  EXPECT_EQ(mine.approved_minutes(), 100);
  EXPECT_EQ(mine.shifts(), 1);
  ASSERT_EQ(mine.roles_size(), 1);
  EXPECT_EQ(mine.roles(0).role_title(), kTitle);
  EXPECT_EQ(mine.roles(0).approved_minutes(), 100);
  EXPECT_FALSE(mine.on_thank_you_board());

  pb::GetVolunteerSummaryResponse totals = RoleTotals();
  EXPECT_EQ(totals.member_id(), "");
  EXPECT_EQ(totals.approved_minutes(), 100);
  EXPECT_EQ(totals.shifts(), 1);
  EXPECT_EQ(totals.volunteers(), 1);
  ASSERT_EQ(totals.roles_size(), 1);
  EXPECT_EQ(totals.roles(0).role_title(), kTitle);

  // Coordinators see anyone's; members only their own; a role's totals are for coordinators.
  pb::GetVolunteerSummaryResponse theirs;
  ASSERT_TRUE(Summary(staff_, ana, "", &theirs).ok());
  EXPECT_EQ(theirs.approved_minutes(), 100);
  EXPECT_EQ(Summary(Token(hc::ids::NewUuid()), ana, "", &theirs).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Summary(Token(ana), "", role_id_, &theirs).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // ListHours by status, paged with tokens bound to the filters.
  EXPECT_EQ(ListHours(pb::HOURS_STATUS_APPROVED).entries_size(), 1);
  EXPECT_EQ(ListHours(pb::HOURS_STATUS_REJECTED).entries(0).shift_id(), second);
  pb::ListHoursResponse page = ListHours(pb::HOURS_STATUS_UNSPECIFIED, 1);
  ASSERT_EQ(page.entries_size(), 1);
  ASSERT_FALSE(page.next_page_token().empty());
  pb::ListHoursResponse rest = ListHours(pb::HOURS_STATUS_UNSPECIFIED, 1, page.next_page_token());
  ASSERT_EQ(rest.entries_size(), 1);
  EXPECT_NE(rest.entries(0).shift_id(), page.entries(0).shift_id());
  EXPECT_EQ(rest.next_page_token(), "");
  pb::ListHoursRequest other_filter;
  other_filter.set_role_id(role_id_);
  other_filter.set_status(pb::HOURS_STATUS_APPROVED);
  other_filter.set_page_token(page.next_page_token());
  pb::ListHoursResponse refused;
  EXPECT_EQ(stub_->ListHours(Ctx(staff_).get(), other_filter, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // One HoursApproved (the repeated approval changed nothing), three HoursLogged.
  auto approved =
      hc::testing::ReadTopic(hc::testing::KafkaBrokers(), topic_, 1, std::chrono::seconds(60),
                             [](const hc::kafka::Message& m) {
                               return m.Header("ce_type") == "alumni.volunteering.v1.HoursApproved";
                             });
  ASSERT_EQ(approved.size(), 1u);
  pb::HoursApproved fact;
  ASSERT_TRUE(fact.ParseFromString(approved[0].value));
  EXPECT_EQ(fact.member_id(), ana);
  EXPECT_EQ(fact.minutes(), 100);
  EXPECT_EQ(approved[0].key, role_id_);
  EXPECT_EQ(hc::testing::ReadTopic(hc::testing::KafkaBrokers(), topic_, 3, std::chrono::seconds(60),
                                   [](const hc::kafka::Message& m) {
                                     return m.Header("ce_type") ==
                                            "alumni.volunteering.v1.HoursLogged";
                                   })
                .size(),
            3u);
}

TEST_F(HoursTest, HoursAreRefusedOutsideTheRulesSayingWhich) {
  const std::string ana = hc::ids::NewUuid(), ben = hc::ids::NewUuid();
  const std::string upcoming = AddShift(1);
  SignUp(ana, upcoming);
  SignUp(ben, upcoming);  // waitlisted: the only slot is ana's
  grpc::Status s = Log(ana, upcoming, 30);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not ended"));

  EndShift(upcoming);
  s = Log(ben, upcoming, 30);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not confirmed"));
  for (int minutes : {0, 121}) {
    s = Log(ana, upcoming, minutes);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("minutes: must be "));
  }
  // Too few minutes is named before anything is looked up, even for a shift that isn't there.
  s = Log(ana, hc::ids::NewUuid(), 0);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("minutes: must be at least 1"));
  s = Log(ana, upcoming, 121);
  EXPECT_THAT(s.error_message(), HasSubstr("minutes: must be 1 to 120"));
  EXPECT_TRUE(Log(ana, upcoming, 120).ok());

  const std::string cancelled = WorkedShift({ana});
  Query("UPDATE shifts SET status = 2 WHERE shift_id = '" + cancelled + "'");
  s = Log(ana, cancelled, 30);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("cancelled"));

  EXPECT_EQ(Log(ana, hc::ids::NewUuid(), 30).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::LogHoursRequest as_service;
  as_service.set_shift_id(upcoming);
  as_service.set_minutes(30);
  pb::LogHoursResponse logged;
  EXPECT_EQ(
      stub_->LogHours(Ctx(Token("events", {"service"})).get(), as_service, &logged).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Only coordinators review, and only what was logged.
  EXPECT_EQ(Review(true, upcoming, ana, nullptr, Token(ana)).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Review(true, upcoming, ben).error_code(), grpc::StatusCode::NOT_FOUND);
  s = Review(true, "nope", ana);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("shift_id:"));
  EXPECT_EQ(Count("SELECT count(*) FROM hours"), 1);
}

TEST_F(HoursTest, TheBoardListsOnlyOptedInMembersMostMinutesFirst) {
  const std::string ana = Register("Ana", "Lopez", false);
  const std::string ben = Register("Ben", "Okafor", true);  // hides his name in lists
  const std::string cal = Register("Cal", "Reyes", false);  // never opts in
  const std::string dee = Register("Dee", "Moss", false);   // opts in, nothing approved yet
  const std::string shift = WorkedShift({ana, ben, cal, dee});
  Approved(ana, shift, 60);
  Approved(ben, shift, 100);
  Approved(cal, shift, 120);
  ASSERT_TRUE(Log(dee, shift, 90).ok());
  for (const auto& m : {ana, ben, dee}) OptIn(m);

  pb::ListThankYouBoardResponse board = Board();
  EXPECT_FALSE(board.names_unavailable());
  ASSERT_EQ(board.entries_size(), 2);
  EXPECT_EQ(board.entries(0).member_id(), ben);
  EXPECT_EQ(board.entries(0).approved_minutes(), 100);
  EXPECT_EQ(board.entries(0).display_name(), "");
  EXPECT_EQ(board.entries(1).member_id(), ana);
  EXPECT_EQ(board.entries(1).display_name(), "Ana L.");

  pb::ListThankYouBoardResponse first = Board(1);
  ASSERT_EQ(first.entries_size(), 1);
  EXPECT_EQ(first.entries(0).member_id(), ben);
  pb::ListThankYouBoardResponse second = Board(1, first.next_page_token());
  ASSERT_EQ(second.entries_size(), 1);
  EXPECT_EQ(second.entries(0).member_id(), ana);
  EXPECT_EQ(second.next_page_token(), "");

  pb::GetVolunteerSummaryResponse mine;
  ASSERT_TRUE(Summary(Token(ana), "", "", &mine).ok());
  EXPECT_TRUE(mine.on_thank_you_board());
  // Whether another member chose the board is not a coordinator's to see here.
  ASSERT_TRUE(Summary(staff_, ana, "", &mine).ok());
  EXPECT_FALSE(mine.on_thank_you_board());

  OptIn(ben, false);
  board = Board();
  ASSERT_EQ(board.entries_size(), 1);
  EXPECT_EQ(board.entries(0).member_id(), ana);

  // Membership away: the board still answers, flagged, without names.
  membership_->Shutdown();
  board = Board();
  EXPECT_TRUE(board.names_unavailable());
  ASSERT_EQ(board.entries_size(), 1);
  EXPECT_EQ(board.entries(0).member_id(), ana);
  EXPECT_EQ(board.entries(0).display_name(), "");
}

TEST_F(HoursTest, AnErasedMembersHoursStayOnlyAsAnonymousRoleTotals) {
  const std::string ana = hc::ids::NewUuid(), ben = hc::ids::NewUuid();
  const std::string one = WorkedShift({ana, ben}), two = WorkedShift({ana});
  Approved(ana, one, 60);
  Approved(ben, one, 100);
  Approved(ana, two, 45);
  const std::string pending = WorkedShift({ana});
  ASSERT_TRUE(Log(ana, pending, 30).ok());
  OptIn(ana);
  OptIn(ben);
  const pb::GetVolunteerSummaryResponse before = RoleTotals();
  EXPECT_EQ(before.approved_minutes(), 205);
  EXPECT_EQ(before.shifts(), 3);
  EXPECT_EQ(before.volunteers(), 2);
  ASSERT_EQ(Board().entries_size(), 2);

  // Hours facts name the member as a subject of their outbox rows, so the erasure forgets them.
  const std::string hours_rows =
      "SELECT count(*) FROM outbox WHERE ce_type LIKE "
      "'alumni.volunteering.v1.Hours%' AND subjects @> ARRAY['" +
      ana + "']";
  EXPECT_EQ(Count(hours_rows), 5);  // three HoursLogged, two HoursApproved
  const std::string ce_id = hc::ids::NewUuid();
  PublishMemberDeleted(ana, ce_id);
  PublishMemberDeleted(ana, ce_id);  // redelivered
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM hours WHERE member_id = '" + ana + "'") == 0; },
      std::chrono::seconds(60)));
  // The same fact once more under another id: handled again, it finds nothing left to fold.
  const std::string again = hc::ids::NewUuid();
  PublishMemberDeleted(ana, again);
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return Count("SELECT count(*) FROM inbox WHERE ce_id = '" + again + "'") == 1; },
      std::chrono::seconds(60)));

  EXPECT_TRUE(
      hc::testing::WaitFor([&] { return Count(hours_rows) == 0; }, std::chrono::seconds(60)));
  const pb::GetVolunteerSummaryResponse after = RoleTotals();
  EXPECT_EQ(after.approved_minutes(), before.approved_minutes());
  EXPECT_EQ(after.shifts(), before.shifts());
  EXPECT_EQ(after.volunteers(), before.volunteers());
  const pb::ListHoursResponse left = ListHours(pb::HOURS_STATUS_UNSPECIFIED);
  EXPECT_EQ(left.entries_size(), 1);  // ben's
  for (const auto& e : left.entries()) EXPECT_NE(e.member_id(), ana);
  pb::ListThankYouBoardResponse board = Board();
  ASSERT_EQ(board.entries_size(), 1);
  EXPECT_EQ(board.entries(0).member_id(), ben);
  EXPECT_EQ(Count("SELECT count(*) FROM thank_you_board WHERE member_id = '" + ana + "'"), 0);
  // Nothing left to review, and the erased member logs nothing more.
  EXPECT_EQ(Review(true, pending, ana).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::GetVolunteerSummaryResponse theirs;
  ASSERT_TRUE(Summary(staff_, ana, "", &theirs).ok());
  EXPECT_EQ(theirs.approved_minutes(), 0);
}

}  // namespace
}  // namespace volunteering
