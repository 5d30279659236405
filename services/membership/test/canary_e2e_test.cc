// The real membership binary as a child process: a canary member worked through every RPC
// must leak nowhere (logs, Kafka, Redis, /metrics); replicas racing the milestone job announce
// each milestone once; a process killed while its relay publishes loses no event.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <thread>

#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/auth/auth.h"
#include "libs/kafka/consumer.h"
#include "libs/postgres/migrations.h"
#include "libs/testing/testing.h"

namespace membership {
namespace {

namespace pb = alumni::membership::v1;

const std::string kSecret = "canary-e2e-test-secret-0123456789abcdef";
const std::string kCanaryEmail = "canary.q7zx@example.org";
const std::string kCanaryPhone = "+15550007391";
const std::string kNewPhone = "+15550008462";
// Every spelling of the canary's secrets that a leak could take.
const std::vector<std::string> kSecrets = {"canary.q7zx", "Canary.Q7zx", "5550007391",
                                           "5550008462",  "1998-04-17",  "19980417",
                                           "1998/04/17",  "04/17/1998"};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string RedisDump(const std::string& address) {
  auto colon = address.rfind(':');
  redisContext* ctx =
      redisConnect(address.substr(0, colon).c_str(), std::stoi(address.substr(colon + 1)));
  std::string out;
  for (const auto& key : hc::testing::RedisKeys(address, "*")) {
    out += key + "\n";
    auto* reply = static_cast<redisReply*>(redisCommand(ctx, "GET %s", key.c_str()));
    if (reply && reply->type == REDIS_REPLY_STRING) out.append(reply->str, reply->len);
    if (reply) freeReplyObject(reply);
  }
  redisFree(ctx);
  return out;
}

void ExpectNoSecrets(const std::string& where, const std::string& text) {
  for (const auto& secret : kSecrets) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " leaked into " << where;
  }
}

// Finished runs of a replica's milestone job, from its /metrics (-1 when it can't be read).
double MilestoneRuns(int metrics_port) {
  const std::string metrics = hc::testing::HttpGet(metrics_port, "/metrics");
  const std::string series = "hc_membership_milestone_runs_total{result=\"ok\"} ";
  const auto at = metrics.find(series);
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size()));
}

// Waits until the replica's milestone job has finished `runs` more runs.
bool WaitForMilestoneRuns(int metrics_port, int runs) {
  double start = -1;
  if (!hc::testing::WaitFor([&] { return (start = MilestoneRuns(metrics_port)) >= 0; },
                            std::chrono::seconds(30))) {
    return false;
  }
  return hc::testing::WaitFor([&] { return MilestoneRuns(metrics_port) >= start + runs; },
                              std::chrono::seconds(60));
}

class MembershipProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_.Start();
    ASSERT_TRUE(
        hc::kafka::EnsureTopics(brokers_, {"alumni.membership.v1"}, 3, std::chrono::seconds(30))
            .ok());
    const std::string dir = "/tmp/" + hc::testing::UniqueName("hc-canary");
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/jwt.key") << kSecret;
    std::ofstream(dir + "/data.key") << std::string(64, 'd');
    dir_ = dir;
    log_ = dir + "/membership.log";
    const hc::testing::ServingPorts ports = StartReplica(process_, log_);
    grpc_port_ = ports.grpc;
    metrics_port_ = ports.metrics;
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(grpc_port_),
                                   grpc::InsecureChannelCredentials());
    ASSERT_TRUE(
        channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(30)))
        << ReadFile(log_);
    stub_ = pb::MembershipService::NewStub(channel_);
  }

  // One membership process on the test's database, Redis and Kafka, serving on ports it picks
  // itself (port 0: no other process can take them first); returns them once it serves.
  hc::testing::ServingPorts StartReplica(hc::testing::ChildProcess& process,
                                         const std::string& log) {
    for (const auto& [name, value] : std::map<std::string, std::string>{
             {"HC_GRPC_ADDR", "127.0.0.1:0"},
             {"HC_METRICS_ADDR", "127.0.0.1:0"},
             {"HC_DATABASE_URL", db_.url()},
             {"HC_REDIS_ADDR", redis_.address()},
             {"HC_KAFKA_BROKERS", brokers_},
             {"HC_JWT_KEY_FILE", dir_ + "/jwt.key"},
             {"HC_JWT_ISSUER", "hc-canary"},
             {"HC_DATA_KEY_FILE", dir_ + "/data.key"},
             {"HC_LOG_LEVEL", "debug"},
             {"HC_MILESTONE_INTERVAL_SECONDS", "1"},
         }) {
      setenv(name.c_str(), value.c_str(), 1);
    }
    process.Start({HC_MEMBERSHIP_BINARY}, log);
    auto ports = hc::testing::WaitForServing(process, log, std::chrono::seconds(60));
    EXPECT_TRUE(ports.ok()) << ports.status();
    return ports.ok() ? *ports : hc::testing::ServingPorts{};
  }

  void TearDown() override { process_.Stop(); }

  static std::string Token(const std::string& sub, std::vector<std::string> roles) {
    return *hc::auth::Mint({.algorithm = "HS256",
                            .key = kSecret,
                            .issuer = "hc-canary",
                            .subject = sub,
                            .roles = std::move(roles)});
  }

  template <typename Call>
  grpc::Status Rpc(const std::string& token, Call call) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + token);
    return call(ctx);
  }

  hc::testing::TestDatabase db_;
  hc::testing::RedisServer redis_;
  std::string brokers_ = hc::testing::KafkaBrokers();
  std::string dir_;
  std::string log_;
  int grpc_port_ = 0, metrics_port_ = 0;
  hc::testing::ChildProcess process_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::MembershipService::Stub> stub_;
};

