#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/grpc/client.h"

namespace events::members {

// The names attendee lists may show. Events keeps no names of its own: membership owns them
// and knows who chose to hide theirs.
class MemberNames {
 public:
  virtual ~MemberNames() = default;
  // member_id -> name, for the members whose name may be shown; others are absent.
  virtual absl::StatusOr<std::map<std::string, std::string>> Visible(
      const std::vector<std::string>& member_ids) = 0;
};

// Asks membership's internal GetDisplayNames over `channel` (TLS/mTLS when configured) with
// this service's own identity ("events", role "service", short-lived and renewed).
class MembershipNames : public MemberNames {
 public:
  MembershipNames(std::shared_ptr<grpc::Channel> channel,
                  hc::grpc_client::ServiceToken::Options token,
                  std::chrono::milliseconds deadline = std::chrono::milliseconds(2000),
                  hc::metrics::GrpcClientMetrics* metrics = nullptr);

  absl::StatusOr<std::map<std::string, std::string>> Visible(
      const std::vector<std::string>& member_ids) override;

 private:
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  hc::grpc_client::ServiceToken token_;
  std::chrono::milliseconds deadline_;
  hc::metrics::GrpcClientMetrics* metrics_;
};

}  // namespace events::members
