#include "libs/outbox/outbox.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "libs/kafka/kafka.h"

namespace hc::outbox {
namespace {

constexpr char kChannel[] = "hc_outbox";
// The advisory lock key of a service's relay; each service has its own database.
constexpr long long kRelayLockKey = 0x484352454c4159;  // "HCRELAY"

class Wakeup : public pqxx::notification_receiver {
 public:
  explicit Wakeup(pqxx::connection_base& conn) : pqxx::notification_receiver(conn, kChannel) {}
  void operator()(const std::string&, int) override {}
};

struct Pending {
  long long seq = 0;
  std::string key;  // topic and key: the unit of ordering
  bool produced = false;
  RdKafka::ErrorCode error = RdKafka::ERR__IN_PROGRESS;
  bool done = false;
};

class DeliveryReports : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    auto* pending = static_cast<Pending*>(message.msg_opaque());
    pending->error = message.err();
    pending->done = true;
  }
};

// What a failure says about the row, as opposed to the broker or the producer.
enum class Failure {
  kTransient,  // broker away, timed out, purged: the row goes again, not counted
  kRow,        // this row's topic is unknown or forbidden: counted, retried with backoff
  kPermanent,  // Kafka can never take this row (too large, invalid): set aside at once
  kFatal,      // the producer can't go on: a new producer (and maybe another relay) takes over
};

Failure Classify(RdKafka::ErrorCode error) {
  switch (error) {
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG_SIZE:
    case RdKafka::ERR_RECORD_LIST_TOO_LARGE:
    case RdKafka::ERR_INVALID_MSG:
    case RdKafka::ERR_INVALID_RECORD:
    case RdKafka::ERR_TOPIC_EXCEPTION:
      return Failure::kPermanent;
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_PARTITION:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_POLICY_VIOLATION:
      return Failure::kRow;
    case RdKafka::ERR__FATAL:
      return Failure::kFatal;
    default:
      return Failure::kTransient;
  }
}

std::string SeqArray(const std::vector<long long>& seqs) {
  std::string list = "{";
  for (size_t i = 0; i < seqs.size(); ++i) {
    if (i) list += ",";
    list += std::to_string(seqs[i]);
  }
  return list + "}";
}

}  // namespace

const std::vector<postgres::Migration>& Migrations() {
  static const std::vector<postgres::Migration> kOutbox = {
      {"lib_outbox_0001", R"sql(
CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  topic text NOT NULL,
  msg_key text NOT NULL,
  ce_type text NOT NULL,
  payload bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;
CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('hc_outbox', '');
  RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
)sql"},
      // attempts counts failures of the row's own (not the broker's); retry_at is its backoff;
      // set_aside_at is when the relay gave up on it (an operator releases it). The failing
      // index finds, per key, an earlier row that failed: the rows after it wait.
      {"lib_outbox_0002_set_aside_and_retention", R"sql(
ALTER TABLE outbox
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN last_error text,
  ADD COLUMN retry_at timestamptz,
  ADD COLUMN set_aside_at timestamptz;
CREATE INDEX outbox_failing ON outbox (topic, msg_key, seq)
  WHERE published_at IS NULL AND attempts > 0;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;
)sql"},
      // subjects: the members a row's fact names, so an erasure can find the row; forget: delete
      // the row as soon as it is published (it was unpublished when a member it names was erased).
      {"lib_outbox_0003_subjects", R"sql(
ALTER TABLE outbox
  ADD COLUMN subjects text[] NOT NULL DEFAULT '{}',
  ADD COLUMN forget boolean NOT NULL DEFAULT false;
CREATE INDEX outbox_by_subject ON outbox USING gin (subjects);
)sql"},
      // The relay's claim floor (see Relay::AdvanceFloor) needs every row's transaction to hold
      // its xid before the row takes its seq (a transaction whose first write is the outbox
      // insert would otherwise take the seq first), and the sequence to hand out each value
      // when asked (CACHE 1, the default, stated).
      {"lib_outbox_0004_xid_before_seq", R"sql(
CREATE FUNCTION outbox_next_seq() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_current_xact_id();
  RETURN nextval('outbox_seq_seq');
END $$;
ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT outbox_next_seq();
ALTER SEQUENCE outbox_seq_seq CACHE 1;
)sql"},
      // Each of the relay's questions has one index of its own, so the planner has no choice
      // to get wrong when the statistics are stale: outbox_fresh (rows never tried or only
      // failed by the broker being away) for the claim from the floor, outbox_failing for rows
      // that failed on their own. outbox_unpublished served both, and a claim's failing-row
      // probes could walk it over every row published since the last VACUUM.
      {"lib_outbox_0005_fresh_index", R"sql(
CREATE INDEX outbox_fresh ON outbox (seq) WHERE published_at IS NULL AND attempts = 0;
DROP INDEX outbox_unpublished;
)sql"},
  };
  return kOutbox;
}

