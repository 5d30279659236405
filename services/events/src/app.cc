#include "services/events/src/app.h"

#include <spdlog/spdlog.h>

#include "libs/postgres/migrations.h"
#include "libs/service/membership_consumer.h"
#include "libs/service/runtime.h"
#include "libs/tz/time_zones.h"
#include "services/events/src/api/events_service.h"
#include "services/events/src/messaging/event_facts.h"
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
  s.membership_address = env.Address("HC_MEMBERSHIP_ADDR", s.membership_address);
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  hc::grpc_client::ChannelOptions membership = s.service.client;
  membership.address = s.membership_address;
  if (auto channel = hc::grpc_client::MakeChannel(membership); !channel.ok()) {
    return absl::InvalidArgumentError("HC_MEMBERSHIP_ADDR: " +
                                      std::string(channel.status().message()));
  }
  return s;
}

namespace {

std::shared_ptr<grpc::Channel> MembershipChannel(const Settings& settings) {
  hc::grpc_client::ChannelOptions options = settings.service.client;
  options.address = settings.membership_address;
  // Checked in Settings::FromEnv; tests build Settings directly with loopback addresses.
  return *hc::grpc_client::MakeChannel(options);
}

}  // namespace

struct App::Parts {
  explicit Parts(const Settings& settings)
      : runtime(settings.service, {.name = "events",
                                   .grpc_service = "alumni.events.v1.EventsService",
                                   .cache_name = "event"}),
        recorder(settings.events_topic),
        store(runtime.pool, recorder),
        names(MembershipChannel(settings),
              {.service = "events",
               .token_file = settings.service.service_token_file,
               .jwt = settings.service.jwt},
              std::chrono::milliseconds(2000), &runtime.client_metrics),
        service(runtime.runner, store, runtime.cache, zones, names, settings.service.cache_ttl,
                [] { return std::chrono::system_clock::now(); }),
        membership(
            runtime, settings.service,
            {.topic = settings.membership_topic,
             .group = settings.consumer_group,
             .service = "events"},
            [this](hc::postgres::Tx& tx, const std::string& member_id) {
              return store.EraseMemberIn(tx, member_id,
                                         std::chrono::time_point_cast<std::chrono::milliseconds>(
                                             std::chrono::system_clock::now()));
            },
            [this](const std::string& event_id) { service.Invalidate(event_id); }) {}

  hc::service::Runtime runtime;
  hc::tz::SystemTimeZones zones;
  facts::Recorder recorder;
  storage::EventStore store;
  members::MembershipNames names;
  api::EventsService service;
  hc::service::MembershipConsumer membership;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(settings_.service, events_lib_migrations(),
                                                   /*consumes_events=*/true));
  parts_ = std::make_unique<Parts>(settings_);
  HC_RETURN_IF_ERROR(parts_->membership.Start());
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service}));
  spdlog::info("events serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  // The consumer first: a fact it is handling commits or is redelivered later.
  parts_->membership.Stop();
  parts_->runtime.Shutdown();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->runtime.grpc_port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->runtime.metrics_port() : 0; }

}  // namespace events
