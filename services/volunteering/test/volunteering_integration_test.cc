// volunteering end to end in one process: the real gRPC server, PostgreSQL, Redis, Kafka, and
// a real in-process membership service answering eligibility.
#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <latch>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/kafka/kafka.h"
#include "libs/testing/raw_grpc.h"
#include "libs/testing/testing.h"
#include "services/membership/src/app.h"
#include "services/volunteering/src/app.h"
#include "services/volunteering/src/members/names.h"
#include "services/volunteering/src/messaging/facts.h"
#include "services/volunteering/src/storage/role_store.h"
#include "services/volunteering/test/test_support.h"

namespace volunteering {
namespace {

using test_support::At;
using test_support::Common;
using test_support::Ctx;
using test_support::kSecret;
using test_support::Token;

namespace pb = alumni::volunteering::v1;
namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using Clock = std::chrono::system_clock;

class VolunteeringTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(hc::kafka::EnsureTopics(hc::testing::KafkaBrokers(),
                                        {"alumni.membership.v1", topic_, membership_topic_}, 3,
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
    // 200 concurrent callers on 2 cores: sign-ups to one shift queue on its row lock anyway.
    v.service = Common(db_.url(), redis_.address(), /*workers=*/24);
    v.service.work_queue = 4096;
    v.volunteering_topic = topic_;
    v.membership_topic = membership_topic_;
    v.consumer_group = hc::testing::UniqueName("volunteering-test");
    v.membership_address = "127.0.0.1:" + std::to_string(membership_->grpc_port());
    v.membership_deadline = std::chrono::milliseconds(1500);
    // Membership's catalogue asked for every check, so a tag retired there is refused at once
    // (the remembering is tested in volunteering_roles_test).
    v.interest_tags_ttl = std::chrono::seconds(0);
    app_ = std::make_unique<App>(v);
    ASSERT_TRUE(app_->Start().ok());
    stub_ = pb::VolunteeringService::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(app_->grpc_port()), grpc::InsecureChannelCredentials()));
    members_ = mpb::MembershipService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(membership_->grpc_port()),
                            grpc::InsecureChannelCredentials()));
  }

  // The slot invariant, after every test whatever it raced: each shift's counts equal its rows.
  void TearDown() override {
    if (app_) {
      auto drifted = Query(
          "SELECT s.shift_id FROM shifts s WHERE s.confirmed_count <> (SELECT count(*) FROM "
          "signups g WHERE g.shift_id = s.shift_id AND g.status = 1) OR s.waitlist_count <> "
          "(SELECT count(*) FROM signups g WHERE g.shift_id = s.shift_id AND g.status = 2) OR "
          "s.pending_count <> (SELECT count(*) FROM signups g WHERE g.shift_id = s.shift_id AND "
          "g.status = 4)");
      EXPECT_EQ(drifted.size(), 0u) << "slot counts differ from the rows";
      app_->Shutdown();
    }
    if (membership_) membership_->Shutdown();
  }

  pqxx::result Query(const std::string& sql) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    return tx.exec(sql);
  }

  pb::Role Post(int min_sober_days = 0, int max_shifts = 0, bool requires_approval = false) {
    pb::PostRoleRequest req;
    auto* r = req.mutable_role();
    r->set_title("Welcome table greeter");
    r->add_tags("peer-support");
    r->set_venue("Community hall");
    r->set_min_sober_days(min_sober_days);
    r->set_max_shifts_per_person(max_shifts);
    r->set_requires_approval(requires_approval);
    pb::PostRoleResponse resp;
    grpc::Status s = stub_->PostRole(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.role();
  }

  pb::Shift AddShift(const std::string& role_id, int slots,
                     Clock::time_point start = Clock::now() + std::chrono::hours(72)) {
    pb::AddShiftRequest req;
    req.set_role_id(role_id);
    start = std::chrono::floor<std::chrono::seconds>(start);
    *req.mutable_start_time() = At(start);
    *req.mutable_end_time() = At(start + std::chrono::hours(2));
    req.set_time_zone("America/Denver");
    req.set_slots(slots);
    pb::AddShiftResponse resp;
    grpc::Status s = stub_->AddShift(Ctx(staff_).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.shift();
  }

  grpc::Status SignUp(const std::string& member_id, const std::string& shift_id,
                      pb::Signup* out = nullptr) {
    pb::SignUpRequest req;
    req.set_shift_id(shift_id);
    pb::SignUpResponse resp;
    grpc::Status s = stub_->SignUp(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
    if (out) *out = resp.signup();
    return s;
  }

  grpc::Status Withdraw(const std::string& member_id, const std::string& shift_id) {
    pb::WithdrawRequest req;
    req.set_shift_id(shift_id);
    pb::WithdrawResponse resp;
    return stub_->Withdraw(Ctx(Token(member_id, {"alumnus"})).get(), req, &resp);
  }

  grpc::Status UpdateRole(const std::string& role_id, const pb::RoleDetails& details,
                          std::vector<std::string> paths, pb::Role* out = nullptr) {
    pb::UpdateRoleRequest req;
    req.set_role_id(role_id);
    *req.mutable_role() = details;
    for (auto& path : paths) req.mutable_update_mask()->add_paths(std::move(path));
    pb::UpdateRoleResponse resp;
    grpc::Status s = stub_->UpdateRole(Ctx(staff_).get(), req, &resp);
    if (out) *out = resp.role();
    return s;
  }

  grpc::Status PostWithTags(std::vector<std::string> tags, pb::Role* out = nullptr) {
    pb::PostRoleRequest req;
    req.mutable_role()->set_title("Trail crew");
    req.mutable_role()->set_venue("Trailhead");
    for (auto& tag : tags) req.mutable_role()->add_tags(std::move(tag));
    pb::PostRoleResponse resp;
    grpc::Status s = stub_->PostRole(Ctx(staff_).get(), req, &resp);
    if (out) *out = resp.role();
    return s;
  }

  void ChangeCatalogue(const std::string& tag, bool add) {
    grpc::Status s;
    if (add) {
      mpb::AddInterestTagRequest req;
      req.set_tag(tag);
      mpb::AddInterestTagResponse resp;
      s = members_->AddInterestTag(Ctx(staff_).get(), req, &resp);
    } else {
      mpb::RetireInterestTagRequest req;
      req.set_tag(tag);
      mpb::RetireInterestTagResponse resp;
      s = members_->RetireInterestTag(Ctx(staff_).get(), req, &resp);
    }
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  pb::ListRolesResponse List(const pb::ListRolesRequest& req, grpc::Status* status = nullptr) {
    pb::ListRolesResponse resp;
    grpc::Status s =
        stub_->ListRoles(Ctx(Token(hc::ids::NewUuid(), {"alumnus"})).get(), req, &resp);
    if (status) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.error_message();
    }
    return resp;
  }

  // A coordinator approves (or declines) the member's pending sign-up.
  grpc::Status Review(bool approve, const std::string& member_id, const std::string& shift_id,
                      pb::Signup* out = nullptr, const std::string& token = "") {
    const std::string& bearer = token.empty() ? staff_ : token;
    grpc::Status s;
    pb::Signup signup;
    if (approve) {
      pb::ApproveSignupRequest req;
      req.set_shift_id(shift_id);
      req.set_member_id(member_id);
      pb::ApproveSignupResponse resp;
      s = stub_->ApproveSignup(Ctx(bearer).get(), req, &resp);
      signup = resp.signup();
    } else {
      pb::DeclineSignupRequest req;
      req.set_shift_id(shift_id);
      req.set_member_id(member_id);
      pb::DeclineSignupResponse resp;
      s = stub_->DeclineSignup(Ctx(bearer).get(), req, &resp);
      signup = resp.signup();
    }
    if (out) *out = signup;
    return s;
  }

  // The role's first shift as GetRole shows it now.
  pb::Shift ShiftNow(const std::string& role_id) {
    pb::GetRoleRequest get;
    get.set_role_id(role_id);
    pb::GetRoleResponse got;
    EXPECT_TRUE(stub_->GetRole(Ctx(staff_).get(), get, &got).ok());
    return got.role().shifts_size() ? got.role().shifts(0) : pb::Shift();
  }

  // A member registered with the real membership service.
  std::string Register(const std::string& first, const std::string& last) {
    mpb::RegisterMemberRequest reg;
    reg.set_first_name(first);
    reg.set_last_name(last);
    reg.set_email(hc::testing::UniqueName(first) + "@example.org");
    reg.set_time_zone("America/Denver");
    mpb::RegisterMemberResponse registered;
    grpc::Status s = members_->RegisterMember(Ctx(staff_).get(), reg, &registered);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return registered.member().member_id();
  }

  std::vector<hc::kafka::Message> Published(const std::string& role_id, size_t count,
                                            const std::string& ce_type) {
    return hc::testing::ReadTopic(hc::testing::KafkaBrokers(), topic_, count,
                                  std::chrono::seconds(60), [&](const hc::kafka::Message& m) {
                                    return m.key == role_id && m.Header("ce_type") == ce_type;
                                  });
  }

  void PublishMembershipFact(const std::string& key, const google::protobuf::Message& fact,
                             const std::string& ce_id) {
    auto producer = hc::kafka::NewIdempotentProducer(hc::testing::KafkaBrokers(), nullptr, "t");
    ASSERT_TRUE(producer.ok());
    const std::string value = fact.SerializeAsString();
    RdKafka::Headers* headers =
        hc::kafka::NewHeaders({{hc::kafka::kCeId, ce_id},
                               {hc::kafka::kCeType, fact.GetDescriptor()->full_name()},
                               {hc::kafka::kCeSource, "/homecoming/membership"},
                               {hc::kafka::kCeSpecVersion, "1.0"}});
    ASSERT_EQ((*producer)->produce(membership_topic_, RdKafka::Topic::PARTITION_UA,
                                   RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(value.data()),
                                   value.size(), key.data(), key.size(), 0, headers, nullptr),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ((*producer)->flush(10000), RdKafka::ERR_NO_ERROR);
  }

  hc::testing::TestDatabase db_{"volunteering"};
  hc::testing::TestDatabase membership_db_{"vol_membership"};
  hc::testing::RedisServer redis_;
  std::string topic_ = hc::testing::UniqueName("alumni.volunteering.v1.test");
  std::string membership_topic_ = hc::testing::UniqueName("alumni.membership.v1.voltest");
  std::unique_ptr<membership::App> membership_;
  std::unique_ptr<App> app_;
  std::unique_ptr<pb::VolunteeringService::Stub> stub_;
  std::unique_ptr<mpb::MembershipService::Stub> members_;
  std::string staff_ = Token("coordinator-1", {"coordinator"});
};

TEST_F(VolunteeringTest, SignUpConfirmsThenWaitlistsAndAWithdrawalPromotesTheFirstInLine) {
  pb::Role role = Post();
  pb::Shift shift = AddShift(role.role_id(), 1);
  const std::string ana = hc::ids::NewUuid(), ben = hc::ids::NewUuid();
  pb::Signup signup;
  ASSERT_TRUE(SignUp(ana, shift.shift_id(), &signup).ok());
  EXPECT_EQ(signup.status(), pb::SIGNUP_STATUS_CONFIRMED);
  ASSERT_TRUE(SignUp(ben, shift.shift_id(), &signup).ok());
  EXPECT_EQ(signup.status(), pb::SIGNUP_STATUS_WAITLISTED);
  EXPECT_EQ(signup.waitlist_position(), 1);
  ASSERT_TRUE(SignUp(ben, shift.shift_id(), &signup).ok());  // idempotent
  EXPECT_EQ(signup.waitlist_position(), 1);

  pb::GetRoleRequest get;
  get.set_role_id(role.role_id());
  pb::GetRoleResponse got;
  ASSERT_TRUE(stub_->GetRole(Ctx(Token(ana, {})).get(), get, &got).ok());  // cached now
  ASSERT_EQ(got.role().shifts_size(), 1);
  EXPECT_EQ(got.role().shifts(0).slots_left(), 0);
  EXPECT_EQ(got.role().shifts(0).waitlist_count(), 1);

  ASSERT_TRUE(Withdraw(ana, shift.shift_id()).ok());
  pb::ListMySignupsResponse mine;
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(ben, {})).get(), {}, &mine).ok());
  ASSERT_EQ(mine.signups_size(), 1);
  EXPECT_EQ(mine.signups(0).signup().status(), pb::SIGNUP_STATUS_CONFIRMED);
  EXPECT_EQ(mine.signups(0).role_title(), "Welcome table greeter");
  // No stale read after the withdrawal.
  ASSERT_TRUE(stub_->GetRole(Ctx(Token(ana, {})).get(), get, &got).ok());
  EXPECT_EQ(got.role().shifts(0).waitlist_count(), 0);
  EXPECT_EQ(got.role().shifts(0).confirmed_count(), 1);

  auto promoted = Published(role.role_id(), 1, "alumni.volunteering.v1.VolunteerPromoted");
  ASSERT_EQ(promoted.size(), 1u);
  pb::VolunteerPromoted fact;
  ASSERT_TRUE(fact.ParseFromString(promoted[0].value));
  EXPECT_EQ(fact.member_id(), ben);
  EXPECT_EQ(Published(role.role_id(), 2, "alumni.volunteering.v1.VolunteerSignedUp").size(), 2u);
}