const postgres::Migration& Migration() { return Migrations().front(); }

const std::string& ClaimSql() {
  // Two branches: the fresh rows (attempts 0) from the floor up, an index range of
  // outbox_fresh in seq order that stops at the limit, and every failing row (outbox_failing;
  // few). The first row always carries the snapshot's figures (a LEFT JOIN: one row of NULLs
  // when there is nothing to claim): its xmin, the next xid (xmin + age(xmin): age() counts
  // from the next xid when the statement has none), the sequence's last value, and the lowest
  // fresh unpublished row from the floor up.
  static const std::string kSql = [] {
    // Claimable: not set aside, not backing off, and no earlier failing row of its key.
    const std::string claimable =
        "o.set_aside_at IS NULL AND (o.retry_at IS NULL OR o.retry_at <= now()) "
        "AND NOT EXISTS (SELECT 1 FROM outbox f WHERE f.published_at IS NULL "
        "AND f.attempts > 0 AND f.topic = o.topic AND f.msg_key = o.msg_key AND f.seq < o.seq) ";
    const std::string columns =
        "SELECT o.seq, o.id::text AS id, o.topic, o.msg_key, o.ce_type, o.payload, "
        "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
        "AS ce_time, o.attempts FROM outbox o ";
    return "WITH meta AS MATERIALIZED (SELECT "
           "pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS snapshot_xmin, "
           "pg_snapshot_xmin(pg_current_snapshot())::text::bigint "
           "+ age(xid(pg_snapshot_xmin(pg_current_snapshot()))) AS next_xid, "
           "COALESCE(pg_sequence_last_value('outbox_seq_seq'), 0) AS last_seq, "
           "(SELECT min(seq) FROM outbox WHERE published_at IS NULL AND attempts = 0 "
           "AND seq >= $2) AS lowest), "
           "claim AS ((" +
           columns + "WHERE o.published_at IS NULL AND o.attempts = 0 AND o.seq >= $2 AND " +
           claimable + "ORDER BY o.seq LIMIT $1) UNION ALL (" + columns +
           "WHERE o.published_at IS NULL AND o.attempts > 0 AND " + claimable +
           ")) "
           "SELECT m.snapshot_xmin, m.next_xid, m.last_seq, m.lowest, c.seq, c.id, c.topic, "
           "c.msg_key, c.ce_type, c.payload, c.ce_time, c.attempts "
           "FROM meta m LEFT JOIN (SELECT * FROM claim ORDER BY seq LIMIT $1) c ON true "
           "ORDER BY c.seq";
  }();
  return kSql;
}

