#include "libs/service/runtime.h"

#include "libs/kafka/consumer.h"

namespace hc::service {

Runtime::Runtime(const config::ServiceSettings& s, RuntimeOptions options)
    : exposer(s.metrics_address),
      grpc_metrics(exposer.registry()),
      client_metrics(exposer.registry()),
      verifier(*auth::Verifier::Create(s.jwt)),
      pool({.url = s.database_url, .size = static_cast<size_t>(s.db_pool_size)}),
      revocations(pool, verifier, exposer.registry()),
      // One Redis connection per worker (see CacheOptions::pool_size).
      // The near-cache holds the service's own keys ("events:...").
      cache({.connection = s.redis_connection(),
             .pool_size = static_cast<size_t>(s.workers),
             .local_bytes = s.cache_local_bytes,
             .local_prefixes = {options.name + ":"}},
            exposer.registry(), options.cache_name),
      relay({.brokers = s.kafka_brokers,
             .service = options.name,
             .retention = s.outbox_retention,
             .security = s.kafka_security},
            pool, exposer.registry()),
      workers(static_cast<size_t>(s.workers), static_cast<size_t>(s.work_queue)),
      runner(options.grpc_service, verifier, workers, grpc_metrics),
      server_options_(s.server) {}

Runtime::~Runtime() { Shutdown(); }

absl::Status Runtime::Migrate(const config::ServiceSettings& settings,
                              const std::vector<postgres::Migration>& service_migrations,
                              bool consumes_events) {
  std::vector<postgres::Migration> all = outbox::Migrations();
  all.push_back(identity::Migration());
  if (consumes_events) all.push_back(kafka::Consumer::InboxMigration());
  all.insert(all.end(), service_migrations.begin(), service_migrations.end());
  return postgres::Migrate(settings.database_url, all);
}

absl::Status Runtime::Serve(std::vector<grpc::Service*> services) {
  // Before the first call: a token revoked while this process was down stays refused.
  if (absl::Status loaded = revocations.Start(); !loaded.ok()) return loaded;
  relay.Start();
  server_ = std::make_unique<grpc_server::Server>(server_options_, std::move(services));
  return server_->Start();
}

void Runtime::Shutdown() {
  if (server_) server_->Shutdown();
  workers.Stop();
  relay.Stop();
  revocations.Stop();
}

}  // namespace hc::service
