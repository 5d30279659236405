#include "services/notifications/src/app.h"

#include <spdlog/spdlog.h>

#include "libs/kafka/consumer.h"
#include "libs/service/membership_consumer.h"
#include "libs/service/runtime.h"
#include "libs/status/status.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/api/notifications_service.h"
#include "services/notifications/src/api/unsubscribe_http.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/channels/sms.h"
#include "services/notifications/src/domain/unsubscribe.h"
#include "services/notifications/src/messaging/event_facts_handler.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/messaging/volunteering_facts_handler.h"
#include "services/notifications/src/storage/notification_store.h"

// Generated from services/notifications/migrations/ (see hc_embed_migrations).
const std::vector<hc::postgres::Migration>& notifications_lib_migrations();

namespace notifications {

hc::config::ServiceSettings Settings::Defaults() {
  hc::config::ServiceSettings d;
  d.server.address = "127.0.0.1:17004";
  d.metrics_address = "127.0.0.1:17104";
  return d;
}

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  s.membership_topic = env.String("HC_MEMBERSHIP_TOPIC", s.membership_topic);
  s.consumer_group = env.String("HC_CONSUMER_GROUP", s.consumer_group);
  s.events_topic = env.String("HC_EVENTS_TOPIC", s.events_topic);
  s.events_consumer_group = env.String("HC_EVENTS_CONSUMER_GROUP", s.events_consumer_group);
  s.volunteering_topic = env.String("HC_VOLUNTEERING_TOPIC", s.volunteering_topic);
  s.volunteering_consumer_group =
      env.String("HC_VOLUNTEERING_CONSUMER_GROUP", s.volunteering_consumer_group);
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  HC_ASSIGN_OR_RETURN(s.channels, channels::ChannelSettings::FromEnv(env));
  return s;
}

namespace {

storage::Time Now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// A consumer of another service's facts (inbox dedupe, DLQ) that `handler` turns into inbox
// items.
hc::kafka::Consumer FactsConsumer(hc::service::Runtime& runtime,
                                  const hc::config::ServiceSettings& settings,
                                  const std::string& topic, const std::string& group,
                                  messaging::InboxFactsHandler& handler) {
  return hc::kafka::Consumer(
      {.brokers = settings.kafka_brokers,
       .group_id = group,
       .topics = {topic},
       .service = "notifications",
       .after_commit = [&handler](const hc::kafka::Message&) { handler.AfterCommit(); }},
      runtime.pool,
      [&handler](hc::postgres::Tx& tx, const hc::kafka::Message& m) {
        return handler.Handle(tx, m);
      },
      runtime.exposer.registry());
}

// The key signing unsubscribe links (checked by App::Start), or a random one per process.
domain::UnsubscribeKey UnsubscribeKeyOf(const channels::ChannelSettings& settings) {
  if (settings.unsubscribe_key_hex.empty()) {
    spdlog::warn(
        "HC_UNSUBSCRIBE_KEY_FILE not set: unsubscribe links are signed with a random key and "
        "stop working when notifications restarts");
    return domain::UnsubscribeKey::Generate();
  }
  return *domain::UnsubscribeKey::FromHex(settings.unsubscribe_key_hex);
}

}  // namespace

struct App::Parts {
  explicit Parts(const Settings& settings)
      : runtime(settings.service, {.name = "notifications",
                                   .grpc_service = "alumni.notifications.v1.NotificationsService",
                                   .cache_name = "notifications"}),
        store(runtime.pool),
        service(runtime.runner, store, zones, [] { return std::chrono::system_clock::now(); }),
        membership(
            runtime, settings.service,
            {.topic = settings.membership_topic,
             .group = settings.consumer_group,
             .service = "notifications"},
            [this](hc::postgres::Tx& tx, const std::string& member_id) {
              store.EraseMemberIn(tx, member_id);
              // Nothing of a member is cached.
              return std::vector<std::string>();
            },
            [](const std::string&) {}),
        deliveries(store, Now, runtime.exposer.registry()),
        event_facts(deliveries, messaging::EventFactItems),
        events(FactsConsumer(runtime, settings.service, settings.events_topic,
                             settings.events_consumer_group, event_facts)),
        volunteering_facts(deliveries, messaging::VolunteeringFactItems),
        volunteering(FactsConsumer(runtime, settings.service, settings.volunteering_topic,
                                   settings.volunteering_consumer_group, volunteering_facts)),
        email(std::make_unique<channels::SmtpSender>(settings.channels.smtp)),
        sms(std::make_unique<channels::HttpSmsSender>(settings.channels.sms)),
        unsubscribe_key(UnsubscribeKeyOf(settings.channels)),
        unsubscribe_http(store, unsubscribe_key, Now) {}

  hc::service::Runtime runtime;
  hc::tz::SystemTimeZones zones;
  storage::NotificationStore store;
  api::NotificationsService service;
  hc::service::MembershipConsumer membership;
  messaging::InboxDeliveries deliveries;
  messaging::InboxFactsHandler event_facts;
  hc::kafka::Consumer events;
  messaging::InboxFactsHandler volunteering_facts;
  hc::kafka::Consumer volunteering;
  // The channels the dispatcher sends through.
  std::unique_ptr<channels::EmailSender> email;
  std::unique_ptr<channels::SmsSender> sms;
  domain::UnsubscribeKey unsubscribe_key;
  api::UnsubscribeHttp unsubscribe_http;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(
      settings_.service, notifications_lib_migrations(), /*consumes_events=*/true));
  if (const std::string& hex = settings_.channels.unsubscribe_key_hex; !hex.empty()) {
    HC_RETURN_IF_ERROR(domain::UnsubscribeKey::FromHex(hex).status());
  }
  parts_ = std::make_unique<Parts>(settings_);
  HC_RETURN_IF_ERROR(parts_->membership.Start());
  HC_RETURN_IF_ERROR(parts_->events.Start());
  HC_RETURN_IF_ERROR(parts_->volunteering.Start());
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service}));
  HC_RETURN_IF_ERROR(parts_->unsubscribe_http.Start(settings_.channels.http_address));
  spdlog::info("notifications serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  // The consumers first: a fact they are handling commits or is redelivered later.
  // The unsubscribe endpoint first too: it writes preferences through the pool.
  parts_->unsubscribe_http.Stop();
  parts_->volunteering.Stop();
  parts_->events.Stop();
  parts_->membership.Stop();
  parts_->runtime.Shutdown();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->runtime.grpc_port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->runtime.metrics_port() : 0; }
int App::http_port() const { return parts_ ? parts_->unsubscribe_http.port() : 0; }

}  // namespace notifications
