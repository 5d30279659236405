#include "services/notifications/src/app.h"

#include <spdlog/spdlog.h>

#include "absl/time/time.h"
#include "libs/kafka/consumer.h"
#include "libs/service/membership_consumer.h"
#include "libs/service/runtime.h"
#include "libs/status/status.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/api/inbox_stream.h"
#include "services/notifications/src/api/notifications_service.h"
#include "services/notifications/src/messaging/attendance_effects.h"
#include "services/notifications/src/messaging/event_facts_handler.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/messaging/membership_facts_handler.h"
#include "services/notifications/src/messaging/reminder_poller.h"
#include "services/notifications/src/messaging/volunteering_facts_handler.h"
#include "services/notifications/src/storage/attendance_store.h"
#include "services/notifications/src/storage/delivery_store.h"
#include "services/notifications/src/storage/inbox_listener.h"
#include "services/notifications/src/storage/interest_store.h"
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
  s.membership_facts_consumer_group =
      env.String("HC_MEMBERSHIP_FACTS_CONSUMER_GROUP", s.membership_facts_consumer_group);
  s.streams_per_member =
      static_cast<int>(env.Int("HC_STREAMS_PER_MEMBER", s.streams_per_member, 1, 100));
  s.max_streams = static_cast<int>(env.Int("HC_MAX_STREAMS", s.max_streams, 1, 100000));
  const std::string interval = env.String("HC_REMINDER_POLL_INTERVAL", "1s");
  absl::Duration parsed;
  if (!absl::ParseDuration(interval, &parsed) || parsed < absl::Milliseconds(10) ||
      parsed > absl::Hours(1)) {
    return absl::InvalidArgumentError(
        "HC_REMINDER_POLL_INTERVAL: must be a duration from 10ms to 1h, such as 1s");
  }
  s.reminder_poll_interval = absl::ToChronoMilliseconds(parsed);
  s.reminder_batch = static_cast<int>(env.Int("HC_REMINDER_BATCH", s.reminder_batch, 1, 10000));
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  return s;
}

namespace {

storage::Time Now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

// A consumer of another service's facts (inbox dedupe, DLQ) that `handler` turns into inbox
// items. `inbox_scope` (libs/kafka) for a topic another consumer of ours also reads.
template <typename Handler>
hc::kafka::Consumer FactsConsumer(hc::service::Runtime& runtime,
                                  const hc::config::ServiceSettings& settings,
                                  const std::string& topic, const std::string& group,
                                  Handler& handler, const std::string& inbox_scope = "") {
  return hc::kafka::Consumer(
      {.brokers = settings.kafka_brokers,
       .group_id = group,
       .topics = {topic},
       .service = "notifications",
       .after_commit = [&handler](const hc::kafka::Message&) { handler.AfterCommit(); },
       .inbox_scope = inbox_scope},
      runtime.pool,
      [&handler](hc::postgres::Tx& tx, const hc::kafka::Message& m) {
        return handler.Handle(tx, m);
      },
      runtime.exposer.registry());
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
        attendance(attendance_store, deliveries, Now),
        event_facts(deliveries, messaging::EventFactItems,
                    [this](hc::postgres::Tx& tx, const hc::kafka::Message& m,
                           messaging::InboxDeliveries::Tally& tally) {
                      return attendance.Events(tx, m, tally);
                    }),
        events(FactsConsumer(runtime, settings.service, settings.events_topic,
                             settings.events_consumer_group, event_facts)),
        volunteering_facts(deliveries, interests,
                           [this](hc::postgres::Tx& tx, const hc::kafka::Message& m,
                                  messaging::InboxDeliveries::Tally& tally) {
                             return attendance.Volunteering(tx, m, tally);
                           }),
        volunteering(FactsConsumer(runtime, settings.service, settings.volunteering_topic,
                                   settings.volunteering_consumer_group, volunteering_facts)),
        delivery_store(runtime.pool),
        membership_facts(deliveries, delivery_store, interests),
        // The MembershipConsumer above reads the same topic and records the same ce_ids.
        members(FactsConsumer(runtime, settings.service, settings.membership_topic,
                              settings.membership_facts_consumer_group, membership_facts,
                              /*inbox_scope=*/"members")),
        streams(
            {.max_per_member = settings.streams_per_member, .max_streams = settings.max_streams},
            store, runtime.verifier, runtime.workers, runtime.grpc_metrics,
            runtime.exposer.registry(), "alumni.notifications.v1.NotificationsService"),
        listener(
            {.url = settings.service.database_url},
            [this](const std::string& member_id) { streams.Wake(member_id); },
            [this] { streams.WakeAll(); }),
        reminders(runtime.pool, attendance_store, deliveries, Now,
                  {.interval = settings.reminder_poll_interval, .batch = settings.reminder_batch},
                  runtime.exposer.registry()) {
    service.ServeStreams(streams);
  }

  hc::service::Runtime runtime;
  hc::tz::SystemTimeZones zones;
  storage::NotificationStore store;
  storage::InterestStore interests;
  api::NotificationsService service;
  hc::service::MembershipConsumer membership;
  messaging::InboxDeliveries deliveries;
  // The attendance projection and reminders (events' and volunteering's effects step).
  storage::AttendanceStore attendance_store;
  messaging::AttendanceEffects attendance;
  messaging::InboxFactsHandler event_facts;
  hc::kafka::Consumer events;
  messaging::VolunteeringFactsHandler volunteering_facts;
  hc::kafka::Consumer volunteering;
  storage::DeliveryStore delivery_store;
  messaging::MembershipFactsHandler membership_facts;
  hc::kafka::Consumer members;
  // StreamInbox: the open streams, woken by the listener when an item of their member is
  // committed on any replica.
  api::InboxStreams streams;
  storage::InboxListener listener;
  messaging::ReminderPoller reminders;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(
      settings_.service, notifications_lib_migrations(), /*consumes_events=*/true));
  parts_ = std::make_unique<Parts>(settings_);
  HC_RETURN_IF_ERROR(parts_->membership.Start());
  HC_RETURN_IF_ERROR(parts_->events.Start());
  HC_RETURN_IF_ERROR(parts_->volunteering.Start());
  HC_RETURN_IF_ERROR(parts_->members.Start());
  parts_->streams.Start();
  parts_->listener.Start();
  parts_->reminders.Start();
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service}));
  spdlog::info("notifications serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  // A batch of reminders in flight commits or is taken again later.
  parts_->reminders.Stop();
  // Streams never end by themselves: they are finished (OK, the client reconnects elsewhere)
  // before the server drains, which would otherwise wait out its whole grace for them.
  parts_->streams.Shutdown(std::chrono::seconds(5));
  parts_->listener.Stop();
  // The consumers first: a fact they are handling commits or is redelivered later.
  parts_->members.Stop();
  parts_->volunteering.Stop();
  parts_->events.Stop();
  parts_->membership.Stop();
  parts_->runtime.Shutdown();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->runtime.grpc_port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->runtime.metrics_port() : 0; }

}  // namespace notifications
