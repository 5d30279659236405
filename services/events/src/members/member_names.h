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
#include "libs/auth/auth.h"

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

// Asks membership's internal GetDisplayNames with a service identity ("events", role
// "service"): a token read from a file (production, RS256 signed elsewhere), or one minted
// with this service's own HS256 key (local runs and tests).
class MembershipNames : public MemberNames {
 public:
  struct Options {
    std::string address;
    // A ready-made service token; when empty, one is minted with `jwt` (HS256 only).
    std::string service_token;
    hc::auth::VerifierOptions jwt;
    std::chrono::milliseconds deadline{2000};
  };
  explicit MembershipNames(Options options);

  absl::StatusOr<std::map<std::string, std::string>> Visible(
      const std::vector<std::string>& member_ids) override;

 private:
  absl::StatusOr<std::string> Token();

  Options options_;
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  std::mutex mu_;
  std::string minted_;
  std::chrono::system_clock::time_point minted_until_{};
};

}  // namespace events::members
