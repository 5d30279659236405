// membership end to end in one process: the real gRPC server, PostgreSQL, Redis and Kafka.
#include <pqxx/pqxx>

#include "libs/ids/ids.h"
#include "services/membership/test/membership_fixture.h"

namespace membership {
namespace {

using namespace membership::testing;  // NOLINT: the fixture and its names
using ::testing::HasSubstr;

TEST_F(MembershipTest, RegisterThenReadBackAndMemberRegisteredReachesKafka) {
  const std::string email = hc::testing::UniqueName("ana") + "@example.org";
  pb::Member created = Register(email);
  ASSERT_FALSE(created.member_id().empty());
  EXPECT_EQ(created.display_name(), "Ana M.");
  EXPECT_EQ(created.email(), email);

  pb::Member read;
  ASSERT_TRUE(Get(Token(created.member_id(), {"alumnus"}), created.member_id(), &read).ok());
  EXPECT_EQ(read.email(), email);
  EXPECT_EQ(read.sobriety_date().day(), 14);
  EXPECT_EQ(read.time_zone(), "America/Chicago");
  EXPECT_EQ(read.version(), 1);

  auto messages = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 1, std::chrono::seconds(30),
      [&](const hc::kafka::Message& m) { return m.key == created.member_id(); });
  ASSERT_EQ(messages.size(), 1u);
  const auto& m = messages[0];
  EXPECT_EQ(m.Header("ce_type"), "alumni.membership.v1.MemberRegistered");
  EXPECT_EQ(m.Header("ce_source"), "/homecoming/membership");
  EXPECT_EQ(m.Header("ce_specversion"), "1.0");
  EXPECT_EQ(m.Header("content-type"), "application/protobuf");
  EXPECT_FALSE(m.Header("ce_id").empty());
  EXPECT_FALSE(m.Header("ce_time").empty());
  pb::MemberRegistered event;
  ASSERT_TRUE(event.ParseFromString(m.value));
  EXPECT_EQ(event.member_id(), created.member_id());
  // Nothing personal on Kafka.
  EXPECT_EQ(m.value.find(email), std::string::npos);
  EXPECT_EQ(m.value.find("+15551234567"), std::string::npos);
  EXPECT_EQ(m.value.find("Martinez"), std::string::npos);
}

TEST_F(MembershipTest, CallsWithoutAValidTokenAreUnauthenticated) {
  pb::Member created = Register(hc::testing::UniqueName("u") + "@example.org");
  EXPECT_EQ(Get("", created.member_id()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  std::string forged = *hc::auth::Mint({.algorithm = "HS256",
                                        .key = "not-the-secret-but-long-enough-000000",
                                        .issuer = "hc-test",
                                        .subject = created.member_id()});
  EXPECT_EQ(Get(forged, created.member_id()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // alg=none: header {"alg":"none"}, claims for this member, empty signature.
  std::string real = Token(created.member_id(), {"admin"});
  std::string none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0" + real.substr(real.find('.'));
  none = none.substr(0, none.rfind('.') + 1);
  EXPECT_EQ(Get(none, created.member_id()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MembershipTest, MembersSeeAndChangeOnlyThemselves) {
  pb::Member a = Register(hc::testing::UniqueName("a") + "@example.org");
  pb::Member b = Register(hc::testing::UniqueName("b") + "@example.org");
  const std::string a_token = Token(a.member_id(), {"alumnus"});
  EXPECT_EQ(Get(a_token, b.member_id()).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  pb::UpdateProfileRequest update;
  update.set_member_id(b.member_id());
  update.mutable_member()->set_display_name("hijacked");
  update.mutable_update_mask()->add_paths("display_name");
  pb::UpdateProfileResponse resp;
  EXPECT_EQ(stub_->UpdateProfile(Ctx(a_token).get(), update, &resp).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  pb::RegisterMemberResponse reg;
  EXPECT_EQ(
      stub_->RegisterMember(Ctx(a_token).get(), NewMember("x@example.org"), &reg).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Staff may read anyone, but not how to reach them or since when they are sober.
  pb::Member seen;
  ASSERT_TRUE(Get(coordinator_, b.member_id(), &seen).ok());
  EXPECT_EQ(seen.display_name(), "Ana M.");
  EXPECT_TRUE(seen.email().empty());
  EXPECT_TRUE(seen.phone().empty());
  EXPECT_FALSE(seen.has_sobriety_date());
  // The member themself sees everything, also after the staff read cached the profile.
  ASSERT_TRUE(Get(Token(b.member_id(), {}), b.member_id(), &seen).ok());
  EXPECT_FALSE(seen.email().empty());
  EXPECT_FALSE(seen.phone().empty());
  EXPECT_TRUE(seen.has_sobriety_date());
  // Staff again, now a cache hit (answered from the cached bytes on gRPC's thread): the same
  // profile less the same fields.
  pb::Member again;
  ASSERT_TRUE(Get(coordinator_, b.member_id(), &again).ok());
  EXPECT_EQ(again.display_name(), "Ana M.");
  EXPECT_EQ(again.member_id(), b.member_id());
  EXPECT_TRUE(again.email().empty());
  EXPECT_TRUE(again.phone().empty());
  EXPECT_FALSE(again.has_sobriety_date());
  EXPECT_EQ(again.interests_size(), seen.interests_size());
  EXPECT_EQ(again.version(), seen.version());
}

TEST_F(MembershipTest, BadInputIsInvalidArgumentNamingTheField) {
  auto register_error = [&](auto mutate) {
    pb::RegisterMemberRequest r = NewMember(hc::testing::UniqueName("v") + "@example.org");
    mutate(r);
    pb::RegisterMemberResponse resp;
    grpc::Status s = stub_->RegisterMember(Ctx(coordinator_).get(), r, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    return s.error_message();
  };
  EXPECT_THAT(register_error([](auto& r) { r.set_first_name(""); }), HasSubstr("first_name:"));
  EXPECT_THAT(register_error([](auto& r) { r.set_email("not-an-email"); }), HasSubstr("email:"));
  EXPECT_THAT(register_error([](auto& r) { r.set_time_zone("Nowhere/Land"); }),
              HasSubstr("time_zone:"));
  EXPECT_THAT(register_error([](auto& r) { r.set_last_name(std::string(200, 'x')); }),
              HasSubstr("last_name:"));
  EXPECT_THAT(register_error([](auto& r) { r.add_interests("NOT OK"); }), HasSubstr("interests:"));
  EXPECT_EQ(Get(coordinator_, "not-a-uuid").error_message(), "member_id: must be a UUID");

  pb::UpdateProfileRequest update;
  pb::Member me = Register(hc::testing::UniqueName("m") + "@example.org");
  update.set_member_id(me.member_id());
  update.mutable_update_mask()->add_paths("email");
  pb::UpdateProfileResponse resp;
  grpc::Status s = stub_->UpdateProfile(Ctx(Token(me.member_id(), {})).get(), update, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("update_mask:"));
}

TEST_F(MembershipTest, InterestsComeFromTheCoordinatorsCatalogue) {
  const std::string member = Token(hc::ids::NewUuid(), {"alumnus"});
  auto tags = [&] {
    pb::ListInterestTagsResponse resp;
    grpc::Status s = stub_->ListInterestTags(Ctx(member).get(), {}, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return std::vector<std::string>(resp.tags().begin(), resp.tags().end());
  };
  auto change = [&](const std::string& token, const std::string& tag, bool add) {
    if (add) {
      pb::AddInterestTagRequest req;
      req.set_tag(tag);
      pb::AddInterestTagResponse resp;
      return stub_->AddInterestTag(Ctx(token).get(), req, &resp);
    }
    pb::RetireInterestTagRequest req;
    req.set_tag(tag);
    pb::RetireInterestTagResponse resp;
    return stub_->RetireInterestTag(Ctx(token).get(), req, &resp);
  };
  auto register_with = [&](std::vector<std::string> interests) {
    pb::RegisterMemberRequest r = NewMember(hc::testing::UniqueName("tag") + "@example.org");
    r.clear_interests();
    for (const auto& i : interests) r.add_interests(i);
    pb::RegisterMemberResponse resp;
    grpc::Status s = stub_->RegisterMember(Ctx(coordinator_).get(), r, &resp);
    return std::make_pair(s, resp.member());
  };
  // A default catalogue is there from the start.
  EXPECT_THAT(tags(), ::testing::IsSupersetOf({"hiking", "yoga", "art", "music", "cooking",
                                               "volunteering", "meditation", "running"}));
  // Free text a member could write a date into is refused, naming the field, not echoed.
  auto [free_text, unused] = register_with({"hiking", "sober-since-1998-04-17"});
  EXPECT_EQ(free_text.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(free_text.error_message(), HasSubstr("interests:"));
  EXPECT_EQ(free_text.error_message().find("1998"), std::string::npos);

  // Only coordinators and admins keep the catalogue.
  EXPECT_EQ(change(member, "birding", true).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(change(coordinator_, "Bird Watching", true).error_message(), HasSubstr("tag:"));
  ASSERT_TRUE(change(coordinator_, "birding", true).ok());
  ASSERT_TRUE(change(coordinator_, "birding", true).ok());  // idempotent
  EXPECT_THAT(tags(), ::testing::Contains("birding"));
  auto [with_birding, birder] = register_with({"birding", "art"});
  ASSERT_TRUE(with_birding.ok()) << with_birding.error_message();

  // Retired: gone from the list and refused for new choices; whoever has it keeps it.
  ASSERT_TRUE(change(Token("admin-1", {"admin"}), "birding", false).ok());
  EXPECT_THAT(tags(), ::testing::Not(::testing::Contains("birding")));
  EXPECT_EQ(register_with({"birding"}).first.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  pb::UpdateProfileRequest update;
  update.set_member_id(birder.member_id());
  update.mutable_member()->add_interests("birding");
  update.mutable_member()->add_interests("yoga");
  update.mutable_update_mask()->add_paths("interests");
  pb::UpdateProfileResponse updated;
  grpc::Status kept =
      stub_->UpdateProfile(Ctx(Token(birder.member_id(), {})).get(), update, &updated);
  ASSERT_TRUE(kept.ok()) << kept.error_message();
  EXPECT_THAT(updated.member().interests(), ::testing::ElementsAre("birding", "yoga"));
  update.mutable_member()->add_interests("made-up");
  EXPECT_EQ(
      stub_->UpdateProfile(Ctx(Token(birder.member_id(), {})).get(), update, &updated).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(change(coordinator_, "never-was", false).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MembershipTest, AnOversizedRequestIsRefused) {
  pb::RegisterMemberRequest r = NewMember("big@example.org");
  r.set_first_name(std::string(100 * 1024, 'x'));
  pb::RegisterMemberResponse resp;
  EXPECT_EQ(stub_->RegisterMember(Ctx(coordinator_).get(), r, &resp).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST_F(MembershipTest, ASecondRegistrationWithTheSameEmailIsAlreadyExists) {
  const std::string email = hc::testing::UniqueName("dup") + "@example.org";
  Register(email);
  pb::RegisterMemberRequest again = NewMember(email);
  again.set_email("  " + email.substr(0, 1) + email.substr(1) + " ");
  pb::RegisterMemberResponse resp;
  grpc::Status s = stub_->RegisterMember(Ctx(coordinator_).get(), again, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("email:"));
}

TEST_F(MembershipTest, UpdateProfileIsSeenAtOnceDespiteTheCacheAndIsPublished) {
  pb::Member me = Register(hc::testing::UniqueName("c") + "@example.org");
  const std::string token = Token(me.member_id(), {"alumnus"});
  ASSERT_TRUE(Get(token, me.member_id()).ok());  // now cached
  pb::UpdateProfileRequest update;
  update.set_member_id(me.member_id());
  update.mutable_member()->set_last_name("Lopez");
  update.mutable_member()->add_interests("art");
  update.mutable_update_mask()->add_paths("last_name");
  update.mutable_update_mask()->add_paths("interests");
  pb::UpdateProfileResponse resp;
  ASSERT_TRUE(stub_->UpdateProfile(Ctx(token).get(), update, &resp).ok());
  EXPECT_EQ(resp.member().display_name(), "Ana L.");
  EXPECT_EQ(resp.member().version(), 2);

  pb::Member read;
  ASSERT_TRUE(Get(token, me.member_id(), &read).ok());
  EXPECT_EQ(read.last_name(), "Lopez");
  EXPECT_EQ(read.version(), 2);

  auto messages = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(30),
      [&](const hc::kafka::Message& m) { return m.key == me.member_id(); });
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].Header("ce_type"), "alumni.membership.v1.MemberProfileUpdated");
  pb::MemberProfileUpdated event;
  ASSERT_TRUE(event.ParseFromString(messages[1].value));
  EXPECT_THAT(event.changed_fields(),
              ::testing::UnorderedElementsAre("last_name", "display_name", "interests"));
  // The new set of interests itself, for consumers that project them.
  EXPECT_THAT(event.interests(), ::testing::ElementsAre("art"));
  EXPECT_EQ(messages[1].value.find("Lopez"), std::string::npos);
}

// A consumer of the topic must not learn that something private changed: no event for it, and
// no gap in the version of the next MemberProfileUpdated.
TEST_F(MembershipTest, ProfileUpdatedVersionsHaveNoGapsFromPrivateChanges) {
  pb::Member me = Register(hc::testing::UniqueName("gap") + "@example.org");
  const std::string token = Token(me.member_id(), {"alumnus"});
  auto update = [&](const std::string& path, auto set) {
    pb::UpdateProfileRequest req;
    req.set_member_id(me.member_id());
    set(*req.mutable_member());
    req.mutable_update_mask()->add_paths(path);
    pb::UpdateProfileResponse resp;
    grpc::Status s = stub_->UpdateProfile(Ctx(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << path << ": " << s.error_message();
  };
  update("phone", [](pb::Member& m) { m.set_phone("+15559876543"); });
  update("program", [](pb::Member& m) { m.set_program(pb::PROGRAM_OP); });
  update("sobriety_date", [](pb::Member& m) {
    m.mutable_sobriety_date()->set_year(2025);
    m.mutable_sobriety_date()->set_month(6);
    m.mutable_sobriety_date()->set_day(1);
  });
  update("time_zone", [](pb::Member& m) { m.set_time_zone("Europe/Dublin"); });
  pb::UpdatePrivacyRequest privacy;
  privacy.set_member_id(me.member_id());
  privacy.mutable_privacy()->set_directory_visibility(pb::DIRECTORY_VISIBILITY_ALUMNI);
  pb::UpdatePrivacyResponse privacy_resp;
  ASSERT_TRUE(stub_->UpdatePrivacy(Ctx(token).get(), privacy, &privacy_resp).ok());
  update("phone", [](pb::Member& m) { m.set_phone("+15551112222"); });
  update("last_name", [](pb::Member& m) { m.set_last_name("Quinn"); });

  auto messages = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 2, std::chrono::seconds(30),
      [&](const hc::kafka::Message& m) {
        return m.key == me.member_id() &&
               m.Header("ce_type") == "alumni.membership.v1.MemberProfileUpdated";
      });
  ASSERT_EQ(messages.size(), 2u);
  std::vector<int64_t> versions;
  for (const auto& m : messages) {
    pb::MemberProfileUpdated event;
    ASSERT_TRUE(event.ParseFromString(m.value));
    versions.push_back(event.version());
    for (const auto& field : event.changed_fields()) {
      EXPECT_TRUE(field != "phone" && field != "program" && field != "sobriety_date") << field;
    }
  }
  EXPECT_EQ(versions, (std::vector<int64_t>{2, 3}));
}

TEST_F(MembershipTest, GetMemberStillAnswersWithRedisStopped) {
  pb::Member me = Register(hc::testing::UniqueName("r") + "@example.org");
  const std::string token = Token(me.member_id(), {"alumnus"});
  ASSERT_TRUE(Get(token, me.member_id()).ok());
  redis_.Stop();
  pb::Member read;
  grpc::Status s = Get(token, me.member_id(), &read);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(read.member_id(), me.member_id());
  // Writes go on too, and the next read is fresh.
  pb::UpdateProfileRequest update;
  update.set_member_id(me.member_id());
  update.mutable_member()->set_time_zone("Europe/Dublin");
  update.mutable_update_mask()->add_paths("time_zone");
  pb::UpdateProfileResponse resp;
  ASSERT_TRUE(stub_->UpdateProfile(Ctx(token).get(), update, &resp).ok());
  ASSERT_TRUE(Get(token, me.member_id(), &read).ok());
  EXPECT_EQ(read.time_zone(), "Europe/Dublin");
}

TEST_F(MembershipTest, HealthIsServingAndMetricsCountTheCalls) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(&ctx, {}, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  pb::Member me = Register(hc::testing::UniqueName("h") + "@example.org");
  ASSERT_TRUE(Get(coordinator_, me.member_id()).ok());
  std::string metrics = hc::testing::HttpGet(app_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("grpc_server_handled_total{grpc_code=\"OK\","
                                 "grpc_method=\"GetMember\","
                                 "grpc_service=\"alumni.membership.v1.MembershipService\","
                                 "grpc_type=\"unary\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("hc_outbox_backlog"));
  EXPECT_THAT(metrics, HasSubstr("hc_cache_requests_total"));
  // No personal data in metrics.
  EXPECT_EQ(metrics.find("@example.org"), std::string::npos);
}

// The foundation issue's fault test, through the real API: the broker goes away, 100 members
// register, the broker comes back; every event arrives once, in order per member.
class MembershipBrokerDownTest : public MembershipTest {
 protected:
  void SetUp() override {
    broker_.Start();
    StartApp(broker_.brokers());
  }
  hc::testing::KafkaBroker broker_;
};

TEST_F(MembershipBrokerDownTest, HundredRegistrationsWhileTheBrokerIsDownAllArriveOnce) {
  broker_.Stop();
  std::set<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    pb::Member m = Register(hc::testing::UniqueName("down" + std::to_string(i)) + "@example.org");
    ASSERT_FALSE(m.member_id().empty());
    ids.insert(m.member_id());
    if (i % 10 == 0) {
      // Some of them change their profile too, so a key has more than one event.
      pb::UpdateProfileRequest update;
      update.set_member_id(m.member_id());
      update.mutable_member()->set_time_zone("Europe/Dublin");
      update.mutable_update_mask()->add_paths("time_zone");
      pb::UpdateProfileResponse resp;
      ASSERT_TRUE(stub_->UpdateProfile(Ctx(Token(m.member_id(), {})).get(), update, &resp).ok());
    }
  }
  broker_.Start();
  auto messages = hc::testing::ReadTopic(broker_.brokers(), "alumni.membership.v1", 110,
                                         std::chrono::seconds(90));
  ASSERT_EQ(messages.size(), 110u);
  std::set<std::string> ce_ids;
  std::map<std::string, std::vector<std::string>> types_by_key;
  for (const auto& m : messages) {
    EXPECT_TRUE(ce_ids.insert(m.Header("ce_id")).second) << "duplicate ce_id";
    EXPECT_TRUE(ids.contains(m.key));
    types_by_key[m.key].push_back(m.Header("ce_type"));
  }
  EXPECT_EQ(types_by_key.size(), 100u);
  for (const auto& [key, types] : types_by_key) {
    ASSERT_FALSE(types.empty());
    EXPECT_EQ(types.front(), "alumni.membership.v1.MemberRegistered") << key;
    if (types.size() == 2) {
      EXPECT_EQ(types[1], "alumni.membership.v1.MemberProfileUpdated");
    }
  }
}

}  // namespace
}  // namespace membership

namespace membership {
namespace {

TEST_F(MembershipTest, EveryListRpcAnswersAnEmptyRequest) {
  pb::SearchDirectoryResponse found;
  grpc::Status s =
      stub_->SearchDirectory(Ctx(Token(hc::ids::NewUuid(), {"alumnus"})).get(), {}, &found);
  EXPECT_TRUE(s.ok()) << s.error_message();
  pb::ListDisclosuresResponse disclosures;
  s = stub_->ListDisclosures(Ctx(Token(hc::ids::NewUuid(), {})).get(), {}, &disclosures);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("member_id"));
}

TEST_F(MembershipTest, ARevokedRoleRefusesTheMembersEarlierTokensAtOnce) {
  pb::Member m = Register(hc::testing::UniqueName("r") + "@example.org");
  const std::string admin = Token("admin-1", {"admin"});
  pb::AssignRoleRequest assign;
  assign.set_member_id(m.member_id());
  assign.set_role(pb::ROLE_COORDINATOR);
  pb::AssignRoleResponse assigned;
  ASSERT_TRUE(stub_->AssignRole(Ctx(admin).get(), assign, &assigned).ok());
  const std::string as_coordinator = Token(m.member_id(), {"coordinator"});
  ASSERT_TRUE(Get(as_coordinator, m.member_id()).ok());  // remembered by the verifier now

  pb::RevokeRoleRequest revoke;
  revoke.set_member_id(m.member_id());
  revoke.set_role(pb::ROLE_COORDINATOR);
  pb::RevokeRoleResponse revoked;
  ASSERT_TRUE(stub_->RevokeRole(Ctx(admin).get(), revoke, &revoked).ok());
  EXPECT_EQ(Get(as_coordinator, m.member_id()).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  pqxx::connection conn(db_.url());
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM token_revocations WHERE subject = $1 AND NOT "
                            "erased",
                            m.member_id())[0]
                .as<int>(),
            1);
  // The admin and other members are untouched.
  EXPECT_TRUE(Get(admin, m.member_id()).ok());
}

// A managed Kafka is reached over mTLS: the service knows only the stack's SSL listener and
// its client certificate, so the fact can reach the topic only through a TLS-authenticated relay.
class MembershipOverMtlsTest : public MembershipTest {
 protected:
  void SetUp() override {
    StartApp(hc::testing::KafkaSslBrokers(), hc::testing::KafkaSslSecurity());
  }
};

TEST_F(MembershipOverMtlsTest, TheRelayPublishesASignUpOverMutualTls) {
  pb::Member created = Register(hc::testing::UniqueName("tls") + "@example.org");
  ASSERT_FALSE(created.member_id().empty());
  // Read back through the plaintext listener of the same broker.
  auto messages = hc::testing::ReadTopic(
      hc::testing::KafkaBrokers(), "alumni.membership.v1", 1, std::chrono::seconds(30),
      [&](const hc::kafka::Message& m) { return m.key == created.member_id(); });
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].Header("ce_type"), "alumni.membership.v1.MemberRegistered");
}

}  // namespace
}  // namespace membership
