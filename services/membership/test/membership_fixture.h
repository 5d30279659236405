// The in-process membership fixture shared by the integration tests: the real gRPC server,
// a fresh PostgreSQL database, a private Redis and the test stack's Kafka.
#pragma once

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "alumni/membership/v1/membership_events.pb.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/testing/testing.h"
#include "services/membership/src/app.h"

namespace membership::testing {

namespace pb = alumni::membership::v1;
using ::testing::HasSubstr;

const std::string kSecret = "membership-integration-test-secret-0123456789";

class MembershipTest : public ::testing::Test {
 protected:
  void SetUp() override { StartApp(hc::testing::KafkaBrokers()); }

  void StartApp(const std::string& brokers, const hc::kafka::Security& security = {}) {
    ASSERT_TRUE(hc::kafka::EnsureTopics(brokers, {"alumni.membership.v1"}, 3,
                                        std::chrono::seconds(30), security)
                    .ok());
    redis_.Start();
    Settings s;
    s.service.server.address = "127.0.0.1:0";
    s.service.metrics_address = "127.0.0.1:0";
    s.service.database_url = db_.url();
    s.service.redis_address = redis_.address();
    s.service.kafka_brokers = brokers;
    s.service.kafka_security = security;
    s.service.jwt = {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"};
    s.service.workers = 8;
    s.data_key_hex = std::string(64, 'c');
    app_ = std::make_unique<App>(s);
    ASSERT_TRUE(app_->Start().ok());
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->grpc_port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = pb::MembershipService::NewStub(channel_);
  }

  void TearDown() override {
    if (app_) app_->Shutdown();
  }

  static std::string Token(const std::string& subject, std::vector<std::string> roles) {
    return *hc::auth::Mint({.algorithm = "HS256",
                            .key = kSecret,
                            .issuer = "hc-test",
                            .subject = subject,
                            .roles = std::move(roles)});
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
    return ctx;
  }

  static pb::RegisterMemberRequest NewMember(const std::string& email) {
    pb::RegisterMemberRequest r;
    r.set_first_name("Ana");
    r.set_last_name("Martinez");
    r.set_email(email);
    r.set_phone("+15551234567");
    r.set_program(pb::PROGRAM_IOP);
    r.mutable_sobriety_date()->set_year(2025);
    r.mutable_sobriety_date()->set_month(3);
    r.mutable_sobriety_date()->set_day(14);
    r.add_interests("hiking");
    r.set_time_zone("America/Chicago");
    return r;
  }

  pb::Member Register(const std::string& email) {
    pb::RegisterMemberResponse resp;
    grpc::Status s = stub_->RegisterMember(Ctx(coordinator_).get(), NewMember(email), &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.member();
  }

  grpc::Status Get(const std::string& token, const std::string& id, pb::Member* out = nullptr) {
    pb::GetMemberRequest req;
    req.set_member_id(id);
    pb::GetMemberResponse resp;
    grpc::Status s = stub_->GetMember(Ctx(token).get(), req, &resp);
    if (out) *out = resp.member();
    return s;
  }

  hc::testing::TestDatabase db_;
  hc::testing::RedisServer redis_;
  std::unique_ptr<App> app_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::MembershipService::Stub> stub_;
  std::string coordinator_ = Token("coordinator-1", {"coordinator"});
};

}  // namespace membership::testing
