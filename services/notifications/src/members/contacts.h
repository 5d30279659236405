#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/grpc/client.h"
#include "services/notifications/src/domain/preferences.h"

namespace notifications::members {

// What a message needs to reach a member, fetched from membership at send time and dropped as
// soon as it is sent: never stored, logged, or put in an error.
struct Contact {
  std::string display_name;
  std::string time_zone;
  // Empty unless membership says consent for the channel is granted right now.
  std::string email;
  std::string phone;

  const std::string& Address(domain::Channel channel) const {
    return channel == domain::Channel::kSms ? phone : email;
  }
};

class Contacts {
 public:
  virtual ~Contacts() = default;
  // NOT_FOUND when membership has no such member (erased); UNAVAILABLE when it does not answer
  // in time. `purpose` goes into membership's disclosure audit, e.g.
  // "notifications.rsvp_confirmed".
  virtual absl::StatusOr<Contact> Get(const std::string& member_id, const std::string& purpose) = 0;
};

// Asks membership's internal GetContact with this service's own identity ("notifications",
// role "service") over `channel`, within `deadline`.
class MembershipContacts : public Contacts {
 public:
  MembershipContacts(std::shared_ptr<grpc::Channel> channel,
                     hc::grpc_client::ServiceToken::Options token,
                     std::chrono::milliseconds deadline,
                     hc::metrics::GrpcClientMetrics* metrics = nullptr);
  absl::StatusOr<Contact> Get(const std::string& member_id, const std::string& purpose) override;

 private:
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> stub_;
  hc::grpc_client::ServiceToken token_;
  std::chrono::milliseconds deadline_;
  hc::metrics::GrpcClientMetrics* metrics_;
};

}  // namespace notifications::members
