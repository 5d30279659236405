#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "alumni/events/v1/events_service.grpc.pb.h"
#include "alumni/volunteering/v1/volunteering_service.grpc.pb.h"
#include "libs/grpc/client.h"
#include "services/notifications/src/domain/templates.h"
#include "services/notifications/src/storage/delivery_store.h"

namespace notifications::clients {

// The details a message fills in at send time (event title, time, place; role title and shift
// time), looked up from events and volunteering with this service's own identity. Best effort:
// a service that doesn't answer in time leaves the fields empty and the message says less
// (the templates have a wording without details), rather than holding every message back.
class SubjectDetails {
 public:
  virtual ~SubjectDetails() = default;
  virtual domain::Details Lookup(const storage::Delivery& delivery) = 0;
};

class ServiceSubjectDetails : public SubjectDetails {
 public:
  struct Options {
    std::chrono::milliseconds deadline{1500};
    // One event told to a thousand members is looked up once: answers are kept this long.
    std::chrono::milliseconds ttl{std::chrono::seconds(30)};
    hc::metrics::GrpcClientMetrics* metrics = nullptr;
  };
  // `events` or `volunteering` may be null (then those details stay empty).
  ServiceSubjectDetails(std::shared_ptr<grpc::Channel> events,
                        std::shared_ptr<grpc::Channel> volunteering,
                        hc::grpc_client::ServiceToken::Options token, Options options);
  domain::Details Lookup(const storage::Delivery& delivery) override;

 private:
  void AddEvent(const std::string& event_id, domain::Details& details);
  void AddRole(const std::string& role_id, const std::string& shift_id, domain::Details& details);
  // A kept answer for `key`, or calls `fetch` and keeps what it filled in (only when it
  // succeeded: a failure is asked again next time).
  void Cached(const std::string& key, domain::Details& details,
              const std::function<bool(domain::Details&)>& fetch);

  std::unique_ptr<alumni::events::v1::EventsService::Stub> events_;
  std::unique_ptr<alumni::volunteering::v1::VolunteeringService::Stub> volunteering_;
  hc::grpc_client::ServiceToken token_;
  Options options_;
  std::mutex mu_;
  struct Kept {
    domain::Details details;
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, Kept> kept_;
};

}  // namespace notifications::clients
