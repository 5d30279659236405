#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"

namespace hc::kafka {

struct ConsumerOptions {
  std::string brokers;
  std::string group_id;
  std::vector<std::string> topics;
  // Failed messages go to `alumni.dlq.<service>`.
  std::string service;
  // Handler failures (other than UNAVAILABLE) tolerated before a message goes to the DLQ.
  int max_attempts = 5;
  std::chrono::milliseconds retry_backoff{200};
  // Optional: runs on the consumer thread after a message's transaction committed (not for
  // duplicates or dead letters), for effects that must follow the commit, such as dropping
  // cache entries the handler's changes made stale.
  std::function<void(const Message&)> after_commit;
  // Optional: set when another consumer of the same service reads the same topic (in its own
  // group). The inbox is keyed by ce_id alone, so without a scope whichever consumer handles a
  // fact first would make the other drop it as a duplicate; with one, this consumer records
  // "<inbox_scope>:<ce_id>" and dedupes only against itself.
  std::string inbox_scope;
  // TLS towards the brokers (HC_KAFKA_SECURITY_PROTOCOL, HC_KAFKA_SSL_*), for the consumer and
  // its dead-letter producer alike.
  Security security;
};

// Handles one message inside the transaction that also records its ce_id in the inbox.
using Handler = std::function<absl::Status(postgres::Tx&, const Message&)>;

// A consumer-group member with exactly-once effects on our database:
// - each message is handled in a PostgreSQL transaction that also inserts its ce_id into the
//   `inbox` table, so a redelivered message has no second effect;
// - its offset is stored only after that transaction commits (at-least-once delivery);
// - a message the handler keeps rejecting (max_attempts), or that has no ce_id, goes to the
//   dead-letter topic with its origin in headers, and the partition moves on;
// - while the database is unavailable the message is retried without limit (back-pressure),
//   never dead-lettered.
class Consumer {
 public:
  Consumer(ConsumerOptions options, postgres::Pool& pool, Handler handler,
           prometheus::Registry& registry);
  ~Consumer();

  absl::Status Start();
  void Stop();

  // The table this consumer writes; services add it to their migrations.
  static const postgres::Migration& InboxMigration();

 private:
  void Loop();
  // Returns true when the offset may be stored.
  bool Process(const Message& message);
  // hc_consumer_lag per assigned partition: the newest offset the broker reported minus the
  // next one this consumer will handle (from librdkafka's cached watermarks: no broker call).
  void ReportLag();
  absl::Status DeadLetter(const Message& message, const std::string& error);

  ConsumerOptions options_;
  postgres::Pool& pool_;
  Handler handler_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  // Delivery reports of dead letters: each message's opaque points at its DlqDelivery.
  struct DlqDelivery {
    bool done = false;
    RdKafka::ErrorCode error = RdKafka::ERR_NO_ERROR;
  };
  class DlqReports : public RdKafka::DeliveryReportCb {
   public:
    void dr_cb(RdKafka::Message& message) override {
      auto* delivery = static_cast<DlqDelivery*>(message.msg_opaque());
      delivery->error = message.err();
      delivery->done = true;
    }
  };
  DlqReports dlq_reports_;
  std::unique_ptr<RdKafka::Producer> dlq_producer_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  prometheus::Family<prometheus::Counter>& messages_;
  prometheus::Counter& handled_;
  prometheus::Counter& duplicates_;
  prometheus::Counter& dead_lettered_;
  prometheus::Counter& retries_;
  prometheus::Family<prometheus::Gauge>& lag_;
  // Dead letters per group and origin topic: what the DLQ alert and hc-dlq's triage start from.
  prometheus::Family<prometheus::Counter>& dead_letters_;
  // The next offset to handle per (topic, partition), once one was handled here.
  std::map<std::pair<std::string, int32_t>, int64_t> next_offset_;
  std::chrono::steady_clock::time_point next_lag_report_{};
  // The lag gauges of the partitions assigned at the last report (a revoked one is removed).
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> lag_gauges_;
};

}  // namespace hc::kafka
