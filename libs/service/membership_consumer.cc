#include "libs/service/membership_consumer.h"

namespace hc::service {

MembershipConsumer::MembershipConsumer(Runtime& runtime, const config::ServiceSettings& settings,
                                       Options options,
                                       identity::MembershipFactsHandler::Erase erase,
                                       std::function<void(const std::string&)> invalidate)
    : handler_(std::move(erase), std::move(invalidate),
               [&runtime](const identity::IdentityChange& change) {
                 runtime.revocations.Apply(change);
               }),
      consumer_(
          {.brokers = settings.kafka_brokers,
           .group_id = options.group,
           .topics = {options.topic},
           .service = options.service,
           .after_commit = [this](const kafka::Message& m) { handler_.AfterCommit(m); },
           .security = settings.kafka_security},
          runtime.pool,
          [this](postgres::Tx& tx, const kafka::Message& m) { return handler_.Handle(tx, m); },
          runtime.exposer.registry()) {}

}  // namespace hc::service
