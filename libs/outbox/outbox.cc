#include "libs/outbox/outbox.h"

#include <spdlog/spdlog.h>

#include <map>
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

}  // namespace

const postgres::Migration& Migration() {
  static const postgres::Migration kOutbox{"lib_outbox_0001", R"sql(
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
)sql"};
  return kOutbox;
}

std::string Append(postgres::Tx& tx, const std::string& topic, const std::string& key,
                   const google::protobuf::Message& event) {
  const std::string payload = event.SerializeAsString();
  pqxx::binarystring bytes(payload.data(), payload.size());
  auto row = tx.exec_params1(
      "INSERT INTO outbox (topic, msg_key, ce_type, payload) VALUES ($1, $2, $3, $4) "
      "RETURNING id::text",
      topic, key, event.GetDescriptor()->full_name(), bytes);
  return row[0].as<std::string>();
}

Relay::Relay(RelayOptions options, postgres::Pool& pool, prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      backlog_(prometheus::BuildGauge()
                   .Name("hc_outbox_backlog")
                   .Help("Outbox rows not yet published to Kafka.")
                   .Register(registry)
                   .Add({})),
      oldest_age_(prometheus::BuildGauge()
                      .Name("hc_outbox_oldest_unpublished_age_seconds")
                      .Help("Age of the oldest outbox row not yet published (0 when none).")
                      .Register(registry)
                      .Add({})),
      leader_gauge_(prometheus::BuildGauge()
                        .Name("hc_outbox_relay_leader")
                        .Help("1 while this process holds the relay lock and publishes.")
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

void Relay::Loop() {
  auto backoff = std::chrono::milliseconds(200);
  while (!stop_) {
    try {
      RunSession();
      backoff = std::chrono::milliseconds(200);
    } catch (const std::exception& e) {
      spdlog::warn("outbox relay {}: session ended: {}", options_.service,
                   postgres::FromException(e).ToString());
    }
    // Only the leader knows the backlog; a stand-by reports none rather than a stale figure.
    leader_ = false;
    leader_gauge_.Set(0);
    backlog_.Set(0);
    oldest_age_.Set(0);
    for (auto waited = std::chrono::milliseconds(0); waited < backoff && !stop_;
         waited += std::chrono::milliseconds(50)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

void Relay::RunSession() {
  auto conn = pool_.Connect();
  {
    // Only one relay per service publishes; the lock goes with the session.
    pqxx::nontransaction lock(*conn);
    bool got = lock.exec1("SELECT pg_try_advisory_lock(" + std::to_string(kRelayLockKey) + ")")[0]
                   .as<bool>();
    if (!got) return;  // stand by; Loop() retries after a pause
  }
  // libpqxx reopens a broken connection by itself, and the new session would not hold the
  // lock: every batch first checks that the session is still the one that took it.
  const int locked_session = conn->backendpid();
  leader_ = true;
  leader_gauge_.Set(1);
  spdlog::info("outbox relay {}: active", options_.service);
  Wakeup wakeup(*conn);
  DeliveryReports reports;
  auto producer = kafka::NewIdempotentProducer(options_.brokers, &reports,
                                               "homecoming-" + options_.service + "-relay");
  if (!producer.ok()) {
    spdlog::error("outbox relay {}: {}", options_.service, producer.status().ToString());
    return;
  }
  while (!stop_) {
    auto [published, failed] = PublishBatch(*conn, **producer, locked_session);
    UpdateBacklog(*conn);
    if (failed > 0) {
      // Rows that failed stay unpublished and go again; don't spin on a lasting failure.
      for (int i = 0; i < 20 && !stop_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } else if (published == 0) {
      conn->await_notification(
          0, static_cast<long>(std::chrono::microseconds(options_.idle_poll).count()));
    }
  }
}

std::pair<int, int> Relay::PublishBatch(pqxx::connection& conn, RdKafka::Producer& producer,
                                        int locked_session) {
  pqxx::result rows;
  {
    pqxx::read_transaction tx(conn);
    if (conn.backendpid() != locked_session) {
      throw pqxx::broken_connection("relay session replaced: advisory lock lost");
    }
    rows = tx.exec_params(
        "SELECT seq, id::text, topic, msg_key, ce_type, payload, "
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
        "FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT $1",
        options_.batch_size);
  }
  if (rows.empty()) return {0, 0};

  std::vector<Pending> pending(rows.size());
  size_t queued = 0;
  for (const auto& row : rows) {
    Pending& p = pending[queued];
    p.seq = row[0].as<long long>();
    pqxx::binarystring payload(row[5]);
    std::map<std::string, std::string> headers = {
        {kafka::kCeSpecVersion, "1.0"},
        {kafka::kCeId, row[1].as<std::string>()},
        {kafka::kCeType, row[4].as<std::string>()},
        {kafka::kCeSource, "/homecoming/" + options_.service},
        {kafka::kCeTime, row[6].as<std::string>()},
        {kafka::kContentType, "application/protobuf"},
    };
    const std::string topic = row[2].as<std::string>();
    const std::string key = row[3].as<std::string>();
    RdKafka::Headers* rd_headers = kafka::NewHeaders(headers);
    RdKafka::ErrorCode err;
    // A full local queue is back-pressure: serve delivery reports and try again.
    while ((err = producer.produce(topic, RdKafka::Topic::PARTITION_UA,
                                   RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(payload.get()),
                                   payload.size(), key.data(), key.size(), 0, rd_headers, &p)) ==
               RdKafka::ERR__QUEUE_FULL &&
           !stop_) {
      producer.poll(100);
    }
    if (err != RdKafka::ERR_NO_ERROR) {
      delete rd_headers;
      break;  // rows after this one wait for the next batch, keeping order
    }
    ++queued;
  }
  // Wait for every delivery report; the broker may be away for a while, so keep polling.
  auto all_done = [&] {
    for (size_t i = 0; i < queued; ++i) {
      if (!pending[i].done) return false;
    }
    return true;
  };
  while (!all_done() && !stop_) producer.poll(100);
  if (!all_done()) {
    // Stopping: the broker may or may not have these; they will go again (ce_id dedupes).
    producer.purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    producer.poll(0);
  }

  std::vector<long long> delivered;
  int failed = static_cast<int>(rows.size() - queued);
  for (size_t i = 0; i < queued; ++i) {
    if (pending[i].done && pending[i].error == RdKafka::ERR_NO_ERROR) {
      delivered.push_back(pending[i].seq);
    } else {
      ++failed;
    }
  }
  publish_errors_.Increment(failed);
  if (!delivered.empty()) {
    std::string list = "{";
    for (size_t i = 0; i < delivered.size(); ++i) {
      if (i) list += ",";
      list += std::to_string(delivered[i]);
    }
    list += "}";
    pqxx::work tx(conn);
    tx.exec_params("UPDATE outbox SET published_at = now() WHERE seq = ANY($1::bigint[])", list);
    tx.commit();
    published_.Increment(static_cast<double>(delivered.size()));
  }
  return {static_cast<int>(delivered.size()), failed};
}

void Relay::UpdateBacklog(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  auto row = tx.exec1(
      "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) "
      "FROM outbox WHERE published_at IS NULL");
  backlog_.Set(row[0].as<double>());
  oldest_age_.Set(row[1].as<double>());
}

}  // namespace hc::outbox
