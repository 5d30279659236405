#include "libs/kafka/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <typeinfo>

namespace hc::kafka {

const postgres::Migration& Consumer::InboxMigration() {
  static const postgres::Migration kInbox{"lib_inbox_0001",
                                          "CREATE TABLE inbox ("
                                          " ce_id text PRIMARY KEY,"
                                          " topic text NOT NULL,"
                                          " received_at timestamptz NOT NULL DEFAULT now())"};
  return kInbox;
}

Consumer::Consumer(ConsumerOptions options, postgres::Pool& pool, Handler handler,
                   prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      handler_(std::move(handler)),
      messages_(prometheus::BuildCounter()
                    .Name("hc_consumer_messages_total")
                    .Help("Messages taken from Kafka by outcome.")
                    .Register(registry)),
      handled_(messages_.Add({{"group", options_.group_id}, {"outcome", "handled"}})),
      duplicates_(messages_.Add({{"group", options_.group_id}, {"outcome", "duplicate"}})),
      dead_lettered_(messages_.Add({{"group", options_.group_id}, {"outcome", "dead_lettered"}})),
      retries_(messages_.Add({{"group", options_.group_id}, {"outcome", "retried"}})),
      lag_(prometheus::BuildGauge()
               .Name("hc_consumer_lag")
               .Help("Messages on the broker not yet handled, per consumer group, topic and "
                     "partition assigned here.")
               .Register(registry)),
      dead_letters_(prometheus::BuildCounter()
                        .Name("hc_consumer_dead_letters_total")
                        .Help("Messages sent to the dead-letter topic, per consumer group and the "
                              "topic they came from.")
                        .Register(registry)) {}

Consumer::~Consumer() { Stop(); }

absl::Status Consumer::Start() {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [name, value] : std::map<std::string, std::string>{
           {"bootstrap.servers", options_.brokers},
           {"group.id", options_.group_id},
           {"enable.auto.commit", "true"},
           // Offsets are stored by us, after our transaction commits; auto-commit sends them.
           {"enable.auto.offset.store", "false"},
           {"auto.offset.reset", "earliest"},
           {"enable.partition.eof", "false"},
       }) {
    if (conf->set(name, value, error) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError("kafka setting " + name + ": " + error);
    }
  }
  if (auto s = ApplySecurity(*conf, options_.security); !s.ok()) return s;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer_) return absl::InvalidArgumentError("kafka consumer: " + error);
  auto producer = NewIdempotentProducer(options_.brokers, &dlq_reports_, options_.group_id + "-dlq",
                                        std::chrono::milliseconds(0), options_.security);
  if (!producer.ok()) return producer.status();
  dlq_producer_ = std::move(*producer);
  if (consumer_->subscribe(options_.topics) != RdKafka::ERR_NO_ERROR) {
    return absl::InvalidArgumentError("kafka subscribe failed");
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Consumer::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (consumer_) {
    consumer_->close();  // commits the offsets stored so far
    consumer_.reset();
  }
  if (dlq_producer_) {
    dlq_producer_->flush(5000);
    dlq_producer_.reset();
  }
}

void Consumer::ReportLag() {
  std::vector<RdKafka::TopicPartition*> assigned;
  if (consumer_->assignment(assigned) != RdKafka::ERR_NO_ERROR) return;
  consumer_->position(assigned);
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> now_assigned;
  for (RdKafka::TopicPartition* tp : assigned) {
    int64_t low = 0;
    int64_t high = 0;
    if (consumer_->get_watermark_offsets(tp->topic(), tp->partition(), &low, &high) !=
            RdKafka::ERR_NO_ERROR ||
        high < 0) {
      continue;
    }
    auto handled = next_offset_.find({tp->topic(), tp->partition()});
    const int64_t next = handled != next_offset_.end() ? handled->second : tp->offset();
    if (next < 0) continue;  // nothing fetched yet: unknown, not zero
    prometheus::Gauge& gauge = lag_.Add({{"group", options_.group_id},
                                         {"topic", tp->topic()},
                                         {"partition", std::to_string(tp->partition())}});
    gauge.Set(static_cast<double>(std::max<int64_t>(0, high - next)));
    now_assigned[{tp->topic(), tp->partition()}] = &gauge;
  }
  RdKafka::TopicPartition::destroy(assigned);
  for (const auto& [partition, gauge] : lag_gauges_) {
    if (!now_assigned.contains(partition)) lag_.Remove(gauge);
  }
  lag_gauges_ = std::move(now_assigned);
}

void Consumer::Loop() {
  while (!stop_) {
    if (const auto now = std::chrono::steady_clock::now(); now >= next_lag_report_) {
      next_lag_report_ = now + std::chrono::seconds(2);
      ReportLag();
    }
    std::unique_ptr<RdKafka::Message> raw(consumer_->consume(200));
    if (!raw) continue;
    if (raw->err() == RdKafka::ERR__TIMED_OUT || raw->err() == RdKafka::ERR__PARTITION_EOF) {
      continue;
    }
    if (raw->err() != RdKafka::ERR_NO_ERROR) {
      spdlog::warn("kafka consumer {}: {}", options_.group_id, raw->errstr());
      continue;
    }
    Message message = FromRdKafka(*raw);
    if (Process(message)) {
      std::vector<RdKafka::TopicPartition*> offsets = {
          RdKafka::TopicPartition::create(message.topic, message.partition, message.offset + 1)};
      consumer_->offsets_store(offsets);
      RdKafka::TopicPartition::destroy(offsets);
      next_offset_[{message.topic, message.partition}] = message.offset + 1;
    } else {
      // Stopping mid-message: rewind so the next owner of the partition sees it again.
      std::vector<RdKafka::TopicPartition*> here = {
          RdKafka::TopicPartition::create(message.topic, message.partition, message.offset)};
      consumer_->seek(*here.front(), 1000);
      RdKafka::TopicPartition::destroy(here);
    }
  }
}

bool Consumer::Process(const Message& message) {
  const std::string ce_id = message.Header(kCeId);
  const std::string inbox_key =
      options_.inbox_scope.empty() ? ce_id : options_.inbox_scope + ":" + ce_id;
  int failures = 0;
  std::string last_error = "message has no ce_id header";
  auto backoff = options_.retry_backoff;
  while (!stop_) {
    if (ce_id.empty()) break;
    bool duplicate = false;
    absl::Status status = pool_.InTransaction([&](postgres::Tx& tx) -> absl::Status {
      auto inserted =
          tx.exec_params("INSERT INTO inbox (ce_id, topic) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                         inbox_key, message.topic);
      if (inserted.affected_rows() == 0) {
        duplicate = true;
        return absl::OkStatus();
      }
      return handler_(tx, message);
    });
    if (status.ok()) {
      (duplicate ? duplicates_ : handled_).Increment();
      if (!duplicate && options_.after_commit) {
        // The message is committed: a failing follow-up is logged (by type: what() may quote
        // data) and must not end the consumer thread, which would end the process.
        try {
          options_.after_commit(message);
        } catch (const std::exception& e) {
          spdlog::error("consumer {}: after-commit step threw {} ({}:{}@{})", options_.group_id,
                        typeid(e).name(), message.topic, message.partition, message.offset);
        }
      }
      return true;
    }
    retries_.Increment();
    if (status.code() != absl::StatusCode::kUnavailable &&
        status.code() != absl::StatusCode::kAborted) {
      ++failures;
      last_error = std::string(status.message());
      if (failures >= options_.max_attempts) break;
    }
    spdlog::warn("consumer {}: {}:{}@{} failed ({}), retrying", options_.group_id, message.topic,
                 message.partition, message.offset, status.ToString());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  if (stop_) return false;
  // Poison message: park it in the DLQ (retrying until the broker takes it), then move on.
  while (!stop_) {
    absl::Status dlq = DeadLetter(message, last_error);
    if (dlq.ok()) {
      dead_lettered_.Increment();
      dead_letters_.Add({{"group", options_.group_id}, {"topic", message.topic}}).Increment();
      return true;
    }
    spdlog::error("consumer {}: dead-lettering failed: {}", options_.group_id, dlq.ToString());
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return false;
}

absl::Status Consumer::DeadLetter(const Message& message, const std::string& error) {
  std::map<std::string, std::string> headers = message.headers;
  headers["dlq_topic"] = message.topic;
  headers["dlq_partition"] = std::to_string(message.partition);
  headers["dlq_offset"] = std::to_string(message.offset);
  headers["dlq_error"] = error;
  headers["dlq_consumer_group"] = options_.group_id;
  const std::string topic = "alumni.dlq." + options_.service;
  RdKafka::Headers* rd_headers = NewHeaders(headers);
  DlqDelivery delivery;
  RdKafka::ErrorCode err =
      dlq_producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                             const_cast<char*>(message.value.data()), message.value.size(),
                             message.key.data(), message.key.size(), 0, rd_headers, &delivery);
  if (err != RdKafka::ERR_NO_ERROR) {
    delete rd_headers;  // ownership passes to librdkafka only on success
    return absl::UnavailableError("dlq produce: " + RdKafka::err2str(err));
  }
  // One copy, and its own delivery report decides: the producer retries by itself while the
  // broker is away, so producing again here would only make duplicates.
  while (!delivery.done && !stop_) dlq_producer_->poll(100);
  if (!delivery.done) {
    dlq_producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    dlq_producer_->poll(0);
    return absl::UnavailableError("stopping before the dead letter was delivered");
  }
  if (delivery.error != RdKafka::ERR_NO_ERROR) {
    return absl::UnavailableError("dlq delivery: " + RdKafka::err2str(delivery.error));
  }
  return absl::OkStatus();
}

}  // namespace hc::kafka