TEST_F(VolunteeringTest, OnlyCoordinatorsPostAndBadInputNamesTheField) {
  pb::PostRoleRequest req;
  req.mutable_role()->set_title("x");
  req.mutable_role()->set_venue("y");
  pb::PostRoleResponse resp;
  EXPECT_EQ(
      stub_->PostRole(Ctx(Token(hc::ids::NewUuid(), {"alumnus"})).get(), req, &resp).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  req.mutable_role()->set_min_sober_days(45);
  grpc::Status s = stub_->PostRole(Ctx(staff_).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("min_sober_days:"));
  pb::SignUpRequest signup;
  signup.set_shift_id("not-an-id");
  pb::SignUpResponse signed_up;
  s = stub_->SignUp(Ctx(Token(hc::ids::NewUuid(), {})).get(), signup, &signed_up);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("shift_id:"));
  // A service identity signs nobody up.
  signup.set_shift_id(hc::ids::NewUuid());
  EXPECT_EQ(stub_->SignUp(Ctx(Token("events", {"service"})).get(), signup, &signed_up).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  pb::ListRolesResponse listed;
  EXPECT_TRUE(stub_->ListRoles(Ctx(staff_).get(), {}, &listed).ok());
  pb::ListMySignupsResponse mine;
  EXPECT_TRUE(stub_->ListMySignups(Ctx(Token(hc::ids::NewUuid(), {})).get(), {}, &mine).ok());

  // Bad fields are named before any lookup: an unknown role does not hide them.
  pb::AddShiftRequest bad_shift;
  bad_shift.set_role_id(hc::ids::NewUuid());
  *bad_shift.mutable_start_time() = At(Clock::now() + std::chrono::hours(48));
  *bad_shift.mutable_end_time() = At(Clock::now() + std::chrono::hours(50));
  bad_shift.set_time_zone("America/Chicago");
  bad_shift.set_slots(0);
  pb::AddShiftResponse added;
  s = stub_->AddShift(Ctx(staff_).get(), bad_shift, &added);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("slots:"));
  bad_shift.set_slots(3);
  EXPECT_EQ(stub_->AddShift(Ctx(staff_).get(), bad_shift, &added).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(VolunteeringTest, TheLastThreeSlotsRacedByTwoHundredSignUpsTwentyTimesOver) {
  pb::Role role = Post(0, 50);
  constexpr int kRounds = 20, kCallers = 200, kSlots = 3;
  for (int round = 0; round < kRounds; ++round) {
    pb::Shift shift = AddShift(role.role_id(), kSlots);
    std::vector<std::string> members(kCallers);
    for (auto& m : members) m = hc::ids::NewUuid();
    std::latch go(kCallers);
    std::vector<pb::Signup> results(kCallers);
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < kCallers; ++i) {
      threads.emplace_back([&, i] {
        go.arrive_and_wait();
        if (!SignUp(members[i], shift.shift_id(), &results[i]).ok()) ++failures;
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures, 0) << "round " << round;
    int confirmed = 0;
    std::set<int> positions;
    for (const auto& r : results) {
      if (r.status() == pb::SIGNUP_STATUS_CONFIRMED) ++confirmed;
      if (r.status() == pb::SIGNUP_STATUS_WAITLISTED) positions.insert(r.waitlist_position());
    }
    ASSERT_EQ(confirmed, kSlots) << "round " << round;
    ASSERT_EQ(positions.size(), static_cast<size_t>(kCallers - kSlots));
    EXPECT_EQ(*positions.begin(), 1);
    EXPECT_EQ(*positions.rbegin(), kCallers - kSlots);
  }
}

TEST_F(VolunteeringTest, TwentyConcurrentWithdrawalsPromoteTwentyInFifoOrder) {
  pb::Role role = Post();
  pb::Shift shift = AddShift(role.role_id(), 20);
  std::vector<std::string> confirmed(20), line(30);
  for (auto& m : confirmed) {
    m = hc::ids::NewUuid();
    ASSERT_TRUE(SignUp(m, shift.shift_id()).ok());
  }
  for (auto& m : line) {
    m = hc::ids::NewUuid();
    ASSERT_TRUE(SignUp(m, shift.shift_id()).ok());
  }
  std::latch go(20);
  std::vector<std::thread> threads;
  for (const auto& m : confirmed) {
    threads.emplace_back([&, m] {
      go.arrive_and_wait();
      EXPECT_TRUE(Withdraw(m, shift.shift_id()).ok());
    });
  }
  for (auto& t : threads) t.join();
  auto promoted = Published(role.role_id(), 20, "alumni.volunteering.v1.VolunteerPromoted");
  ASSERT_EQ(promoted.size(), 20u);
  for (size_t i = 0; i < promoted.size(); ++i) {
    pb::VolunteerPromoted fact;
    ASSERT_TRUE(fact.ParseFromString(promoted[i].value));
    EXPECT_EQ(fact.member_id(), line[i]) << "promotion " << i << " out of line order";
  }
  pb::Signup tenth_left;
  ASSERT_TRUE(SignUp(line[25], shift.shift_id(), &tenth_left).ok());
  EXPECT_EQ(tenth_left.waitlist_position(), 6);
}

TEST_F(VolunteeringTest, OneMemberSigningUpForTenShiftsAtOnceGetsOnlyTheLimit) {
  pb::Role role = Post(0, 3);
  std::vector<pb::Shift> shifts;
  for (int i = 0; i < 10; ++i) {
    shifts.push_back(AddShift(role.role_id(), 5, Clock::now() + std::chrono::hours(72 + i)));
  }
  const std::string member = hc::ids::NewUuid();
  std::latch go(10);
  std::atomic<int> ok{0}, limited{0};
  std::vector<std::thread> threads;
  for (const auto& shift : shifts) {
    threads.emplace_back([&, id = shift.shift_id()] {
      go.arrive_and_wait();
      grpc::Status s = SignUp(member, id);
      if (s.ok()) ++ok;
      if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) ++limited;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(limited, 7);
  EXPECT_EQ(
      Query("SELECT count(*) FROM signups WHERE member_id = '" + member + "'")[0][0].as<int>(), 3);
}

TEST_F(VolunteeringTest, SoberTimeIsCheckedWithMembershipWithoutRevealingTheDate) {
  // A member sober for 40 days, registered in the real membership service.
  const auto sober_since =
      std::chrono::floor<std::chrono::days>(Clock::now()) - std::chrono::days(40);
  const std::chrono::year_month_day date{sober_since};
  mpb::RegisterMemberRequest reg;
  reg.set_first_name("Ana");
  reg.set_last_name("Lopez");
  reg.set_email(hc::testing::UniqueName("ana") + "@example.org");
  reg.set_time_zone("America/Denver");
  reg.mutable_sobriety_date()->set_year(static_cast<int>(date.year()));
  reg.mutable_sobriety_date()->set_month(static_cast<unsigned>(date.month()));
  reg.mutable_sobriety_date()->set_day(static_cast<unsigned>(date.day()));
  mpb::RegisterMemberResponse registered;
  ASSERT_TRUE(members_->RegisterMember(Ctx(staff_).get(), reg, &registered).ok());
  const std::string ana = registered.member().member_id();

  pb::Shift ninety = AddShift(Post(90).role_id(), 5);
  pb::Shift thirty = AddShift(Post(30).role_id(), 5);
  grpc::Status s = SignUp(ana, ninety.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(),
              ::testing::Not(HasSubstr(std::to_string(static_cast<int>(date.year())))));
  EXPECT_TRUE(SignUp(ana, thirty.shift_id()).ok());
  // Membership records the checks as disclosures, made by this service's own identity.
  pb::Shift open = AddShift(Post().role_id(), 5);

  // Membership away: UNAVAILABLE within the deadline, no worker hung; roles without a
  // requirement still take sign-ups.
  membership_->Shutdown();
  const auto start = std::chrono::steady_clock::now();
  s = SignUp(hc::ids::NewUuid(), ninety.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(SignUp(hc::ids::NewUuid(), open.shift_id()).ok());

  // Ops see how membership answered: the client metrics count the answers and the failure.
  const std::string metrics = hc::testing::HttpGet(app_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("grpc_client_handled_total{grpc_code=\"OK\","
                                 "grpc_method=\"CheckEligibility\","
                                 "grpc_service=\"alumni.membership.v1.MembershipService\""));
  EXPECT_THAT(metrics, HasSubstr("grpc_client_handled_total{grpc_code=\"Unavailable\","
                                 "grpc_method=\"CheckEligibility\","
                                 "grpc_service=\"alumni.membership.v1.MembershipService\""));
}

TEST_F(VolunteeringTest, WithdrawalsCloseAtTheCutOffAndSayWhen) {
  pb::Shift soon = AddShift(Post().role_id(), 2, Clock::now() + std::chrono::hours(3));
  const std::string member = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(member, soon.shift_id()).ok());
  grpc::Status s = Withdraw(member, soon.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("closed at"));
  EXPECT_EQ(Withdraw(hc::ids::NewUuid(), soon.shift_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(VolunteeringTest, ADeletedMembersSlotsAreFreedOnceAndTheLineMovesUp) {
  pb::Role role = Post();
  pb::Shift a = AddShift(role.role_id(), 1);
  pb::Shift b = AddShift(role.role_id(), 1, Clock::now() + std::chrono::hours(96));
  const std::string leaver = hc::ids::NewUuid(), next = hc::ids::NewUuid();
  for (const auto& shift : {a, b}) {
    ASSERT_TRUE(SignUp(leaver, shift.shift_id()).ok());
    ASSERT_TRUE(SignUp(next, shift.shift_id()).ok());
  }
  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  const std::string ce_id = hc::ids::NewUuid();
  PublishMembershipFact(leaver, deleted, ce_id);
  PublishMembershipFact(leaver, deleted, ce_id);  // redelivered
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Query("SELECT count(*) FROM signups WHERE member_id = '" + leaver + "'")[0][0]
                   .as<int>() == 0;
      },
      std::chrono::seconds(60)));
  auto promoted = Published(role.role_id(), 2, "alumni.volunteering.v1.VolunteerPromoted");
  EXPECT_EQ(promoted.size(), 2u);  // one per shift, though the fact came twice
  // The erased member signs up for nothing more, even with a token minted after the erasure.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a later whole second
  EXPECT_EQ(SignUp(leaver, a.shift_id()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(VolunteeringTest, UpdateRoleChangesOnlyTheMaskedFieldsAndTheCachedReadsFollow) {
  pb::Role role = Post(30, 4);
  pb::GetRoleRequest get;
  get.set_role_id(role.role_id());
  pb::GetRoleResponse got;
  ASSERT_TRUE(stub_->GetRole(Ctx(staff_).get(), get, &got).ok());           // cached now
  ASSERT_EQ(List({}).roles(0).details().title(), "Welcome table greeter");  // cached too

  pb::RoleDetails details;
  details.set_title("Door greeter");
  details.set_requires_approval(true);
  details.set_description("not in the mask: ignored");
  details.set_max_shifts_per_person(1);  // not in the mask either
  pb::Role updated;
  grpc::Status s = UpdateRole(role.role_id(), details, {"title", "requires_approval"}, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(updated.details().title(), "Door greeter");
  EXPECT_TRUE(updated.details().requires_approval());
  EXPECT_EQ(updated.details().description(), "");
  EXPECT_EQ(updated.details().max_shifts_per_person(), 4);
  EXPECT_EQ(updated.details().min_sober_days(), 30);
  EXPECT_EQ(updated.details().venue(), "Community hall");

  ASSERT_TRUE(stub_->GetRole(Ctx(staff_).get(), get, &got).ok());
  EXPECT_EQ(got.role().details().title(), "Door greeter") << "stale cached GetRole";
  EXPECT_EQ(List({}).roles(0).details().title(), "Door greeter") << "stale cached ListRoles";

  auto facts = Published(role.role_id(), 1, "alumni.volunteering.v1.RoleUpdated");
  ASSERT_EQ(facts.size(), 1u);
  pb::RoleUpdated fact;
  ASSERT_TRUE(fact.ParseFromString(facts[0].value));
  EXPECT_THAT(fact.changed_fields(), ::testing::ElementsAre("title", "requires_approval"));
  EXPECT_THAT(fact.tags(), ::testing::ElementsAre("peer-support"));
  EXPECT_TRUE(fact.requires_approval());

  // The mask must name known fields; a closed role is not changed.
  s = UpdateRole(role.role_id(), details, {});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("update_mask:"));
  s = UpdateRole(role.role_id(), details, {"title", "status"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("update_mask:"));
  s = UpdateRole(role.role_id(), details, {"venue", "online_url"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // neither set
  EXPECT_THAT(s.error_message(), HasSubstr("location:"));
  pb::CloseRoleRequest close;
  close.set_role_id(role.role_id());
  pb::CloseRoleResponse closed;
  ASSERT_TRUE(stub_->CloseRole(Ctx(staff_).get(), close, &closed).ok());
  EXPECT_EQ(UpdateRole(role.role_id(), details, {"title"}).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(UpdateRole(hc::ids::NewUuid(), details, {"title"}).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(VolunteeringTest, TagsMustBeInMembershipsCatalogueAndKeptOnesMayStayAfterRetirement) {
  const std::string tag =
      "trail-" + std::to_string(Clock::now().time_since_epoch().count() % 100000);
  grpc::Status s = PostWithTags({"hiking", tag});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("tags:"));
  EXPECT_THAT(s.error_message(), HasSubstr(tag));

  // Membership's catalogue answers: once the tag is added there, it is taken.
  ChangeCatalogue(tag, true);
  pb::Role with_tag, other;
  s = PostWithTags({"hiking", tag}, &with_tag);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(PostWithTags({"hiking"}, &other).ok());

  // Retired: a role that has it keeps it; nobody new may take it.
  ChangeCatalogue(tag, false);
  pb::RoleDetails details;
  details.add_tags(tag);
  details.add_tags("outdoors");
  pb::Role updated;
  s = UpdateRole(with_tag.role_id(), details, {"tags"}, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_THAT(updated.details().tags(), ::testing::ElementsAre(tag, "outdoors"));
  s = UpdateRole(other.role_id(), details, {"tags"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(tag));
  EXPECT_EQ(PostWithTags({tag}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VolunteeringTest, TagsAreUnavailableWithinTheDeadlineWhenMembershipIsAway) {
  pb::Role role = Post();
  membership_->Shutdown();
  auto start = std::chrono::steady_clock::now();
  grpc::Status s = PostWithTags({"hiking"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  pb::RoleDetails details;
  details.add_tags("peer-support");
  details.add_tags("hiking");
  start = std::chrono::steady_clock::now();
  s = UpdateRole(role.role_id(), details, {"tags"});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // Nothing to ask membership: no tags, or only the role's own.
  details.set_title("Greeter, mornings");
  details.clear_tags();
  details.add_tags("peer-support");
  EXPECT_TRUE(UpdateRole(role.role_id(), details, {"title", "tags"}).ok());
  EXPECT_TRUE(PostWithTags({}).ok());
}

// ListRoles is registered raw (the near-cache's bytes answer a hit as they are); these read
// the wire itself.
constexpr char kListRolesMethod[] = "/alumni.volunteering.v1.VolunteeringService/ListRoles";

TEST_F(VolunteeringTest, ANearCacheHitOfListRolesAnswersTheSameBytesAsTheMissThatLoadedIt) {
  for (int i = 0; i < 3; ++i) Post();
  pb::ListRolesRequest req;
  req.set_page_size(2);
  const std::string request = req.SerializeAsString();
  const std::string member = Token(hc::ids::NewUuid(), {"alumnus"});
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  // The first read loads from PostgreSQL; the near-cache fills from a later Redis hit.
  const auto [missed, hit, from_near_cache] = hc::testing::CallUntilNearCacheHit(
      channel, kListRolesMethod, request, member, app_->metrics_port(), "role");
  ASSERT_TRUE(from_near_cache) << "no ListRoles call was answered from the near-cache";
  EXPECT_EQ(hit, missed) << "a near-cache hit answered other bytes than the miss";
  pb::ListRolesResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(hit));
  EXPECT_EQ(parsed.roles_size(), 2);
  EXPECT_FALSE(parsed.next_page_token().empty());
}

TEST_F(VolunteeringTest, ANearCacheHitOfGetRoleAnswersTheSameBytesAsTheMissThatLoadedIt) {
  const pb::Role role = Post();
  pb::GetRoleRequest req;
  req.set_role_id(role.role_id());
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  const auto [missed, hit, from_near_cache] = hc::testing::CallUntilNearCacheHit(
      channel, "/alumni.volunteering.v1.VolunteeringService/GetRole", req.SerializeAsString(),
      Token(hc::ids::NewUuid(), {"alumnus"}), app_->metrics_port(), "role");
  ASSERT_TRUE(from_near_cache) << "no GetRole call was answered from the near-cache";
  EXPECT_EQ(hit, missed) << "a near-cache hit answered other bytes than the miss";
  pb::GetRoleResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(hit));
  EXPECT_EQ(parsed.role().role_id(), role.role_id());
}

TEST_F(VolunteeringTest, AMalformedListRolesRequestIsRefusedNamingTheField) {
  Post();
  const std::string member = Token(hc::ids::NewUuid(), {"alumnus"});
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->grpc_port()),
                                     grpc::InsecureChannelCredentials());
  for (int i = 0; i < 3; ++i) List({});  // cached
  auto call = [&](const std::string& bytes, const std::string& token) {
    return hc::testing::RawUnaryCall(channel, kListRolesMethod, bytes, token, nullptr);
  };
  pb::ListRolesRequest bad_tag;
  bad_tag.set_tag("Not A Tag!");
  grpc::Status s = call(bad_tag.SerializeAsString(), member);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("tag:"));
  pb::ListRolesRequest backwards;
  *backwards.mutable_shifts_from() = TimeUtil::SecondsToTimestamp(2000000000);
  *backwards.mutable_shifts_until() = TimeUtil::SecondsToTimestamp(1900000000);
  s = call(backwards.SerializeAsString(), member);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("shifts_until:"));
  // Bytes that are no ListRolesRequest at all: field 1 says 127 bytes follow, none do.
  s = call(std::string("\x0a\x7f", 2), member);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::StartsWith("request:"));
  // The cached page is never answered to a caller without a token.
  EXPECT_EQ(call(pb::ListRolesRequest().SerializeAsString(), "").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(VolunteeringTest, ListRolesCarriesScheduledShiftsAndFiltersByADateRange) {
  const auto now = Clock::now();
  const auto hours = [&](int h) { return now + std::chrono::hours(h); };
  pb::Role soon = Post(), later = Post(), bare = Post();
  pb::Shift a = AddShift(soon.role_id(), 2, hours(72));
  pb::Shift cancelled = AddShift(soon.role_id(), 2, hours(60));
  pb::Shift ended = AddShift(soon.role_id(), 2, hours(50));
  pb::Shift b = AddShift(soon.role_id(), 2, hours(96));
  pb::Shift c = AddShift(later.role_id(), 2, hours(240));
  Query("UPDATE shifts SET status = 2 WHERE shift_id = '" + cancelled.shift_id() + "'");
  Query(
      "UPDATE shifts SET starts_at = now() - interval '3 hours', ends_at = now() - interval "
      "'1 hour' WHERE shift_id = '" +
      ended.shift_id() + "'");
  // More than a listing shows of one role: 55 more shifts of `later`, after `c`.
  Query(
      "INSERT INTO shifts (role_id, starts_at, ends_at, time_zone, slots, created_at, updated_at) "
      "SELECT '" +
      later.role_id() +
      "', now() + make_interval(days => 20 + i), now() + make_interval(days => 20 + i, hours => "
      "1), 'America/Denver', 3, now(), now() FROM generate_series(1, 55) i");

  auto shift_ids = [](const pb::Role& r) {
    std::vector<std::string> ids;
    for (const auto& s : r.shifts()) ids.push_back(s.shift_id());
    return ids;
  };
  pb::ListRolesResponse all = List({});
  ASSERT_EQ(all.roles_size(), 3);  // newest first
  EXPECT_EQ(all.roles(0).role_id(), bare.role_id());
  EXPECT_EQ(all.roles(0).shifts_size(), 0);
  EXPECT_EQ(all.roles(1).role_id(), later.role_id());
  ASSERT_EQ(all.roles(1).shifts_size(), 50);
  EXPECT_EQ(all.roles(1).shifts(0).shift_id(), c.shift_id());
  EXPECT_EQ(all.roles(2).role_id(), soon.role_id());
  EXPECT_THAT(shift_ids(all.roles(2)), ::testing::ElementsAre(a.shift_id(), b.shift_id()));
  EXPECT_EQ(all.roles(2).shifts(0).slots_left(), 2);

  // [80 h, 300 h): b of `soon`, c of `later`; `bare` has none.
  pb::ListRolesRequest range;
  *range.mutable_shifts_from() = At(hours(80));
  *range.mutable_shifts_until() = At(hours(300));
  range.set_page_size(1);
  pb::ListRolesResponse first = List(range);
  ASSERT_EQ(first.roles_size(), 1);
  EXPECT_EQ(first.roles(0).role_id(), later.role_id());
  EXPECT_THAT(shift_ids(first.roles(0)), ::testing::ElementsAre(c.shift_id()));
  ASSERT_FALSE(first.next_page_token().empty());

  // The token is bound to the range: replayed with another one it is refused.
  pb::ListRolesRequest other = range;
  other.set_page_token(first.next_page_token());
  *other.mutable_shifts_until() = At(hours(400));
  grpc::Status s;
  List(other, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token:"));
  other.clear_shifts_until();
  List(other, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  range.set_page_token(first.next_page_token());
  pb::ListRolesResponse second = List(range);
  ASSERT_EQ(second.roles_size(), 1);
  EXPECT_EQ(second.roles(0).role_id(), soon.role_id());
  EXPECT_THAT(shift_ids(second.roles(0)), ::testing::ElementsAre(b.shift_id()));
  EXPECT_TRUE(second.next_page_token().empty());

  // Only a lower bound: from 100 h on, `soon` has nothing left.
  pb::ListRolesRequest from_only;
  *from_only.mutable_shifts_from() = At(hours(100));
  pb::ListRolesResponse tail = List(from_only);
  ASSERT_EQ(tail.roles_size(), 1);
  EXPECT_EQ(tail.roles(0).role_id(), later.role_id());

  pb::ListRolesRequest backwards;
  *backwards.mutable_shifts_from() = At(hours(80));
  *backwards.mutable_shifts_until() = At(hours(80));
  List(backwards, &s);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("shifts_until:"));

  // A shift added later shows up through the (invalidated) cached listing.
  AddShift(bare.role_id(), 1, hours(90));
  range.clear_page_token();
  range.set_page_size(10);
  EXPECT_EQ(List(range).roles_size(), 3);
}

TEST_F(VolunteeringTest, APendingSignUpIsApprovedIntoASlotThenTheLineOrDeclined) {
  pb::Role role = Post(0, 0, /*requires_approval=*/true);
  pb::Shift shift = AddShift(role.role_id(), 1);
  const std::string ana = hc::ids::NewUuid(), ben = hc::ids::NewUuid(), cara = hc::ids::NewUuid();
  pb::Signup g;
  for (const auto& m : {ana, ana, ben, cara}) {  // ana twice: idempotent
    ASSERT_TRUE(SignUp(m, shift.shift_id(), &g).ok());
    EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_PENDING_APPROVAL);
  }
  pb::Shift now = ShiftNow(role.role_id());
  EXPECT_EQ(now.pending_count(), 3);
  EXPECT_EQ(now.slots_left(), 1);  // pending takes no slot
  pb::ListMySignupsResponse mine;
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(ana, {})).get(), {}, &mine).ok());
  ASSERT_EQ(mine.signups_size(), 1);
  EXPECT_EQ(mine.signups(0).signup().status(), pb::SIGNUP_STATUS_PENDING_APPROVAL);

  EXPECT_EQ(Review(true, ana, shift.shift_id(), nullptr, Token(ben, {"alumnus"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Review(true, ana, shift.shift_id(), &g).ok());
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_CONFIRMED);
  ASSERT_TRUE(Review(true, ana, shift.shift_id(), &g).ok());  // as it stands
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_CONFIRMED);
  ASSERT_TRUE(Review(true, ben, shift.shift_id(), &g).ok());
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_WAITLISTED);
  EXPECT_EQ(g.waitlist_position(), 1);
  ASSERT_TRUE(Review(false, cara, shift.shift_id(), &g).ok());
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_DECLINED);
  ASSERT_TRUE(Review(false, cara, shift.shift_id(), &g).ok());  // as it stands
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_DECLINED);

  // A decline is final for the shift; approvals are not undone by a decline.
  EXPECT_EQ(SignUp(cara, shift.shift_id()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Review(true, cara, shift.shift_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Review(false, ana, shift.shift_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Review(true, hc::ids::NewUuid(), shift.shift_id()).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Review(false, ana, hc::ids::NewUuid()).error_code(), grpc::StatusCode::NOT_FOUND);

  now = ShiftNow(role.role_id());  // no stale cached read
  EXPECT_EQ(now.pending_count(), 0);
  EXPECT_EQ(now.confirmed_count(), 1);
  EXPECT_EQ(now.waitlist_count(), 1);

  auto approved = Published(role.role_id(), 2, "alumni.volunteering.v1.SignupApproved");
  ASSERT_EQ(approved.size(), 2u);
  pb::SignupApproved first, second;
  ASSERT_TRUE(first.ParseFromString(approved[0].value));
  ASSERT_TRUE(second.ParseFromString(approved[1].value));
  EXPECT_EQ(first.member_id(), ana);
  EXPECT_EQ(first.status(), pb::SIGNUP_STATUS_CONFIRMED);
  EXPECT_EQ(second.member_id(), ben);
  EXPECT_EQ(second.status(), pb::SIGNUP_STATUS_WAITLISTED);
  auto declined = Published(role.role_id(), 1, "alumni.volunteering.v1.SignupDeclined");
  ASSERT_EQ(declined.size(), 1u);
  pb::SignupDeclined no;
  ASSERT_TRUE(no.ParseFromString(declined[0].value));
  EXPECT_EQ(no.member_id(), cara);
  EXPECT_EQ(Published(role.role_id(), 1, "alumni.volunteering.v1.RoleFilled").size(), 1u);
  auto signed_up = Published(role.role_id(), 3, "alumni.volunteering.v1.VolunteerSignedUp");
  ASSERT_EQ(signed_up.size(), 3u);
  for (const auto& m : signed_up) {
    pb::VolunteerSignedUp fact;
    ASSERT_TRUE(fact.ParseFromString(m.value));
    EXPECT_EQ(fact.status(), pb::SIGNUP_STATUS_PENDING_APPROVAL);
  }

  // A coordinator's own pending sign-up is answered by another coordinator.
  const std::string coordinator = hc::ids::NewUuid();
  const std::string coordinator_token = Token(coordinator, {"coordinator"});
  pb::SignUpRequest own;
  own.set_shift_id(shift.shift_id());
  pb::SignUpResponse own_answer;
  ASSERT_TRUE(stub_->SignUp(Ctx(coordinator_token).get(), own, &own_answer).ok());
  EXPECT_EQ(own_answer.signup().status(), pb::SIGNUP_STATUS_PENDING_APPROVAL);
  EXPECT_EQ(Review(true, coordinator, shift.shift_id(), nullptr, coordinator_token).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Review(false, coordinator, shift.shift_id(), nullptr, coordinator_token).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Review(true, coordinator, shift.shift_id(), &g).ok());  // another coordinator
}

// Eligibility is asked before the sign-up's transaction; a requirement raised in between wins.
TEST_F(VolunteeringTest, ASignUpCheckedForLessSoberTimeThanTheRoleNowAsksIsAborted) {
  pb::Role role = Post(90, 0);
  pb::Shift shift = AddShift(role.role_id(), 3);
  hc::postgres::Pool pool({.url = db_.url(), .size = 1});
  facts::Recorder recorder(topic_);
  storage::RoleStore store(pool, recorder);
  const auto now = std::chrono::time_point_cast<std::chrono::milliseconds>(Clock::now());
  auto stale = store.SignUp(shift.shift_id(), hc::ids::NewUuid(), /*checked_sober_days=*/30, now);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted) << stale.status();
  EXPECT_TRUE(store.SignUp(shift.shift_id(), hc::ids::NewUuid(), 90, now).ok());
}

TEST_F(VolunteeringTest, APendingSignUpWithdrawsInsideTheCutOffAndEndedShiftsTakeNoApproval) {
  pb::Role role = Post(0, 0, /*requires_approval=*/true);
  // Inside the 24-hour cut-off: confirmed sign-ups could no longer withdraw.
  pb::Shift soon = AddShift(role.role_id(), 2, Clock::now() + std::chrono::hours(3));
  const std::string ana = hc::ids::NewUuid(), ben = hc::ids::NewUuid(), cara = hc::ids::NewUuid();
  for (const auto& m : {ana, ben, cara}) ASSERT_TRUE(SignUp(m, soon.shift_id()).ok());
  ASSERT_TRUE(Withdraw(ana, soon.shift_id()).ok());
  EXPECT_EQ(ShiftNow(role.role_id()).pending_count(), 2);
  pb::ListMySignupsResponse mine;
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(ana, {})).get(), {}, &mine).ok());
  EXPECT_EQ(mine.signups_size(), 0);

  Query("UPDATE shifts SET status = 2 WHERE shift_id = '" + soon.shift_id() + "'");
  grpc::Status s = Review(true, ben, soon.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("cancelled"));
  Query("UPDATE shifts SET status = 1, starts_at = now() - interval '1 minute' WHERE shift_id = '" +
        soon.shift_id() + "'");
  s = Review(true, cara, soon.shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("started"));
  EXPECT_EQ(Query("SELECT count(*) FROM signups WHERE shift_id = '" + soon.shift_id() +
                  "' AND status = 4")[0][0]
                .as<int>(),
            2);
}

TEST_F(VolunteeringTest, TheLastThreeSlotsRacedByFiftyConcurrentApprovals) {
  pb::Role role = Post(0, 50, /*requires_approval=*/true);
  constexpr int kPending = 50, kSlots = 3;
  pb::Shift shift = AddShift(role.role_id(), kSlots);
  std::vector<std::string> members(kPending);
  for (auto& m : members) {
    m = hc::ids::NewUuid();
    ASSERT_TRUE(SignUp(m, shift.shift_id()).ok());
  }
  std::latch go(kPending);
  const auto burst = std::chrono::steady_clock::now();
  std::vector<pb::Signup> results(kPending);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPending; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      if (!Review(true, members[i], shift.shift_id(), &results[i]).ok()) ++failures;
    });
  }
  for (auto& t : threads) t.join();
  RecordProperty("approvals_ms",
                 std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - burst)
                                    .count()));
  ASSERT_EQ(failures, 0);
  std::map<std::string, pb::Signup> by_member;
  int confirmed = 0;
  std::set<int> positions;
  for (const auto& r : results) {
    by_member[r.member_id()] = r;
    if (r.status() == pb::SIGNUP_STATUS_CONFIRMED) ++confirmed;
    if (r.status() == pb::SIGNUP_STATUS_WAITLISTED) positions.insert(r.waitlist_position());
  }
  EXPECT_EQ(confirmed, kSlots);
  ASSERT_EQ(positions.size(), static_cast<size_t>(kPending - kSlots));
  EXPECT_EQ(*positions.begin(), 1);
  EXPECT_EQ(*positions.rbegin(), kPending - kSlots);
  // Lock order is the order of the facts (the outbox numbers them under the shift's lock): the
  // first three approvals took the slots, and each later one the next place in line.
  auto approved = Published(role.role_id(), kPending, "alumni.volunteering.v1.SignupApproved");
  ASSERT_EQ(approved.size(), static_cast<size_t>(kPending));
  for (int i = 0; i < kPending; ++i) {
    pb::SignupApproved fact;
    ASSERT_TRUE(fact.ParseFromString(approved[i].value));
    const pb::Signup& answer = by_member[fact.member_id()];
    EXPECT_EQ(fact.status(), answer.status()) << "approval " << i;
    if (i < kSlots) {
      EXPECT_EQ(answer.status(), pb::SIGNUP_STATUS_CONFIRMED) << "approval " << i;
    } else {
      EXPECT_EQ(answer.waitlist_position(), i - kSlots + 1) << "approval " << i;
    }
  }
  pb::Shift now = ShiftNow(role.role_id());
  EXPECT_EQ(now.confirmed_count(), kSlots);
  EXPECT_EQ(now.waitlist_count(), kPending - kSlots);
  EXPECT_EQ(now.pending_count(), 0);
}

TEST_F(VolunteeringTest, PendingSignUpsCountTowardThePerPersonLimit) {
  pb::Role role = Post(0, 2, /*requires_approval=*/true);
  std::vector<pb::Shift> shifts;
  for (int i = 0; i < 3; ++i) {
    shifts.push_back(AddShift(role.role_id(), 5, Clock::now() + std::chrono::hours(72 + i)));
  }
  const std::string member = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(member, shifts[0].shift_id()).ok());
  ASSERT_TRUE(SignUp(member, shifts[1].shift_id()).ok());
  grpc::Status s = SignUp(member, shifts[2].shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("the most one person may"));
  // A declined sign-up no longer holds a place.
  ASSERT_TRUE(Review(false, member, shifts[0].shift_id()).ok());
  pb::Signup g;
  ASSERT_TRUE(SignUp(member, shifts[2].shift_id(), &g).ok());
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_PENDING_APPROVAL);
}

TEST_F(VolunteeringTest, ListVolunteersShowsConfirmedThenTheLineThenPendingWithNames) {
  pb::Role role = Post(0, 0, /*requires_approval=*/true);
  pb::Shift shift = AddShift(role.role_id(), 1);
  std::vector<std::string> m;
  for (const char* first : {"Ana", "Ben", "Cara", "Dev", "Eli"}) m.push_back(Register(first, "Q"));
  // Ben hides his name in lists.
  mpb::UpdatePrivacyRequest privacy;
  privacy.set_member_id(m[1]);
  privacy.mutable_privacy()->set_directory_visibility(mpb::DIRECTORY_VISIBILITY_HIDDEN);
  privacy.mutable_privacy()->set_hide_name_in_lists(true);
  mpb::UpdatePrivacyResponse privacy_saved;
  grpc::Status s =
      members_->UpdatePrivacy(Ctx(Token(m[1], {"alumnus"})).get(), privacy, &privacy_saved);
  ASSERT_TRUE(s.ok()) << s.error_message();
  for (const auto& id : m) ASSERT_TRUE(SignUp(id, shift.shift_id()).ok());
  ASSERT_TRUE(Review(true, m[0], shift.shift_id()).ok());  // the slot
  ASSERT_TRUE(Review(true, m[2], shift.shift_id()).ok());  // line 1
  ASSERT_TRUE(Review(true, m[1], shift.shift_id()).ok());  // line 2

  auto list = [&](const std::string& token, int page_size, const std::string& page_token,
                  pb::ListVolunteersResponse* out) {
    pb::ListVolunteersRequest req;
    req.set_shift_id(shift.shift_id());
    req.set_page_size(page_size);
    req.set_page_token(page_token);
    return stub_->ListVolunteers(Ctx(token).get(), req, out);
  };
  std::vector<pb::Volunteer> seen;
  std::string token;
  int pages = 0;
  do {
    pb::ListVolunteersResponse page;
    s = list(staff_, 2, token, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_FALSE(page.names_unavailable());
    seen.insert(seen.end(), page.volunteers().begin(), page.volunteers().end());
    token = page.next_page_token();
  } while (!token.empty() && ++pages < 10);
  ASSERT_EQ(seen.size(), 5u);
  const std::vector<std::string> order = {m[0], m[2], m[1], m[3], m[4]};
  const std::vector<pb::SignupStatus> statuses = {
      pb::SIGNUP_STATUS_CONFIRMED, pb::SIGNUP_STATUS_WAITLISTED, pb::SIGNUP_STATUS_WAITLISTED,
      pb::SIGNUP_STATUS_PENDING_APPROVAL, pb::SIGNUP_STATUS_PENDING_APPROVAL};
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].signup().member_id(), order[i]) << i;
    EXPECT_EQ(seen[i].signup().status(), statuses[i]) << i;
  }
  EXPECT_EQ(seen[1].signup().waitlist_position(), 1);
  EXPECT_EQ(seen[2].signup().waitlist_position(), 2);
  EXPECT_THAT(seen[0].display_name(), HasSubstr("Ana"));
  EXPECT_THAT(seen[1].display_name(), HasSubstr("Cara"));
  EXPECT_TRUE(seen[2].display_name().empty());  // Ben
  EXPECT_TRUE(seen[2].name_hidden());
  EXPECT_FALSE(seen[0].name_hidden());

  pb::ListVolunteersResponse refused;
  EXPECT_EQ(list(Token(m[0], {"alumnus"}), 2, "", &refused).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  pb::ListVolunteersResponse first_page;
  ASSERT_TRUE(list(staff_, 2, "", &first_page).ok());
  pb::ListVolunteersRequest other;
  other.set_shift_id(AddShift(role.role_id(), 1).shift_id());
  other.set_page_token(first_page.next_page_token());
  EXPECT_EQ(stub_->ListVolunteers(Ctx(staff_).get(), other, &refused).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  other.set_shift_id(hc::ids::NewUuid());
  other.clear_page_token();
  EXPECT_EQ(stub_->ListVolunteers(Ctx(staff_).get(), other, &refused).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Membership away: the whole list still, without names, flagged, within the deadline.
  membership_->Shutdown();
  const auto start = std::chrono::steady_clock::now();
  pb::ListVolunteersResponse without;
  s = list(staff_, 10, "", &without);
  ASSERT_TRUE(s.ok()) << s.error_message();
  const auto took = std::chrono::steady_clock::now() - start;
  RecordProperty(
      "without_membership_ms",
      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(without.names_unavailable());
  ASSERT_EQ(without.volunteers_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(without.volunteers(i).signup().member_id(), order[i]);
    EXPECT_TRUE(without.volunteers(i).display_name().empty());
  }
}

TEST_F(VolunteeringTest, ADeletedMembersPendingSignUpGoesAndThePendingCountFollows) {
  pb::Role role = Post(0, 0, /*requires_approval=*/true);
  pb::Shift shift = AddShift(role.role_id(), 2);
  const std::string leaver = hc::ids::NewUuid(), stays = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(leaver, shift.shift_id()).ok());
  ASSERT_TRUE(SignUp(stays, shift.shift_id()).ok());
  alumni::membership::v1::MemberDeleted deleted;
  deleted.set_member_id(leaver);
  *deleted.mutable_deleted_at() = TimeUtil::GetCurrentTime();
  PublishMembershipFact(leaver, deleted, hc::ids::NewUuid());
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] {
        return Query("SELECT count(*) FROM signups WHERE member_id = '" + leaver + "'")[0][0]
                   .as<int>() == 0;
      },
      std::chrono::seconds(60)));
  EXPECT_EQ(ShiftNow(role.role_id()).pending_count(), 1);
  EXPECT_EQ(Review(true, leaver, shift.shift_id()).error_code(), grpc::StatusCode::NOT_FOUND);
  pb::Signup g;
  ASSERT_TRUE(Review(true, stays, shift.shift_id(), &g).ok());
  EXPECT_EQ(g.status(), pb::SIGNUP_STATUS_CONFIRMED);
}

