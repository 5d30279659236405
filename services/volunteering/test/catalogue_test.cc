// The interest catalogue client against a fake membership in process: what it remembers, when
// it asks again, and how it fails.
#include "services/volunteering/src/members/catalogue.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "services/volunteering/src/members/eligibility.h"

namespace volunteering::members {
namespace {

namespace mpb = alumni::membership::v1;
using std::chrono::seconds;

class FakeMembership final : public mpb::MembershipService::Service {
 public:
  grpc::Status ListInterestTags(grpc::ServerContext* ctx, const mpb::ListInterestTagsRequest*,
                                mpb::ListInterestTagsResponse* resp) override {
    ++calls;
    bool authorized = false;
    for (const auto& [key, value] : ctx->client_metadata()) {
      if (key == "authorization" && value.starts_with("Bearer ")) authorized = true;
    }
    if (!authorized) return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token");
    {
      // A slow membership: answers only once the test lets it (or the call is gone).
      std::unique_lock lock(mu);
      released.wait(lock, [&] { return !hold || ctx->IsCancelled(); });
    }
    std::lock_guard lock(mu);
    for (const auto& tag : tags) resp->add_tags(tag);
    return grpc::Status::OK;
  }

  // Answers eligibility with `eligibility_answer` (a status and message).
  grpc::Status CheckEligibility(grpc::ServerContext*, const mpb::CheckEligibilityRequest*,
                                mpb::CheckEligibilityResponse* resp) override {
    resp->set_eligibility(mpb::ELIGIBILITY_YES);
    return eligibility_answer;
  }
  grpc::Status eligibility_answer = grpc::Status::OK;

  void Release() {
    std::lock_guard lock(mu);
    hold = false;
    released.notify_all();
  }

  std::atomic<int> calls{0};
  std::mutex mu;
  std::condition_variable released;
  bool hold = false;
  std::vector<std::string> tags{"art", "hiking"};
};

class CatalogueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&membership_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(port, 0);
    port_ = port;
    catalogue_ = std::make_unique<MembershipInterestCatalogue>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                            grpc::InsecureChannelCredentials()),
        hc::grpc_client::ServiceToken::Options{
            .service = "volunteering",
            .jwt = {.algorithm = "HS256", .key = std::string(48, 'k'), .issuer = "hc-test"}},
        MembershipInterestCatalogue::Options{.deadline = std::chrono::milliseconds(300),
                                             .ttl = seconds(60)},
        [this] { return now_; });
  }
  void TearDown() override {
    membership_.Release();
    server_->Shutdown(std::chrono::system_clock::now() + seconds(5));
  }

  FakeMembership membership_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::chrono::steady_clock::time_point now_{};
  std::unique_ptr<MembershipInterestCatalogue> catalogue_;
};

TEST_F(CatalogueTest, RemembersTheListForItsTtlAndAsksAgainAfter) {
  EXPECT_TRUE(catalogue_->Check({"art"}).ok());
  EXPECT_TRUE(catalogue_->Check({"hiking", "art"}).ok());
  now_ += seconds(59);
  EXPECT_TRUE(catalogue_->Check({"art"}).ok());
  EXPECT_EQ(membership_.calls, 1);
  {
    std::lock_guard lock(membership_.mu);
    membership_.tags = {"hiking"};  // "art" retired
  }
  now_ += seconds(2);
  EXPECT_EQ(catalogue_->Check({"art"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(membership_.calls, 3) << "expired, then asked again for the missing tag";
  EXPECT_TRUE(catalogue_->Check({}).ok());
  EXPECT_EQ(membership_.calls, 3) << "no tags: nobody asked";
}

TEST_F(CatalogueTest, ATagAddedAMomentAgoIsFoundAndAnUnknownOneNamed) {
  EXPECT_TRUE(catalogue_->Check({"art"}).ok());
  {
    std::lock_guard lock(membership_.mu);
    membership_.tags.push_back("kayaking");
  }
  EXPECT_TRUE(catalogue_->Check({"art", "kayaking"}).ok());
  absl::Status unknown = catalogue_->Check({"art", "zorbing"});
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(), "tags: \"zorbing\" is not in the interest catalogue");
}

TEST_F(CatalogueTest, ASlowMembershipIsUnavailableWithinTheDeadline) {
  {
    std::lock_guard lock(membership_.mu);
    membership_.hold = true;
  }
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(catalogue_->Check({"art"}).code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
  membership_.Release();
  EXPECT_TRUE(catalogue_->Check({"art"}).ok()) << "nothing remembered from the failed call";
}

// A busy membership (its worker pool full: RESOURCE_EXHAUSTED) is a reason to try again, not a
// "no"; only its limit on probing one member's thresholds is a refusal.
TEST_F(CatalogueTest, EligibilityTellsABusyMembershipFromItsProbeLimit) {
  MembershipEligibility eligibility(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials()),
      {.service = "volunteering",
       .jwt = {.algorithm = "HS256", .key = std::string(48, 'k'), .issuer = "hc-test"}},
      std::chrono::milliseconds(2000));
  const std::string member = "0b5a3c1e-8d2f-4a6b-9c7d-1e2f3a4b5c6d";
  EXPECT_TRUE(eligibility.Check(member, 90).ok());
  membership_.eligibility_answer =
      grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy, retry later");
  EXPECT_EQ(eligibility.Check(member, 90).code(), absl::StatusCode::kUnavailable);
  membership_.eligibility_answer = grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                                "min_sober_days: at most 4 thresholds a day");
  EXPECT_EQ(eligibility.Check(member, 90).code(), absl::StatusCode::kFailedPrecondition);
  // No requirement: membership is not asked at all.
  membership_.eligibility_answer = grpc::Status(grpc::StatusCode::INTERNAL, "broken");
  EXPECT_TRUE(eligibility.Check(member, 0).ok());
}

}  // namespace
}  // namespace volunteering::members
