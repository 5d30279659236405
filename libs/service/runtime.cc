#include "libs/service/runtime.h"

#include "libs/kafka/consumer.h"

namespace hc::service {

Runtime::Runtime(const config::ServiceSettings& s, RuntimeOptions options)
    : exposer(s.metrics_address),
      grpc_metrics(exposer.registry()),
      verifier(*auth::Verifier::Create(s.jwt)),
      pool({.url = s.database_url, .size = static_cast<size_t>(s.db_pool_size)}),
      // One Redis connection per worker (see CacheOptions::pool_size).
      cache({.address = s.redis_address, .pool_size = static_cast<size_t>(s.workers)},
            exposer.registry(), options.cache_name),
      relay({.brokers = s.kafka_brokers, .service = options.name, .retention = s.outbox_retention},
            pool, exposer.registry()),
      workers(static_cast<size_t>(s.workers), static_cast<size_t>(s.work_queue)),
      runner(options.grpc_service, verifier, workers, grpc_metrics),
      server_options_(s.server) {}

Runtime::~Runtime() { Shutdown(); }

absl::Status Runtime::Migrate(const config::ServiceSettings& settings,
                              const std::vector<postgres::Migration>& service_migrations,
                              bool consumes_events) {
  std::vector<postgres::Migration> all = outbox::Migrations();
  if (consumes_events) all.push_back(kafka::Consumer::InboxMigration());
  all.insert(all.end(), service_migrations.begin(), service_migrations.end());
  return postgres::Migrate(settings.database_url, all);
}

absl::Status Runtime::Serve(std::vector<grpc::Service*> services) {
  relay.Start();
  server_ = std::make_unique<grpc_server::Server>(server_options_, std::move(services));
  return server_->Start();
}

void Runtime::Shutdown() {
  if (server_) server_->Shutdown();
  workers.Stop();
  relay.Stop();
}

}  // namespace hc::service
