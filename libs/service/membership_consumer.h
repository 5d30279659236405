#pragma once

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "libs/config/service_settings.h"
#include "libs/identity/identity.h"
#include "libs/kafka/consumer.h"
#include "libs/service/runtime.h"

namespace hc::service {

// The consumer of membership's facts that every service other than membership runs: revoked
// roles and erased members refuse their earlier tokens here too (libs/identity, applied to
// `runtime`'s verifier after each commit), and `erase` removes what this service holds on a
// deleted member, returning the aggregates whose cached reads `invalidate` must drop.
class MembershipConsumer {
 public:
  struct Options {
    std::string topic = "alumni.membership.v1";
    std::string group;    // the consumer group, e.g. "events"
    std::string service;  // dead letters go to alumni.dlq.<service>
  };
  MembershipConsumer(Runtime& runtime, const config::ServiceSettings& settings, Options options,
                     identity::MembershipFactsHandler::Erase erase,
                     std::function<void(const std::string&)> invalidate);

  absl::Status Start() { return consumer_.Start(); }
  // A fact being handled commits or is redelivered later.
  void Stop() { consumer_.Stop(); }

 private:
  identity::MembershipFactsHandler handler_;
  kafka::Consumer consumer_;
};

}  // namespace hc::service
