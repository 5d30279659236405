#pragma once

#include <librdkafka/rdkafkacpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/hc-dlq/args.h"
#include "tools/hc-dlq/dead_letter.h"

namespace hc::dlq {

using Env = std::function<std::string(const std::string&)>;

// Reads the services' Kafka TLS settings (HC_KAFKA_SECURITY_PROTOCOL plaintext|ssl and, for
// ssl, HC_KAFKA_SSL_CA_FILE, HC_KAFKA_SSL_CERT_FILE, HC_KAFKA_SSL_KEY_FILE) from `env` and sets
// them on `conf` through libs/kafka's ApplySecurity, as the services' own clients do. The tool
// reads them itself rather than through libs/config: it needs none of a service's other settings.
absl::Status ApplyKafkaSecurity(RdKafka::Conf& conf, const Env& env);

// Where a partition of the DLQ topic stands.
struct PartitionState {
  int32_t partition = 0;
  int64_t low = 0;   // the oldest record still held
  int64_t high = 0;  // the next offset to be written
  // The replay group's committed offset: every record below it was replayed. -1 when none.
  int64_t replayed_below = -1;

  bool Replayed(int64_t offset) const { return offset < replayed_below; }
};

// One DLQ topic and its replay group (hc-dlq.<service>): reads records by assignment (never
// joining the group), produces replays idempotently, commits replay positions, deletes records.
class DlqClient {
 public:
  struct Options {
    std::string brokers;
    std::string topic;
    std::string group;
    std::chrono::milliseconds timeout{30000};
  };

  static absl::StatusOr<std::unique_ptr<DlqClient>> Open(const Options& options, const Env& env);
  ~DlqClient();

  // Every partition of the topic; NotFound when the topic does not exist.
  absl::StatusOr<std::vector<PartitionState>> Partitions();

  // The records held in `partitions` (all of each, from its low watermark to the high one taken
  // by Partitions()), in partition then offset order.
  absl::StatusOr<std::vector<DeadLetter>> Read(const std::vector<PartitionState>& partitions);

  // Produces one message and waits for its delivery report.
  absl::Status Produce(const std::string& topic, const std::string& key, const std::string& value,
                       const Headers& headers);

  // Records in the replay group that every record of `partition` below `next` was replayed.
  absl::Status CommitReplayed(int32_t partition, int64_t next);

  // Deletes `partition`'s records below `before`; returns the new low watermark.
  absl::StatusOr<int64_t> DeleteRecordsBefore(int32_t partition, int64_t before);

 private:
  DlqClient(Options options) : options_(std::move(options)) {}
  absl::Status EnsureProducer();

  class DeliveryReports : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override;
  };

  Options options_;
  std::unique_ptr<RdKafka::Conf> producer_conf_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  DeliveryReports reports_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

}  // namespace hc::dlq
