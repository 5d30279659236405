#include "services/events/src/app.h"

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "libs/grpc/server.h"
#include "libs/kafka/consumer.h"
#include "libs/metrics/metrics.h"
#include "libs/outbox/outbox.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "libs/redis/cache.h"
#include "services/events/src/api/events_service.h"
#include "services/events/src/domain/time_zones.h"
#include "services/events/src/events/event_facts.h"
#include "services/events/src/events/member_deleted.h"
#include "services/events/src/storage/event_store.h"

// Generated from services/events/migrations/ (see hc_embed_migrations).
const std::vector<hc::postgres::Migration>& events_lib_migrations();

namespace events {
namespace {

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0;
}

}  // namespace

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  s.grpc_address = env.Address("HC_GRPC_ADDR", s.grpc_address);
  s.metrics_address = env.Address("HC_METRICS_ADDR", s.metrics_address);
  s.database_url = env.Required("HC_DATABASE_URL");
  s.redis_address = env.Address("HC_REDIS_ADDR", "127.0.0.1:6379");
  s.kafka_brokers = env.Required("HC_KAFKA_BROKERS");
  s.events_topic = env.String("HC_EVENTS_TOPIC", s.events_topic);
  s.membership_topic = env.String("HC_MEMBERSHIP_TOPIC", s.membership_topic);
  s.consumer_group = env.String("HC_CONSUMER_GROUP", s.consumer_group);
  s.jwt.algorithm = env.String("HC_JWT_ALG", "HS256");
  s.jwt.issuer = env.String("HC_JWT_ISSUER", "homecoming-local");
  const std::string key_file = env.Required("HC_JWT_KEY_FILE");
  s.workers = static_cast<int>(env.Int("HC_WORKERS", s.workers, 1, 1024));
  s.work_queue = static_cast<int>(env.Int("HC_WORK_QUEUE", s.work_queue, 1, 100000));
  s.db_pool_size = static_cast<int>(env.Int("HC_DB_POOL_SIZE", s.db_pool_size, 1, 500));
  s.max_message_bytes =
      static_cast<int>(env.Int("HC_MAX_MESSAGE_BYTES", s.max_message_bytes, 1024, 16 << 20));
  s.cache_ttl = std::chrono::seconds(env.Int("HC_CACHE_TTL_SECONDS", 30, 1, 86400));
  s.shutdown_drain = std::chrono::milliseconds(env.Int("HC_SHUTDOWN_DRAIN_MS", 0, 0, 60000));
  s.shutdown_grace =
      std::chrono::milliseconds(env.Int("HC_SHUTDOWN_GRACE_MS", 10000, 0, 300000));
  s.log_level = env.String("HC_LOG_LEVEL", "info");
  const bool plaintext_ok = env.Bool("HC_ALLOW_PLAINTEXT_NON_LOOPBACK", false);
  HC_RETURN_IF_ERROR(env.Check());
  if (!IsLoopback(s.grpc_address) && !plaintext_ok) {
    return absl::InvalidArgumentError(
        "HC_GRPC_ADDR=" + s.grpc_address +
        " is not loopback: this build serves plaintext gRPC only; set "
        "HC_ALLOW_PLAINTEXT_NON_LOOPBACK=true only behind a mesh that provides mTLS");
  }
  std::ifstream in(key_file, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("HC_JWT_KEY_FILE=" + key_file + " cannot be read");
  std::ostringstream key;
  key << in.rdbuf();
  s.jwt.key = key.str();
  if (auto verifier = hc::auth::Verifier::Create(s.jwt); !verifier.ok()) {
    return absl::InvalidArgumentError("HC_JWT_*: " + std::string(verifier.status().message()));
  }
  return s;
}

struct App::Parts {
  explicit Parts(const Settings& s)
      : exposer(s.metrics_address),
        grpc_metrics(exposer.registry()),
        verifier(*hc::auth::Verifier::Create(s.jwt)),
        pool({.url = s.database_url, .size = static_cast<size_t>(s.db_pool_size)}),
        // One Redis connection per worker: a smaller pool would connect and close one per
        // command whenever more workers than connections use the cache at once.
        cache({.address = s.redis_address, .pool_size = static_cast<size_t>(s.workers)},
              exposer.registry(), "event"),
        relay({.brokers = s.kafka_brokers, .service = "events"}, pool, exposer.registry()),
        workers(static_cast<size_t>(s.workers), static_cast<size_t>(s.work_queue)),
        runner("alumni.events.v1.EventsService", verifier, workers, grpc_metrics),
        recorder(s.events_topic),
        store(pool, recorder),
        service(runner, store, cache, zones, s.cache_ttl,
                [] { return std::chrono::system_clock::now(); }),
        server({.address = s.grpc_address,
                .max_message_bytes = s.max_message_bytes,
                .drain = s.shutdown_drain,
                .grace = s.shutdown_grace},
               {&service}),
        member_deleted(
            store, [this](const std::string& event_id) { service.Invalidate(event_id); },
            [] {
              return std::chrono::time_point_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now());
            }),
        consumer({.brokers = s.kafka_brokers,
                  .group_id = s.consumer_group,
                  .topics = {s.membership_topic},
                  .service = "events",
                  .after_commit =
                      [this](const hc::kafka::Message& m) { member_deleted.AfterCommit(m); }},
                 pool,
                 [this](hc::postgres::Tx& tx, const hc::kafka::Message& m) {
                   return member_deleted.Handle(tx, m);
                 },
                 exposer.registry()) {}

  hc::metrics::Exposer exposer;
  hc::metrics::GrpcServerMetrics grpc_metrics;
  hc::auth::Verifier verifier;
  hc::postgres::Pool pool;
  hc::redis::Cache cache;
  hc::outbox::Relay relay;
  hc::grpc_server::WorkerPool workers;
  hc::grpc_server::UnaryRunner runner;
  domain::SystemTimeZones zones;
  facts::Recorder recorder;
  storage::EventStore store;
  api::EventsService service;
  hc::grpc_server::Server server;
  facts::MemberDeletedHandler member_deleted;
  hc::kafka::Consumer consumer;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  std::vector<hc::postgres::Migration> migrations = {hc::outbox::Migration(),
                                                      hc::kafka::Consumer::InboxMigration()};
  for (const auto& m : events_lib_migrations()) migrations.push_back(m);
  HC_RETURN_IF_ERROR(hc::postgres::Migrate(settings_.database_url, migrations));
  parts_ = std::make_unique<Parts>(settings_);
  parts_->relay.Start();
  HC_RETURN_IF_ERROR(parts_->consumer.Start());
  HC_RETURN_IF_ERROR(parts_->server.Start());
  spdlog::info("events serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  parts_->server.Shutdown();
  parts_->workers.Stop();
  parts_->consumer.Stop();
  parts_->relay.Stop();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->server.port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->exposer.port() : 0; }

}  // namespace events