const std::string& GaugesSql() {
  // The fresh rows and the failing ones, each through its own index (no index covers both).
  static const std::string kSql =
      "SELECT count(*) FILTER (WHERE set_aside_at IS NULL), "
      "COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE set_aside_at IS NULL)), "
      "0), count(*) FILTER (WHERE set_aside_at IS NOT NULL), "
      "min(seq) FILTER (WHERE attempts = 0) "
      "FROM (SELECT seq, created_at, set_aside_at, attempts FROM outbox "
      "WHERE published_at IS NULL AND attempts = 0 "
      "UNION ALL SELECT seq, created_at, set_aside_at, attempts FROM outbox "
      "WHERE published_at IS NULL AND attempts > 0) unpublished";
  return kSql;
}

namespace {

const char kAppendSql[] =
    "INSERT INTO outbox (topic, msg_key, ce_type, payload, subjects) VALUES ($1, $2, $3, $4, "
    "$5::text[]) RETURNING id::text";

// Ids only (UUIDs, service names): a text[] literal needs no quoting for them.
std::string SubjectsArray(const std::vector<std::string>& subjects) {
  std::string array = "{";
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (i) array += ",";
    for (char c : subjects[i])
      array += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  array += "}";
  return array;
}

}  // namespace

std::string Append(postgres::Tx& tx, const std::string& topic, const std::string& key,
                   const google::protobuf::Message& event,
                   const std::vector<std::string>& subjects) {
  const std::string payload = event.SerializeAsString();
  pqxx::binarystring bytes(payload.data(), payload.size());
  auto rows = postgres::ExecPrepared(tx, kAppendSql, topic, key, event.GetDescriptor()->full_name(),
                                     bytes, SubjectsArray(subjects));
  return rows.at(0)[0].as<std::string>();
}

postgres::Statement AppendStatement(const std::string& topic, const std::string& key,
                                    const google::protobuf::Message& event,
                                    const std::vector<std::string>& subjects) {
  return {kAppendSql,
          {topic, key, event.GetDescriptor()->full_name(),
           postgres::ByteaParam(event.SerializeAsString()), SubjectsArray(subjects)}};
}

// Why no row naming an erased member survives, whatever the relay does meanwhile (READ
// COMMITTED): the erasure first marks every row of the subject `forget` (an UPDATE, so it waits
// for a relay transaction that holds the row and then sees its outcome), then deletes those
// already published. The relay marks rows published and, in the same transaction and after
// that, deletes the delivered ones marked `forget`. A row published before the erasure's UPDATE
// is deleted by the erasure; one marked before the relay's DELETE is deleted by the relay; an
// unpublished one still goes to Kafka (consumers need the fact) and is deleted then. A row set
// aside (Kafka refused it) would never be published: it goes with the erasure.
int ForgetSubject(postgres::Tx& tx, const std::string& subject) {
  tx.exec_params("UPDATE outbox SET forget = true WHERE subjects @> ARRAY[lower($1)]", subject);
  return static_cast<int>(
      tx.exec_params(
            "DELETE FROM outbox WHERE subjects @> ARRAY[lower($1)] AND (published_at IS NOT NULL "
            "OR set_aside_at IS NOT NULL)",
            subject)
          .affected_rows());
}

