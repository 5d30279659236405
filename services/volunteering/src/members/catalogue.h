#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/grpc/client.h"

namespace volunteering::members {

// Membership's catalogue of interest tags, the only tags a role may carry. Membership owns it
// (AddInterestTag / RetireInterestTag); this service only asks.
class InterestCatalogue {
 public:
  virtual ~InterestCatalogue() = default;
  // OK when every tag of `tags` is in the catalogue (an empty list asks nobody);
  // INVALID_ARGUMENT naming `tags` and the first tag that is not; UNAVAILABLE when membership
  // does not answer in time.
  virtual absl::Status Check(const std::vector<std::string>& tags) = 0;
};

// Asks membership's ListInterestTags with this service's own identity over `channel`, within
// `deadline`, and remembers the answer for `ttl`: the catalogue changes a few times a year, a
// role form is filled many times a day. A tag missing from the remembered list asks again, so
// a tag added a moment ago is found at once (only staff post roles: misses are few); a tag
// retired is refused once the remembered list is older than `ttl`.
class MembershipInterestCatalogue : public InterestCatalogue {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    std::chrono::milliseconds deadline{2000};
    std::chrono::seconds ttl{60};
    hc::metrics::GrpcClientMetrics* metrics = nullptr;
  };

  MembershipInterestCatalogue(std::shared_ptr<grpc::Channel> channel,
                              hc::grpc_client::ServiceToken::Options token, Options options,
                              Clock clock = std::chrono::steady_clock::now);
  absl::Status Check(const std::vector<std::string>& tags) override;

 private:
  // The catalogue, from memory while fresh enough (`max_age`), else from membership.
  absl::StatusOr<std::set<std::string>> Tags(std::chrono::steady_clock::duration max_age);

  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  hc::grpc_client::ServiceToken token_;
  Options options_;
  Clock clock_;
  std::mutex mu_;
  std::set<std::string> tags_;                                       // guarded by mu_
  std::optional<std::chrono::steady_clock::time_point> fetched_at_;  // guarded by mu_
};

}  // namespace volunteering::members
