#include "services/membership/src/app.h"

#include <prometheus/counter.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "libs/crypto/crypto.h"
#include "libs/postgres/migrations.h"
#include "libs/service/runtime.h"
#include "libs/tz/time_zones.h"
#include "services/membership/src/api/membership_service.h"
#include "services/membership/src/domain/sobriety.h"
#include "services/membership/src/storage/member_store.h"

// Generated from services/membership/migrations/ (see hc_embed_migrations).
const std::vector<hc::postgres::Migration>& membership_lib_migrations();

namespace membership {

hc::config::ServiceSettings Settings::Defaults() {
  hc::config::ServiceSettings d;
  d.server.address = "127.0.0.1:17001";
  d.server.max_message_bytes = 64 * 1024;
  d.metrics_address = "127.0.0.1:17101";
  return d;
}

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  const std::string data_key_file = env.Required("HC_DATA_KEY_FILE");
  s.milestone_interval =
      std::chrono::seconds(env.Int("HC_MILESTONE_INTERVAL_SECONDS", 3600, 1, 86400));
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  auto data_key = hc::config::ReadFile(data_key_file);
  if (!data_key) {
    return absl::InvalidArgumentError("HC_DATA_KEY_FILE=" + data_key_file + " cannot be read");
  }
  s.data_key_hex = *data_key;
  if (auto keys = hc::crypto::DataKeys::FromHex(s.data_key_hex); !keys.ok()) {
    return absl::InvalidArgumentError("HC_DATA_KEY_FILE: " + std::string(keys.status().message()) +
                                      " (make one with: openssl rand -hex 32)");
  }
  return s;
}

struct App::Parts {
  explicit Parts(const Settings& settings)
      : runtime(settings.service, {.name = "membership",
                                   .grpc_service = "alumni.membership.v1.MembershipService",
                                   .cache_name = "member"}),
        keys(*hc::crypto::DataKeys::FromHex(settings.data_key_hex)),
        store(runtime.pool, keys),
        service(runtime.runner, store, runtime.cache, keys, zones, settings.service.cache_ttl,
                [] { return std::chrono::system_clock::now(); }) {}

  hc::service::Runtime runtime;
  hc::crypto::DataKeys keys;
  hc::tz::SystemTimeZones zones;
  storage::MemberStore store;
  api::MembershipService service;
  // Finished runs of the milestone job by outcome: tests and dashboards see that it runs.
  prometheus::Family<prometheus::Counter>& milestone_runs =
      prometheus::BuildCounter()
          .Name("hc_membership_milestone_runs_total")
          .Help("Runs of the sobriety milestone job, by result (ok, error).")
          .Register(runtime.exposer.registry());
  prometheus::Counter& milestone_runs_ok = milestone_runs.Add({{"result", "ok"}});
  prometheus::Counter& milestone_runs_error = milestone_runs.Add({{"result", "error"}});
  std::thread milestones;
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
};

void App::RunMilestones() {
  Parts& p = *parts_;
  for (;;) {
    auto announced = p.store.AnnounceMilestones(std::chrono::system_clock::now());
    if (!announced.ok()) {
      spdlog::warn("milestone job: {}", announced.status().ToString());
      p.milestone_runs_error.Increment();
    } else {
      if (*announced > 0) spdlog::info("milestone job: announced {} milestones", *announced);
      p.milestone_runs_ok.Increment();
    }
    std::unique_lock lock(p.mu);
    if (p.wake.wait_for(lock, settings_.milestone_interval, [&] { return p.stopping; })) return;
  }
}

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(settings_.service, membership_lib_migrations(),
                                                   /*consumes_events=*/false));
  parts_ = std::make_unique<Parts>(settings_);
  HC_ASSIGN_OR_RETURN(int sealed, parts_->store.SealPlainPrograms());
  if (sealed > 0) spdlog::info("sealed the program of {} members", sealed);
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service}));
  parts_->milestones = std::thread([this] { RunMilestones(); });
  spdlog::info("membership serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  {
    std::lock_guard lock(parts_->mu);
    parts_->stopping = true;
  }
  parts_->wake.notify_all();
  if (parts_->milestones.joinable()) parts_->milestones.join();
  parts_->runtime.Shutdown();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->runtime.grpc_port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->runtime.metrics_port() : 0; }

}  // namespace membership