Relay::Relay(RelayOptions options, postgres::Pool& pool, prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      backlog_(prometheus::BuildGauge()
                   .Name("hc_outbox_backlog")
                   .Help("Outbox rows waiting to be published to Kafka (set-aside rows apart).")
                   .Register(registry)
                   .Add({})),
      oldest_age_(prometheus::BuildGauge()
                      .Name("hc_outbox_oldest_unpublished_age_seconds")
                      .Help("Age of the oldest outbox row waiting to be published (0 when none; "
                            "set-aside rows apart).")
                      .Register(registry)
                      .Add({})),
      leader_gauge_(prometheus::BuildGauge()
                        .Name("hc_outbox_relay_leader")
                        .Help("1 while this process holds the relay lock and publishes.")
                        .Register(registry)
                        .Add({})),
      set_aside_rows_(prometheus::BuildGauge()
                          .Name("hc_outbox_set_aside_rows")
                          .Help("Outbox rows Kafka refused that wait for an operator; each "
                                "holds back the later rows of its key.")
                          .Register(registry)
                          .Add({})),
      table_rows_(prometheus::BuildGauge()
                      .Name("hc_outbox_rows")
                      .Help("Rows in the outbox table, published ones within the retention "
                            "included.")
                      .Register(registry)
                      .Add({})),
      published_(prometheus::BuildCounter()
                     .Name("hc_outbox_published_total")
                     .Help("Outbox rows published and acknowledged by Kafka.")
                     .Register(registry)
                     .Add({})),
      publish_errors_(prometheus::BuildCounter()
                          .Name("hc_outbox_publish_errors_total")
                          .Help("Outbox publications that failed and will be retried.")
                          .Register(registry)
                          .Add({})),
      set_aside_total_(prometheus::BuildCounter()
                           .Name("hc_outbox_set_aside_total")
                           .Help("Outbox rows the relay set aside after Kafka refused them.")
                           .Register(registry)
                           .Add({})),
      pruned_(prometheus::BuildCounter()
                  .Name("hc_outbox_pruned_total")
                  .Help("Published outbox rows deleted after the retention.")
                  .Register(registry)
                  .Add({})),
      producer_restarts_(prometheus::BuildCounter()
                             .Name("hc_outbox_producer_fatal_errors_total")
                             .Help("Fatal Kafka producer errors; each ends the relay's "
                                   "leadership and its producer.")
                             .Register(registry)
                             .Add({})) {}

Relay::~Relay() { Stop(); }

void Relay::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Relay::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void Relay::Pause(std::chrono::milliseconds duration) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (!stop_ && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
}

// One connection, kept: a standby asks for the lock on it with backoff instead of opening a new
// session per try, and the leader publishes on it. The connection goes (and a new one is opened
// after a pause) only when it fails.
void Relay::Loop() {
  constexpr auto kFirstRetry = std::chrono::milliseconds(250);
  std::unique_ptr<pqxx::connection> conn;
  auto retry = kFirstRetry;
  while (!stop_) {
    try {
      if (!conn) conn = pool_.Connect();
      bool got = false;
      {
        pqxx::nontransaction lock(*conn);
        got = lock.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kRelayLockKey) + ")")[0]
                  .as<bool>();
      }
      if (got) {
        Lead(*conn);
        retry = kFirstRetry;
      }
    } catch (const std::exception& e) {
      spdlog::warn("outbox relay {}: session ended: {}", options_.service,
                   postgres::FromException(e).ToString());
      conn.reset();  // closing the session releases the lock if it still held it
    }
    if (leader_) {
      leader_ = false;
      // A standby reports none rather than a stale figure; the alerts read the leader's series.
      leader_gauge_.Set(0);
      backlog_.Set(0);
      oldest_age_.Set(0);
      set_aside_rows_.Set(0);
      table_rows_.Set(0);
    }
    Pause(retry);
    retry = std::min(retry * 2, std::max(options_.standby_retry_max, kFirstRetry));
  }
}

