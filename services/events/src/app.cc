#include "services/events/src/app.h"

#include <spdlog/spdlog.h>

#include "libs/grpc/server.h"
#include "libs/kafka/consumer.h"
#include "libs/metrics/metrics.h"
#include "libs/outbox/outbox.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "libs/redis/cache.h"
#include "libs/tz/time_zones.h"
#include "services/events/src/api/events_service.h"
#include "services/events/src/events/event_facts.h"
#include "services/events/src/events/member_deleted.h"
#include "services/events/src/storage/event_store.h"

// Generated from services/events/migrations/ (see hc_embed_migrations).
const std::vector<hc::postgres::Migration>& events_lib_migrations();

namespace events {

hc::config::ServiceSettings Settings::Defaults() {
  hc::config::ServiceSettings d;
  d.server.address = "127.0.0.1:17002";
  d.server.max_message_bytes = 1024 * 1024;
  d.metrics_address = "127.0.0.1:17102";
  d.cache_ttl = std::chrono::seconds(30);
  return d;
}

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  s.events_topic = env.String("HC_EVENTS_TOPIC", s.events_topic);
  s.membership_topic = env.String("HC_MEMBERSHIP_TOPIC", s.membership_topic);
  s.consumer_group = env.String("HC_CONSUMER_GROUP", s.consumer_group);
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  return s;
}

struct App::Parts {
  explicit Parts(const Settings& settings) : Parts(settings, settings.service) {}
  Parts(const Settings& settings, const hc::config::ServiceSettings& s)
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
        recorder(settings.events_topic),
        store(pool, recorder),
        service(runner, store, cache, zones, s.cache_ttl,
                [] { return std::chrono::system_clock::now(); }),
        server(s.server, {&service}),
        member_deleted(
            store, [this](const std::string& event_id) { service.Invalidate(event_id); },
            [] {
              return std::chrono::time_point_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now());
            }),
        consumer(
            {.brokers = s.kafka_brokers,
             .group_id = settings.consumer_group,
             .topics = {settings.membership_topic},
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
  hc::tz::SystemTimeZones zones;
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
  HC_RETURN_IF_ERROR(hc::postgres::Migrate(settings_.service.database_url, migrations));
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
