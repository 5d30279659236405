#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/kafka/security.h"

namespace hc::kafka {

// CloudEvents Kafka binding, binary mode: the attributes travel as headers.
inline constexpr char kCeId[] = "ce_id";
inline constexpr char kCeType[] = "ce_type";
inline constexpr char kCeSource[] = "ce_source";
inline constexpr char kCeTime[] = "ce_time";
inline constexpr char kCeSpecVersion[] = "ce_specversion";
inline constexpr char kContentType[] = "content-type";

// A consumed (or to-be-produced) record with its headers as text.
struct Message {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A producer that never reorders or duplicates on retry (enable.idempotence, acks=all).
// Partitions by key like the Java client (murmur2), so every producer agrees.
// `message_timeout` (message.timeout.ms) bounds how long a message may wait for the broker
// before its delivery report fails; 0 keeps retrying while the broker is away (delivery failure
// only on a fatal error).
absl::StatusOr<std::unique_ptr<RdKafka::Producer>> NewIdempotentProducer(
    const std::string& brokers, RdKafka::DeliveryReportCb* delivery_reports,
    const std::string& client_id,
    std::chrono::milliseconds message_timeout = std::chrono::milliseconds(0),
    const Security& security = {});

// Sets security.protocol and the ssl.* file locations on a client's configuration. Every
// client we create goes through one of these, so a service's HC_KAFKA_SSL_* settings reach its
// producers, consumers and admin calls alike.
absl::Status ApplySecurity(RdKafka::Conf& conf, const Security& security);

// Builds librdkafka headers from a name -> text map.
RdKafka::Headers* NewHeaders(const std::map<std::string, std::string>& headers);

// Reads a librdkafka message into a Message.
Message FromRdKafka(RdKafka::Message& message);

// Creates the topics that do not exist yet.
absl::Status EnsureTopics(const std::string& brokers, const std::vector<std::string>& topics,
                          int partitions, std::chrono::milliseconds timeout,
                          const Security& security = {});

}  // namespace hc::kafka