void Relay::Lead(pqxx::connection& conn) {
  // libpqxx reopens a broken connection by itself, and the new session would not hold the
  // lock: every batch first checks that the session is still the one that took it.
  const int locked_session = conn.backendpid();
  // The claim is prepared once per session (libpqxx prepares it again on a reopened one): the
  // planner's generic plan is the two ordered index ranges, and no claim pays for planning.
  conn.prepare("hc_outbox_claim", ClaimSql());
  leader_ = true;
  leader_gauge_.Set(1);
  spdlog::info("outbox relay {}: active", options_.service);
  auto give_up_lock = [&] {
    pqxx::nontransaction unlock(conn);
    unlock.exec("SELECT pg_advisory_unlock(" + std::to_string(kRelayLockKey) + ")");
  };
  Wakeup wakeup(conn);
  DeliveryReports reports;
  auto producer = kafka::NewIdempotentProducer(options_.brokers, &reports,
                                               "homecoming-" + options_.service + "-relay",
                                               options_.delivery_timeout, options_.security);
  if (!producer.ok()) {
    spdlog::error("outbox relay {}: {}", options_.service, producer.status().ToString());
    give_up_lock();
    return;
  }
  if (options_.on_new_producer) options_.on_new_producer(**producer);
  // A new leader knows nothing of the rows below any floor: it starts from the table's start.
  floor_ = 0;
  final_seq_ = 0;
  last_seq_seen_ = -1;
  pending_bounds_.clear();
  next_gauges_ = next_prune_ = std::chrono::steady_clock::now();
  while (!stop_) {
    BatchResult batch = PublishBatch(conn, **producer, locked_session);
    Tick(conn);
    if (batch.fatal) {
      // The idempotent producer can't go on (its sequence state is lost). Rows it did not
      // report delivered stay unpublished; giving up the lock lets a standby (or this relay,
      // with a new producer, after a pause) resume from the oldest of them, in seq order.
      producer_restarts_.Increment();
      give_up_lock();
      return;
    }
    if (batch.failed > 0) {
      // Rows that failed go again; don't spin on a lasting failure.
      for (int i = 0; i < 10 && !stop_; ++i) {
        Pause(std::chrono::milliseconds(100));
        Tick(conn);
      }
    } else if (batch.published == 0) {
      // Nothing to do: wait for the outbox trigger's NOTIFY, or idle_poll at most. In slices,
      // so that Stop() and the gauges don't wait for a long poll interval.
      constexpr auto kSlice = std::chrono::milliseconds(100);
      const auto until = std::chrono::steady_clock::now() + options_.idle_poll;
      for (auto now = std::chrono::steady_clock::now(); !stop_ && now < until;
           now = std::chrono::steady_clock::now()) {
        const auto wait = std::chrono::duration_cast<std::chrono::microseconds>(
            std::min<std::chrono::steady_clock::duration>(kSlice, until - now));
        if (conn.await_notification(0, static_cast<long>(wait.count())) > 0) break;
        Tick(conn);
      }
    }
  }
}

// Why the floor never passes a row that could still be published (so claiming from it finds every
// row the whole table would): a row below the floor is published, or has failed (attempts > 0,
// claimed by the second branch of ClaimSql whatever its seq), or was rolled back. The floor
// moves only over seqs that are final, whose transactions have all ended:
//  - every transaction takes its xid before its outbox row takes a seq (outbox_next_seq, the
//    column's default: no row may be inserted with a seq of its own), and the sequence hands
//    out each value as it is asked (CACHE 1: a backend holding a cached range could hand out
//    a low seq long after);
//  - a claim reads the sequence's last value S; the next claim reads the next xid N. Every
//    transaction that took a seq <= S had its xid before that, so its xid is below N;
//  - a later snapshot whose xmin is >= N has no transaction below N still running: every seq
//    <= S is then committed and visible to it, or never will be.
// In that snapshot the lowest unpublished row of attempts 0 from the floor up is `lowest`; the
// floor moves to min(lowest, S + 1). A transaction left open anywhere in the cluster holds xmin
// back, and with it the floor: claims cost more meanwhile, and find the same rows. So does a
// set-aside row: the fresh rows of its key wait behind it, and `lowest` stays at the first.
// Setting a row's attempts back to 0 by hand breaks the argument (its key's later rows could
// go first); the gauges' pass finds such a row within metrics_interval and claims from it.
void Relay::AdvanceFloor(long long snapshot_xmin, long long next_xid, long long last_seq,
                         std::optional<long long> lowest) {
  if (last_seq_seen_ >= 0) {
    // The previous claim's sequence value is final once every xid below this claim's next
    // xid has ended. Kept in order; a long transaction elsewhere can hold many, so past a few
    // hundred the newest is replaced (the floor then moves later, never wrongly).
    constexpr size_t kMaxPending = 256;
    if (pending_bounds_.size() >= kMaxPending) pending_bounds_.pop_back();
    pending_bounds_.push_back({next_xid, last_seq_seen_});
  }
  last_seq_seen_ = last_seq;
  while (!pending_bounds_.empty() && pending_bounds_.front().first <= snapshot_xmin) {
    final_seq_ = std::max(final_seq_, pending_bounds_.front().second);
    pending_bounds_.pop_front();
  }
  long long floor = final_seq_ + 1;
  if (lowest) floor = std::min(floor, *lowest);
  if (floor > floor_) floor_ = floor;
}

