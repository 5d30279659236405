#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "libs/auth/auth.h"
#include "libs/config/service_settings.h"
#include "libs/grpc/server.h"
#include "libs/grpc/worker_pool.h"
#include "libs/identity/identity.h"
#include "libs/metrics/metrics.h"
#include "libs/outbox/outbox.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "libs/redis/cache.h"

namespace hc::service {

struct RuntimeOptions {
  // Short name: outbox source `/homecoming/<name>`, relay lock, logs ("membership").
  std::string name;
  // The gRPC service's full name, for metrics ("alumni.membership.v1.MembershipService").
  std::string grpc_service;
  // Label of the cache's metrics ("member").
  std::string cache_name;
};

// The parts every Homecoming service runs, wired from ServiceSettings: the metrics endpoint,
// the token verifier (with revocations kept in step with the database), the database pool,
// the cache, the outbox relay, the worker pool and the unary RPC runner. A service builds its store
// and API on these, then calls Serve.
class Runtime {
 public:
  Runtime(const config::ServiceSettings& settings, RuntimeOptions options);
  ~Runtime();

  // Applies the outbox's and the revocations' tables (and the inbox's, for services that
  // consume), then the service's own migrations, under the migration lock.
  static absl::Status Migrate(const config::ServiceSettings& settings,
                              const std::vector<postgres::Migration>& service_migrations,
                              bool consumes_events);

  // Loads the revocations, starts the relay and serves `services` on the configured address.
  absl::Status Serve(std::vector<grpc::Service*> services);
  // Graceful: health NOT_SERVING, drain, in-flight calls finish, workers stop, relay stops.
  void Shutdown();

  int grpc_port() const { return server_ ? server_->port() : 0; }
  int metrics_port() const { return exposer.port(); }

  metrics::Exposer exposer;
  metrics::GrpcServerMetrics grpc_metrics;
  // Calls this service makes to others (membership's internal RPCs, ...).
  metrics::GrpcClientMetrics client_metrics;
  auth::Verifier verifier;
  postgres::Pool pool;
  identity::RevocationSync revocations;
  redis::Cache cache;
  outbox::Relay relay;
  grpc_server::WorkerPool workers;
  grpc_server::UnaryRunner runner;

 private:
  grpc_server::ServerOptions server_options_;
  std::unique_ptr<grpc_server::Server> server_;
};

}  // namespace hc::service
