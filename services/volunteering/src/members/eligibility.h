#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/grpc/client.h"

namespace volunteering::members {

// Whether a member has the sober time a role needs. Membership owns the sobriety date and
// answers yes or no (never the date); this service keeps no answer.
class Eligibility {
 public:
  virtual ~Eligibility() = default;
  // OK when eligible; FAILED_PRECONDITION (saying nothing of the date) when not or when
  // membership can't confirm it; UNAVAILABLE when membership does not answer in time.
  virtual absl::Status Check(const std::string& member_id, int min_sober_days) = 0;
};

// Asks membership's internal CheckEligibility with this service's own identity
// ("volunteering", role "service") over `channel` (TLS/mTLS when configured), within `deadline`.
class MembershipEligibility : public Eligibility {
 public:
  MembershipEligibility(std::shared_ptr<grpc::Channel> channel,
                        hc::grpc_client::ServiceToken::Options token,
                        std::chrono::milliseconds deadline = std::chrono::milliseconds(2000),
                        hc::metrics::GrpcClientMetrics* metrics = nullptr);
  absl::Status Check(const std::string& member_id, int min_sober_days) override;

 private:
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  hc::grpc_client::ServiceToken token_;
  std::chrono::milliseconds deadline_;
  hc::metrics::GrpcClientMetrics* metrics_;
};

}  // namespace volunteering::members