// Per-key order: the rows of one key (topic and msg_key) are published in seq order, and a row
// is marked published only when every earlier unpublished row of its key is marked in the same
// or an earlier transaction. Three things keep it:
//  - The batch takes no row that has a failing (attempts > 0) unpublished row of its key before
//    it: the rows behind a failing or set-aside row wait until it is published.
//  - Within a batch, once a row of key K fails at produce() (or is held), no later row of K is
//    produced in that batch.
//  - After the delivery reports, only each key's leading run of delivered rows is marked; from
//    the first row of K that failed (or has no report), K's later rows stay unpublished even if
//    Kafka took them, and go again after it (consumers drop the repeat by ce_id).
// A failed report also purges the producer's queue, so that the rows not yet sent are not put
// after the gap; rows already in flight may still land (see README.md, "Outbox").
Relay::BatchResult Relay::PublishBatch(pqxx::connection& conn, RdKafka::Producer& producer,
                                       int locked_session) {
  pqxx::result claimed;
  {
    // One statement, so no BEGIN/COMMIT around it: a round trip instead of three on the path of
    // every lone row (the statement has its own snapshot all the same).
    pqxx::nontransaction tx(conn);
    if (conn.backendpid() != locked_session) {
      throw pqxx::broken_connection("relay session replaced: advisory lock lost");
    }
    claimed = tx.exec_prepared("hc_outbox_claim", options_.batch_size, floor_.load());
  }
  BatchResult result;
  // Columns 0-3 are the snapshot's figures (on every row, and on the one row of NULLs when
  // there is nothing to claim); the rows themselves start at kRow.
  constexpr int kRow = 4;
  const auto& meta = claimed.at(0);
  AdvanceFloor(meta[0].as<long long>(), meta[1].as<long long>(), meta[2].as<long long>(),
               meta[3].is_null() ? std::optional<long long>() : meta[3].as<long long>());
  if (meta[kRow].is_null()) return result;
  const auto row_at = [&](size_t i) { return claimed[static_cast<pqxx::result::size_type>(i)]; };
  // A row that failed before goes again alone: the broker refuses whole record batches, so a
  // failure shared with neighbours says nothing about them, and attempts must count the row's
  // own failures. The batch stops before such a row, or is that row alone.
  size_t take = claimed.size();
  for (size_t i = 0; i < claimed.size(); ++i) {
    if (row_at(i)[kRow + 7].as<int>() > 0) {
      take = i == 0 ? 1 : i;
      break;
    }
  }

  std::vector<Pending> pending(take);
  std::set<std::string> held;  // keys with a row that failed at produce() in this batch
  for (size_t i = 0; i < take && !stop_; ++i) {
    const auto row = row_at(i);
    Pending& p = pending[i];
    p.seq = row[kRow].as<long long>();
    const std::string topic = row[kRow + 2].as<std::string>();
    const std::string key = row[kRow + 3].as<std::string>();
    p.key = topic + '\0' + key;
    if (held.count(p.key)) continue;
    pqxx::binarystring payload(row[kRow + 5]);
    std::map<std::string, std::string> headers = {
        {kafka::kCeSpecVersion, "1.0"},
        {kafka::kCeId, row[kRow + 1].as<std::string>()},
        {kafka::kCeType, row[kRow + 4].as<std::string>()},
        {kafka::kCeSource, "/homecoming/" + options_.service},
        {kafka::kCeTime, row[kRow + 6].as<std::string>()},
        {kafka::kContentType, "application/protobuf"},
    };
    RdKafka::Headers* rd_headers = kafka::NewHeaders(headers);
    RdKafka::ErrorCode err;
    // A full local queue is back-pressure: serve delivery reports and try again.
    while ((err = producer.produce(topic, RdKafka::Topic::PARTITION_UA,
                                   RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(payload.get()),
                                   payload.size(), key.data(), key.size(), 0, rd_headers, &p)) ==
               RdKafka::ERR__QUEUE_FULL &&
           !stop_) {
      producer.poll(100);
      Tick(conn);
    }
    if (err != RdKafka::ERR_NO_ERROR) {
      delete rd_headers;  // produce() owns the headers only when it succeeds
      p.error = err;
      p.done = true;
      held.insert(p.key);
      if (Classify(err) == Failure::kFatal) break;
      continue;
    }
    p.produced = true;
  }

  // Wait for every delivery report; the broker may be away for up to delivery_timeout, and the
  // gauges keep being refreshed meanwhile. flush() rather than poll(): it sends what is queued
  // at once instead of after linger.ms. The batch is complete by now (nothing more will join
  // it before its reports), so lingering would only add linger.ms to every lone row at light
  // load; with a backlog the batch's rows were produced together and go in full record batches.
  auto all_done = [&] {
    for (const Pending& p : pending) {
      if (p.produced && !p.done) return false;
    }
    return true;
  };
  bool purged = false;
  std::string fatal_reason;
  while (!all_done() && !stop_) {
    // After a fatal error the outstanding rows may never be reported; they go again.
    if (producer.fatal_error(fatal_reason) != RdKafka::ERR_NO_ERROR) break;
    producer.flush(100);
    bool any_failed = false;
    for (const Pending& p : pending) {
      if (p.done && p.error != RdKafka::ERR_NO_ERROR) any_failed = true;
    }
    if (any_failed && !purged) {
      producer.purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_NON_BLOCKING);
      purged = true;
    }
    Tick(conn);
  }
  if (!all_done()) {
    // Stopping, or fatal: the broker may or may not have these; they will go again (ce_id
    // dedupes).
    producer.purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer.poll(0);
  }
  if (producer.fatal_error(fatal_reason) != RdKafka::ERR_NO_ERROR) {
    spdlog::error("outbox relay {}: fatal producer error: {}", options_.service, fatal_reason);
    result.fatal = true;
  }

  std::vector<long long> delivered;
  struct RowFailure {
    long long seq;
    Failure kind;
    std::string error;
  };
  std::vector<RowFailure> row_failures;
  std::set<std::string> blocked;  // keys whose later rows in this batch must not be marked
  for (const Pending& p : pending) {
    if (p.seq == 0 || blocked.count(p.key)) continue;  // not reached, or behind a failure
    if (p.produced && p.done && p.error == RdKafka::ERR_NO_ERROR) {
      delivered.push_back(p.seq);
      continue;
    }
    blocked.insert(p.key);
    publish_errors_.Increment();
    Failure kind = p.done ? Classify(p.error) : Failure::kTransient;
    // The broker refuses a whole record batch (several rows of one partition) at once: a size
    // or validity error in a delivery report may belong to a neighbour, so it counts as an
    // attempt (the row goes again alone after its backoff, and is set aside after
    // max_attempts) rather than setting the row aside at once. produce() refusing a row speaks
    // of that row alone.
    if (p.produced && kind == Failure::kPermanent) kind = Failure::kRow;
    if (kind == Failure::kFatal) result.fatal = true;
    if (kind == Failure::kRow || kind == Failure::kPermanent) {
      row_failures.push_back({p.seq, kind, RdKafka::err2str(p.error)});
    } else {
      ++result.failed;
    }
  }

  if (!delivered.empty() || !row_failures.empty()) {
    pqxx::work tx(conn);
    if (!delivered.empty()) {
      tx.exec_params("UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])",
                     SeqArray(delivered));
      // After the UPDATE (see ForgetSubject): rows of members erased meanwhile go now.
      tx.exec_params("DELETE FROM outbox WHERE seq = ANY($1::bigint[]) AND forget",
                     SeqArray(delivered));
    }
    for (const RowFailure& f : row_failures) {
      // Backoff 2, 4, 8 ... s up to 5 minutes; the error text is librdkafka's, never the row's.
      auto set_aside = tx.exec_params1(
          "UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
          "retry_at = now() + make_interval(secs => least(power(2, attempts + 1), 300)), "
          "set_aside_at = CASE WHEN $3 OR attempts + 1 >= $4 THEN now() END "
          "WHERE seq = $1 RETURNING set_aside_at IS NOT NULL",
          f.seq, f.error, f.kind == Failure::kPermanent, options_.max_attempts);
      if (set_aside[0].as<bool>()) {
        set_aside_total_.Increment();
        spdlog::error("outbox relay {}: row {} set aside, its key waits: {}", options_.service,
                      f.seq, f.error);
      } else {
        ++result.failed;
        spdlog::warn("outbox relay {}: row {} failed, retried later: {}", options_.service, f.seq,
                     f.error);
      }
    }
    tx.commit();
    published_.Increment(static_cast<double>(delivered.size()));
  }
  result.published = static_cast<int>(delivered.size());
  return result;
}

