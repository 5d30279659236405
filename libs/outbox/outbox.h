#pragma once

#include <google/protobuf/message.h>
#include <librdkafka/rdkafkacpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "libs/kafka/security.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"

namespace hc::outbox {

// Every migration of the outbox, in order: the table (and the trigger that wakes the relay),
// then the columns that set aside rows Kafka refuses and the index retention prunes by.
// Services apply them all before their own (Runtime::Migrate does).
const std::vector<postgres::Migration>& Migrations();
// The first of Migrations() only (the table as it was first created).
const postgres::Migration& Migration();

// Records `event` for publication on `topic` keyed by `key`, inside the caller's transaction,
// so the state change and its event commit or vanish together. Returns the event's id (the
// CloudEvents ce_id). Callers lock the aggregate (e.g. SELECT ... FOR UPDATE) before appending
// so that events of one key are numbered in commit order.
// `subjects` are the members the fact names (ids only), for ForgetSubject.
std::string Append(postgres::Tx& tx, const std::string& topic, const std::string& key,
                   const google::protobuf::Message& event,
                   const std::vector<std::string>& subjects = {});
// Append as a statement, for a pipelined transaction (postgres::PipelineTx); its one row holds
// the event's id. The same rules: queue it after the aggregate's lock.
postgres::Statement AppendStatement(const std::string& topic, const std::string& key,
                                    const google::protobuf::Message& event,
                                    const std::vector<std::string>& subjects = {});

// Erasure, inside the erasing transaction: deletes the published (and set-aside) rows naming
// `subject` and
// marks the unpublished ones to be deleted once published (they still go out: other services
// need the facts, erasure ones included). Returns how many rows were deleted now.
int ForgetSubject(postgres::Tx& tx, const std::string& subject);

// The relay's claim: up to $1 rows in seq order, the fresh ones from the claim floor $2 up and
// the failing ones wherever they are, with the snapshot's figures the floor moves by (see
// Relay). And the leader's gauges (backlog, oldest age, set-aside rows, the lowest fresh row).
// Exported for the planner checks of tests/explain.
const std::string& ClaimSql();
const std::string& GaugesSql();

struct RelayOptions {
  std::string brokers;
  // e.g. "membership": ce_source "/homecoming/membership", advisory lock per service.
  std::string service;
  int batch_size = 500;
  // Wakes up this often even without a NOTIFY (a lost notification costs at most this).
  std::chrono::milliseconds idle_poll{1000};
  // The leader refreshes the backlog, age and set-aside gauges this often, also while it waits
  // for a broker that is away.
  std::chrono::milliseconds metrics_interval{5000};
  // librdkafka's message.timeout.ms: a row the broker has not acknowledged by then fails and
  // goes again in a later batch.
  std::chrono::milliseconds delivery_timeout{30000};
  // A row that keeps failing with an error of its own (unknown topic, no authorisation) is set
  // aside after this many attempts; a row Kafka can never take (too large) is set aside at once.
  int max_attempts = 10;
  // Published rows older than this are deleted, at most prune_batch rows per statement, every
  // prune_interval (the outbox must not grow forever, and must not keep facts about people).
  std::chrono::hours retention{24 * 7};
  std::chrono::milliseconds prune_interval{60000};
  int prune_batch = 5000;
  // A standby tries the lock again after 250 ms, doubling up to this, on one kept connection.
  std::chrono::milliseconds standby_retry_max{2000};
  // Called with every producer the leader creates, before its first row: tests inject producer
  // faults (rd_kafka_test_fatal_error) through it. Runs on the relay's thread.
  std::function<void(RdKafka::Producer&)> on_new_producer;
  // TLS towards the brokers (HC_KAFKA_SECURITY_PROTOCOL, HC_KAFKA_SSL_*).
  kafka::Security security;
};

// Publishes outbox rows to Kafka in order, with an idempotent producer, and marks a row
// published only after its delivery report says the broker has it. One relay per service is
// active (PostgreSQL advisory lock); others stand by and take over when it goes.
//
// Only the leader measures the outbox (backlog, oldest age, set-aside rows, table size): a
// standby reports 0 and hc_outbox_relay_leader 0, so the alerts read the leader's series.
// The leader keeps the lock while Kafka is away, so the figures keep rising during an outage.
//
// A row Kafka refuses is set aside (outbox.set_aside_at) and holds back only the later rows of
// its own key (same topic and key); an operator releases it (see README.md, "Outbox").
class Relay {
 public:
  Relay(RelayOptions options, postgres::Pool& pool, prometheus::Registry& registry);
  ~Relay();

  void Start();
  void Stop();
  bool is_leader() const { return leader_; }
  // The seq the leader claims from: every row below it is published, failing or rolled back.
  // It keeps each claim off the index entries of rows published since the last VACUUM.
  long long claim_floor() const { return floor_; }

 private:
  struct BatchResult {
    int published = 0;
    int failed = 0;  // failures that go again: transient (broker away) or backing off
    bool fatal = false;
  };

  void Loop();
  // Holds the lock on `conn`: publishes until stopped, the connection fails (throws), or the
  // producer fails fatally (then gives the lock up and returns).
  void Lead(pqxx::connection& conn);
  // Publishes up to batch_size rows.
  BatchResult PublishBatch(pqxx::connection& conn, RdKafka::Producer& producer, int locked_session);
  // Refreshes the gauges and prunes published rows when their time has come. Called from every
  // wait of the leader, so it runs while a batch waits for an absent broker too.
  void Tick(pqxx::connection& conn);
  // Moves the claim floor by one claim's snapshot figures (see outbox.cc).
  void AdvanceFloor(long long snapshot_xmin, long long next_xid, long long last_seq,
                    std::optional<long long> lowest);
  void UpdateGauges(pqxx::connection& conn);
  void Prune(pqxx::connection& conn);
  // Sleeps up to `duration` in short steps, returning early on Stop().
  void Pause(std::chrono::milliseconds duration);

  RelayOptions options_;
  postgres::Pool& pool_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> leader_{false};
  std::thread thread_;
  std::chrono::steady_clock::time_point next_gauges_;
  std::chrono::steady_clock::time_point next_prune_;
  // The claim floor and what moves it, the leader's thread only (floor_ is read by tests).
  std::atomic<long long> floor_{0};
  long long final_seq_ = 0;       // every seq up to this is final (committed or never)
  long long last_seq_seen_ = -1;  // the sequence's last value at the previous claim
  std::deque<std::pair<long long, long long>> pending_bounds_;  // (xid to pass, seq then final)
  prometheus::Gauge& backlog_;
  prometheus::Gauge& oldest_age_;
  prometheus::Gauge& leader_gauge_;
  prometheus::Gauge& set_aside_rows_;
  prometheus::Gauge& table_rows_;
  prometheus::Counter& published_;
  prometheus::Counter& publish_errors_;
  prometheus::Counter& set_aside_total_;
  prometheus::Counter& pruned_;
  prometheus::Counter& producer_restarts_;
};

}  // namespace hc::outbox
