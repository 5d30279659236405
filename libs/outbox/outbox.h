#pragma once

#include <google/protobuf/message.h>
#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"

namespace hc::outbox {

// The outbox table (and the trigger that wakes the relay); services add it to their migrations.
const postgres::Migration& Migration();

// Records `event` for publication on `topic` keyed by `key`, inside the caller's transaction,
// so the state change and its event commit or vanish together. Returns the event's id (the
// CloudEvents ce_id). Callers lock the aggregate (e.g. SELECT ... FOR UPDATE) before appending
// so that events of one key are numbered in commit order.
std::string Append(postgres::Tx& tx, const std::string& topic, const std::string& key,
                   const google::protobuf::Message& event);

struct RelayOptions {
  std::string brokers;
  // e.g. "membership": ce_source "/homecoming/membership", advisory lock per service.
  std::string service;
  int batch_size = 500;
  // Wakes up this often even without a NOTIFY (a lost notification costs at most this).
  std::chrono::milliseconds idle_poll{1000};
};

// Publishes outbox rows to Kafka in order, with an idempotent producer, and marks a row
// published only after its delivery report says the broker has it. One relay per service is
// active (PostgreSQL advisory lock); others stand by and take over when it goes.
class Relay {
 public:
  Relay(RelayOptions options, postgres::Pool& pool, prometheus::Registry& registry);
  ~Relay();

  void Start();
  void Stop();
  bool is_leader() const { return leader_; }

 private:
  void Loop();
  // One session: lock, listen, publish until stopped or the connection fails.
  void RunSession();
  // Publishes up to batch_size rows; returns how many were marked published and how many
  // failed (those stay unpublished and go again).
  std::pair<int, int> PublishBatch(pqxx::connection& conn, RdKafka::Producer& producer,
                                   int locked_session);
  void UpdateBacklog(pqxx::connection& conn);

  RelayOptions options_;
  postgres::Pool& pool_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leader_{false};
  std::thread thread_;
  prometheus::Gauge& backlog_;
  prometheus::Gauge& oldest_age_;
  prometheus::Gauge& leader_gauge_;
  prometheus::Counter& published_;
  prometheus::Counter& publish_errors_;
};

}  // namespace hc::outbox