TEST_F(MembershipProcessTest, TheCanarysSecretsLeakNowhere) {
  const std::string staff = Token("staff-1", {"coordinator"});
  const std::string service = Token("notifications", {"service"});
  const std::string volunteering = Token("volunteering", {"service"});
  pb::RegisterMemberRequest reg;
  reg.set_first_name("Canary");
  reg.set_last_name("Bird");
  reg.set_email("  Canary.Q7zx@Example.org ");
  reg.set_phone(kCanaryPhone);
  reg.set_program(pb::PROGRAM_IOP);
  reg.mutable_sobriety_date()->set_year(1998);
  reg.mutable_sobriety_date()->set_month(4);
  reg.mutable_sobriety_date()->set_day(17);
  reg.add_interests("hiking");
  reg.set_time_zone("America/Chicago");
  pb::RegisterMemberResponse reg_resp;
  ASSERT_TRUE(Rpc(staff, [&](auto& c) { return stub_->RegisterMember(&c, reg, &reg_resp); }).ok());
  const std::string id = reg_resp.member().member_id();
  EXPECT_EQ(reg_resp.member().email(), kCanaryEmail);
  const std::string me = Token(id, {"alumnus"});

  // The same email again, and malformed input built from the canary's data: errors must not
  // echo what was sent.
  pb::RegisterMemberResponse ignored;
  EXPECT_EQ(
      Rpc(staff, [&](auto& c) { return stub_->RegisterMember(&c, reg, &ignored); }).error_code(),
      grpc::StatusCode::ALREADY_EXISTS);
  pb::RegisterMemberRequest bad = reg;
  bad.set_email("canary.q7zx@");
  bad.set_phone("5550007391");
  grpc::Status invalid =
      Rpc(staff, [&](auto& c) { return stub_->RegisterMember(&c, bad, &ignored); });
  EXPECT_EQ(invalid.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  ExpectNoSecrets("an error message", invalid.error_message());

  pb::GetMemberRequest get;
  get.set_member_id(id);
  pb::GetMemberResponse got;
  for (int i = 0; i < 3; ++i) {  // miss, then hits
    ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->GetMember(&c, get, &got); }).ok());
  }
  EXPECT_EQ(got.member().phone(), kCanaryPhone);

  pb::UpdateProfileRequest update;
  update.set_member_id(id);
  update.mutable_member()->set_phone(kNewPhone);
  update.mutable_update_mask()->add_paths("phone");
  pb::UpdateProfileResponse updated;
  ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->UpdateProfile(&c, update, &updated); }).ok());
  ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->GetMember(&c, get, &got); }).ok());

  pb::UpdatePrivacyRequest privacy;
  privacy.set_member_id(id);
  privacy.mutable_privacy()->set_directory_visibility(pb::DIRECTORY_VISIBILITY_ALUMNI);
  privacy.mutable_privacy()->add_visible_fields(pb::DIRECTORY_FIELD_FULL_NAME);
  privacy.mutable_privacy()->set_celebrate_milestones(true);
  pb::UpdatePrivacyResponse privacy_resp;
  ASSERT_TRUE(
      Rpc(me, [&](auto& c) { return stub_->UpdatePrivacy(&c, privacy, &privacy_resp); }).ok());

  pb::UpdateConsentRequest consent;
  consent.set_member_id(id);
  consent.set_channel(pb::CONTACT_CHANNEL_SMS);
  consent.set_granted(true);
  pb::UpdateConsentResponse consent_resp;
  ASSERT_TRUE(
      Rpc(me, [&](auto& c) { return stub_->UpdateConsent(&c, consent, &consent_resp); }).ok());

  pb::SearchDirectoryRequest search;
  search.set_name_prefix("can");
  pb::SearchDirectoryResponse found;
  ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->SearchDirectory(&c, search, &found); }).ok());
  EXPECT_EQ(found.entries_size(), 1);

  pb::GetContactRequest contact;
  contact.set_member_id(id);
  contact.set_purpose("notifications.reminder");
  pb::GetContactResponse contact_resp;
  ASSERT_TRUE(
      Rpc(service, [&](auto& c) { return stub_->GetContact(&c, contact, &contact_resp); }).ok());
  pb::CheckEligibilityRequest eligibility;
  eligibility.set_member_id(id);
  eligibility.set_min_sober_days(365);
  eligibility.set_purpose("volunteering.signup");
  pb::CheckEligibilityResponse eligible;
  ASSERT_TRUE(Rpc(volunteering, [&](auto& c) {
                return stub_->CheckEligibility(&c, eligibility, &eligible);
              }).ok());
  EXPECT_EQ(eligible.eligibility(), pb::ELIGIBILITY_YES);
  pb::ListDisclosuresRequest disclosures;
  disclosures.set_member_id(id);
  pb::ListDisclosuresResponse disclosed;
  ASSERT_TRUE(
      Rpc(me, [&](auto& c) { return stub_->ListDisclosures(&c, disclosures, &disclosed); }).ok());
  EXPECT_EQ(disclosed.disclosures_size(), 2);

  pb::AssignRoleRequest role;
  role.set_member_id(id);
  role.set_role(pb::ROLE_PEER_MENTOR);
  pb::AssignRoleResponse role_resp;
  ASSERT_TRUE(Rpc(Token("admin-1", {"admin"}), [&](auto& c) {
                return stub_->AssignRole(&c, role, &role_resp);
              }).ok());

  // The milestone job (every second here) has looked at the canary at least twice.
  ASSERT_TRUE(WaitForMilestoneRuns(metrics_port_, 2));
  ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->GetMember(&c, get, &got); }).ok());
  const std::string metrics = hc::testing::HttpGet(metrics_port_, "/metrics");
  const std::string redis = RedisDump(redis_.address());
  ASSERT_NE(redis.find(id), std::string::npos) << "the workout should have cached the canary";

  {
    // Program (treatment level) is health data: no plain column holds it, only a sealed value
    // bound to the row.
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto row = tx.exec_params1(
        "SELECT program, program_sealed, to_jsonb(m) - 'program_sealed' - 'email_sealed' - "
        "'phone_sealed' - 'sobriety_sealed' - 'email_fingerprint' FROM members m "
        "WHERE member_id = $1",
        id);
    EXPECT_EQ(row[0].as<int>(), 0) << "program in the clear";
    const std::string sealed = pqxx::binarystring(row[1]).str();
    EXPECT_GT(sealed.size(), 24u);
    ExpectNoSecrets("the members row", row[2].as<std::string>());
  }

  pb::DeleteMemberRequest del;
  del.set_member_id(id);
  pb::DeleteMemberResponse deleted;
  ASSERT_TRUE(Rpc(me, [&](auto& c) { return stub_->DeleteMember(&c, del, &deleted); }).ok());

  auto messages =
      hc::testing::ReadTopic(brokers_, "alumni.membership.v1", 5, std::chrono::seconds(30),
                             [&](const hc::kafka::Message& m) { return m.key == id; });
  // Registered, privacy, consent, role, deleted. The phone change is private: not announced.
  EXPECT_GE(messages.size(), 5u);
  std::string kafka;
  for (const auto& m : messages) {
    EXPECT_NE(m.Header("ce_type"), "alumni.membership.v1.MemberProfileUpdated");
    kafka += m.key + m.value;
    for (const auto& [name, value] : m.headers) kafka += name + value;
  }
  process_.Stop();
  const std::string logs = ReadFile(log_);
  ASSERT_NE(logs.find("membership serving gRPC"), std::string::npos) << "no log captured";

  ExpectNoSecrets("the logs", logs);
  ExpectNoSecrets("Kafka", kafka);
  ExpectNoSecrets("Redis", redis + RedisDump(redis_.address()));
  ExpectNoSecrets("/metrics", metrics);
  EXPECT_NE(metrics.find("grpc_server_handled_total"), std::string::npos);
}