TEST_F(VolunteeringTest, ThePerPersonLimitCountsOnlyShiftsThatHaveNotEnded) {
  const pb::Role role = Post(/*min_sober_days=*/0, /*max_shifts=*/2);
  std::vector<pb::Shift> shifts;
  for (int i = 0; i < 5; ++i) {
    shifts.push_back(AddShift(role.role_id(), 3, Clock::now() + std::chrono::hours(72 + 24 * i)));
  }
  const std::string regular = hc::ids::NewUuid();
  ASSERT_TRUE(SignUp(regular, shifts[0].shift_id()).ok());
  ASSERT_TRUE(SignUp(regular, shifts[1].shift_id()).ok());
  EXPECT_EQ(SignUp(regular, shifts[2].shift_id()).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Last week's two shifts have happened: they no longer hold a place in the limit.
  Query(
      "UPDATE shifts SET starts_at = now() - interval '7 days', ends_at = now() - interval '7 "
      "days' + interval '2 hours' WHERE shift_id IN ('" +
      shifts[0].shift_id() + "', '" + shifts[1].shift_id() + "')");

  grpc::Status s = SignUp(regular, shifts[2].shift_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = SignUp(regular, shifts[3].shift_id());
  EXPECT_TRUE(s.ok()) << s.error_message();
  s = SignUp(regular, shifts[4].shift_id());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << "two current shifts again";
  EXPECT_THAT(s.error_message(), HasSubstr("you hold 2 current shifts"));

  // Their list shows what is coming; the ended shifts only on request (to log hours), and a
  // token of one listing is refused by the other.
  pb::ListMySignupsRequest list;
  pb::ListMySignupsResponse mine;
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(regular, {})).get(), list, &mine).ok());
  EXPECT_EQ(mine.signups_size(), 2);
  list.set_include_past(true);
  list.set_page_size(3);
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(regular, {})).get(), list, &mine).ok());
  ASSERT_EQ(mine.signups_size(), 3);
  EXPECT_EQ(mine.signups(0).shift().shift_id(), shifts[0].shift_id());  // ended: soonest first
  ASSERT_FALSE(mine.next_page_token().empty());
  list.set_page_token(mine.next_page_token());
  ASSERT_TRUE(stub_->ListMySignups(Ctx(Token(regular, {})).get(), list, &mine).ok());
  EXPECT_EQ(mine.signups_size(), 1);
  list.set_include_past(false);
  EXPECT_EQ(stub_->ListMySignups(Ctx(Token(regular, {})).get(), list, &mine).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(VolunteeringTest, GetRoleShowsShiftsThatHaveNotEndedFirstThenTheLatestEnded) {
  const pb::Role role = Post();
  const pb::Shift upcoming = AddShift(role.role_id(), 2);
  // Seven months of a daily role's shifts, all ended (as AddShift calls then time would leave).
  Query(
      "INSERT INTO shifts (role_id, starts_at, ends_at, time_zone, slots, created_at, "
      "updated_at) SELECT '" +
      role.role_id() +
      "', now() - make_interval(days => n), now() - make_interval(days => n, hours => -2), "
      "'America/Denver', 2, now() - interval '1 year', now() FROM generate_series(1, 205) n");

  pb::GetRoleRequest get;
  get.set_role_id(role.role_id());
  pb::GetRoleResponse got;
  grpc::Status s = stub_->GetRole(Ctx(staff_).get(), get, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(got.role().shifts_size(), 200);
  EXPECT_EQ(got.role().shifts(0).shift_id(), upcoming.shift_id()) << "the upcoming shift first";
  const auto start = [&](int i) {
    return TimeUtil::TimestampToMilliseconds(got.role().shifts(i).start_time());
  };
  const int64_t day_ms = 24 * 3600 * 1000;
  EXPECT_NEAR(start(1), TimeUtil::TimestampToMilliseconds(TimeUtil::GetCurrentTime()) - day_ms,
              60 * 1000)
      << "then the shift that ended last";
  for (int i = 2; i < 200; ++i) ASSERT_LT(start(i), start(i - 1)) << "ended ones newest first";
}

// ListVolunteers flags names_unavailable on any failure of this client; a membership that
// accepts the connection and never answers must fail it within the deadline, not hang a worker.
TEST(MembershipDisplayNames, ASilentMembershipIsUnavailableWithinTheDeadline) {
  const int silent = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(silent, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(silent, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(listen(silent, 16), 0);  // the kernel accepts; nobody ever answers
  ASSERT_EQ(getsockname(silent, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  members::MembershipDisplayNames names(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                          grpc::InsecureChannelCredentials()),
      {.service = "volunteering",
       .jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"}},
      std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto got = names.Get({hc::ids::NewUuid()});
  const auto took = std::chrono::steady_clock::now() - start;
  close(silent);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(took, std::chrono::milliseconds(250));  // it did wait: the peer was silent
  EXPECT_LT(took, std::chrono::seconds(2));
}

}  // namespace
}  // namespace volunteering