// Never throws: it runs while a batch has rows in flight, whose delivery reports point into
// that batch; a database error here is logged, and the batch's own statements end the session.
void Relay::Tick(pqxx::connection& conn) {
  const auto now = std::chrono::steady_clock::now();
  try {
    if (now >= next_gauges_) {
      next_gauges_ = now + options_.metrics_interval;
      UpdateGauges(conn);
    }
    if (now >= next_prune_) {
      next_prune_ = now + options_.prune_interval;
      Prune(conn);
    }
  } catch (const std::exception& e) {
    spdlog::warn("outbox relay {}: measuring or pruning the outbox: {}", options_.service,
                 postgres::FromException(e).ToString());
  }
}

void Relay::UpdateGauges(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto row = tx.exec1(GaugesSql());
  backlog_.Set(row[0].as<double>());
  oldest_age_.Set(row[1].as<double>());
  set_aside_rows_.Set(row[2].as<double>());
  // The whole table, checked against the floor: a row of attempts 0 below it can only come of
  // a hand edit (attempts set back to 0); it is claimed again from there rather than forgotten.
  if (!row[3].is_null() && row[3].as<long long>() < floor_) {
    spdlog::warn(
        "outbox relay {}: row {} below the claim floor {} is unpublished; claiming from it",
        options_.service, row[3].as<long long>(), floor_.load());
    floor_ = row[3].as<long long>();
  }
}

// Bounded statements, so that pruning a long-neglected table never holds the relay (or a lock
// on many rows) for long; what is left goes at the next prune_interval.
void Relay::Prune(pqxx::connection& conn) {
  constexpr int kStatementsPerTick = 10;
  const double retention_seconds = static_cast<double>(
      std::chrono::duration_cast<std::chrono::seconds>(options_.retention).count());
  for (int i = 0; i < kStatementsPerTick && !stop_; ++i) {
    pqxx::work tx(conn);
    auto deleted = tx.exec_params(
        "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox "
        "WHERE published_at < now() - make_interval(secs => $1) ORDER BY published_at LIMIT $2)",
        retention_seconds, options_.prune_batch);
    tx.commit();
    pruned_.Increment(static_cast<double>(deleted.affected_rows()));
    if (static_cast<int>(deleted.affected_rows()) < options_.prune_batch) break;
  }
  pqxx::read_transaction tx(conn);
  table_rows_.Set(tx.exec1("SELECT count(*) FROM outbox")[0].as<double>());
}

}  // namespace hc::outbox