// The milestone job of two membership processes racing on one database: every milestone is
// announced once.
TEST_F(MembershipProcessTest, TwoReplicasAnnounceEachMilestoneOnce) {
  const std::string staff = Token("staff-1", {"coordinator"});
  auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  std::chrono::year_month_day sober{today - std::chrono::days{90}};
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    pb::RegisterMemberRequest reg;
    reg.set_first_name("Mile");
    reg.set_email("mile" + std::to_string(i) + "@example.org");
    reg.set_time_zone("UTC");
    reg.mutable_sobriety_date()->set_year(static_cast<int>(sober.year()));
    reg.mutable_sobriety_date()->set_month(static_cast<int>(static_cast<unsigned>(sober.month())));
    reg.mutable_sobriety_date()->set_day(static_cast<int>(static_cast<unsigned>(sober.day())));
    pb::RegisterMemberResponse resp;
    ASSERT_TRUE(Rpc(staff, [&](auto& c) { return stub_->RegisterMember(&c, reg, &resp); }).ok());
    ids.push_back(resp.member().member_id());
  }
  // A second replica, then everyone opts in at once: both jobs (every second) see them.
  hc::testing::ChildProcess second;
  const int second_metrics_port = StartReplica(second, dir_ + "/second.log").metrics;
  for (const auto& id : ids) {
    pb::UpdatePrivacyRequest privacy;
    privacy.set_member_id(id);
    privacy.mutable_privacy()->set_directory_visibility(pb::DIRECTORY_VISIBILITY_HIDDEN);
    privacy.mutable_privacy()->set_celebrate_milestones(true);
    pb::UpdatePrivacyResponse resp;
    ASSERT_TRUE(
        Rpc(Token(id, {}), [&](auto& c) { return stub_->UpdatePrivacy(&c, privacy, &resp); }).ok());
  }
  std::set<std::string> wanted(ids.begin(), ids.end());
  auto milestones = hc::testing::ReadTopic(
      brokers_, "alumni.membership.v1", ids.size(), std::chrono::seconds(30),
      [&](const hc::kafka::Message& m) {
        return wanted.contains(m.key) &&
               m.Header("ce_type") == "alumni.membership.v1.SobrietyMilestoneReached";
      });
  // Several more job rounds on both replicas, then count again.
  ASSERT_TRUE(WaitForMilestoneRuns(metrics_port_, 3));
  ASSERT_TRUE(WaitForMilestoneRuns(second_metrics_port, 3));
  second.Stop();
  milestones = hc::testing::ReadTopic(brokers_, "alumni.membership.v1", ids.size(),
                                      std::chrono::seconds(30), [&](const hc::kafka::Message& m) {
                                        return wanted.contains(m.key) &&
                                               m.Header("ce_type") ==
                                                   "alumni.membership.v1.SobrietyMilestoneReached";
                                      });
  ASSERT_EQ(milestones.size(), ids.size());
  std::set<std::string> once;
  for (const auto& m : milestones) EXPECT_TRUE(once.insert(m.key).second) << "twice: " << m.key;
  EXPECT_NE(ReadFile(dir_ + "/second.log").find("membership serving gRPC"), std::string::npos);
}

