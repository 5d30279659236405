#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/grpc/client.h"

namespace volunteering::members {

struct DisplayName {
  // Empty when the member hides their name in lists.
  std::string name;
  bool hidden = false;
};

// The names volunteer lists and the thank-you board show. Membership owns them and decides who
// is shown; nothing is stored here.
class DisplayNames {
 public:
  virtual ~DisplayNames() = default;
  // Names of the active members among `member_ids` (any number; asked in batches of 500),
  // keyed by canonical id. UNAVAILABLE when membership does not answer in time: callers still
  // answer, without names.
  virtual absl::StatusOr<std::map<std::string, DisplayName>> Get(
      const std::vector<std::string>& member_ids) = 0;
};

// Asks membership's internal GetDisplayNames with this service's own identity over `channel`,
// within `deadline` per batch.
class MembershipDisplayNames : public DisplayNames {
 public:
  MembershipDisplayNames(std::shared_ptr<grpc::Channel> channel,
                         hc::grpc_client::ServiceToken::Options token,
                         std::chrono::milliseconds deadline = std::chrono::milliseconds(2000),
                         hc::metrics::GrpcClientMetrics* metrics = nullptr);
  absl::StatusOr<std::map<std::string, DisplayName>> Get(
      const std::vector<std::string>& member_ids) override;

 private:
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  hc::grpc_client::ServiceToken token_;
  std::chrono::milliseconds deadline_;
  hc::metrics::GrpcClientMetrics* metrics_;
};

}  // namespace volunteering::members