// kill -9 in the middle of publishing: the restarted relay sends what was not acknowledged;
// nothing is lost, and a consumer's inbox absorbs what went twice.
TEST_F(MembershipProcessTest, AProcessKilledWhilePublishingLosesNoEvent) {
  const std::string staff = Token("staff-1", {"coordinator"});
  // The checking consumer reads only what this test produces, not the topic's history.
  const std::string group = hc::testing::UniqueName("crash-consumer");
  hc::testing::StartGroupAtEnd(brokers_, group, "alumni.membership.v1");
  constexpr int kMembers = 300;
  std::vector<std::thread> threads;
  std::atomic<int> registered{0};
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      auto stub = pb::MembershipService::NewStub(channel_);
      for (int i = t; i < kMembers; i += 6) {
        pb::RegisterMemberRequest reg;
        reg.set_first_name("Crash");
        reg.set_email("crash" + std::to_string(i) + "@example.org");
        reg.set_time_zone("UTC");
        pb::RegisterMemberResponse resp;
        if (Rpc(staff, [&](auto& c) { return stub->RegisterMember(&c, reg, &resp); }).ok()) {
          ++registered;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(registered, kMembers);
  process_.Signal(SIGKILL);
  process_.Wait(std::chrono::seconds(10));
  pqxx::connection conn(db_.url());
  auto count = [&](const std::string& sql) {
    pqxx::nontransaction tx(conn);
    return tx.exec1(sql)[0].as<int>();
  };
  const int unpublished_at_kill = count("SELECT count(*) FROM outbox WHERE published_at IS NULL");

  hc::testing::ChildProcess restarted;
  StartReplica(restarted, dir_ + "/restart.log");
  ASSERT_TRUE(hc::testing::WaitFor(
      [&] { return count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; },
      std::chrono::seconds(60)))
      << ReadFile(dir_ + "/restart.log");

  // Every registration's event reached the topic at least once...
  std::set<std::string> expected_ids;
  {
    pqxx::nontransaction tx(conn);
    for (const auto& row : tx.exec("SELECT id::text FROM outbox")) {
      expected_ids.insert(row[0].as<std::string>());
    }
  }
  ASSERT_EQ(expected_ids.size(), static_cast<size_t>(kMembers));
  auto messages = hc::testing::ReadTopic(
      brokers_, "alumni.membership.v1", kMembers, std::chrono::seconds(60),
      [&](const hc::kafka::Message& m) { return expected_ids.contains(m.Header("ce_id")); });
  std::map<std::string, int> seen;
  for (const auto& m : messages) ++seen[m.Header("ce_id")];
  EXPECT_EQ(seen.size(), expected_ids.size()) << "lost events";
  int duplicates = static_cast<int>(messages.size() - seen.size());
  std::cout << "killed with " << unpublished_at_kill << " rows unacknowledged; " << duplicates
            << " sent twice after the restart\n";

  // ...and a consumer with the inbox applies each exactly once.
  hc::testing::TestDatabase consumer_db("consumer");
  ASSERT_TRUE(
      hc::postgres::Migrate(consumer_db.url(),
                            {hc::kafka::Consumer::InboxMigration(),
                             {"0001_applied", "CREATE TABLE applied (ce_id text NOT NULL)"}})
          .ok());
  hc::postgres::Pool pool({.url = consumer_db.url()});
  prometheus::Registry registry;
  hc::kafka::Consumer consumer(
      {.brokers = brokers_,
       .group_id = group,
       .topics = {"alumni.membership.v1"},
       .service = "membership-test"},
      pool,
      [&](hc::postgres::Tx& tx, const hc::kafka::Message& m) {
        if (expected_ids.contains(m.Header("ce_id"))) {
          tx.exec_params("INSERT INTO applied VALUES ($1)", m.Header("ce_id"));
        }
        return absl::OkStatus();
      },
      registry);
  ASSERT_TRUE(consumer.Start().ok());
  pqxx::connection consumer_conn(consumer_db.url());
  auto applied = [&](const std::string& sql) {
    pqxx::nontransaction tx(consumer_conn);
    return tx.exec1(sql)[0].as<int>();
  };
  EXPECT_TRUE(
      hc::testing::WaitFor([&] { return applied("SELECT count(*) FROM applied") == kMembers; },
                           std::chrono::seconds(60)));
  consumer.Stop();
  EXPECT_EQ(applied("SELECT count(DISTINCT ce_id) FROM applied"), kMembers);
  EXPECT_EQ(applied("SELECT count(*) FROM applied"), kMembers);
  restarted.Stop();
}

}  // namespace
}  // namespace membership
