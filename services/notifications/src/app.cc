#include "services/notifications/src/app.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/time/time.h"
#include "libs/crypto/crypto.h"
#include "libs/kafka/consumer.h"
#include "libs/service/membership_consumer.h"
#include "libs/service/runtime.h"
#include "libs/status/status.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/api/inbox_stream.h"
#include "services/notifications/src/api/notifications_service.h"
#include "services/notifications/src/api/unsubscribe_http.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/channels/sms.h"
#include "services/notifications/src/clients/subject_details.h"
#include "services/notifications/src/domain/templates.h"
#include "services/notifications/src/domain/unsubscribe.h"
#include "services/notifications/src/members/contacts.h"
#include "services/notifications/src/messaging/attendance_effects.h"
#include "services/notifications/src/messaging/dispatcher.h"
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
  const std::string data_key_file = env.Required("HC_DATA_KEY_FILE");
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
  s.membership_address = env.Address("HC_MEMBERSHIP_ADDR", s.membership_address);
  s.events_address = env.Address("HC_EVENTS_ADDR", s.events_address);
  s.volunteering_address = env.Address("HC_VOLUNTEERING_ADDR", s.volunteering_address);
  s.call_deadline = std::chrono::milliseconds(
      env.Int("HC_CALL_DEADLINE_MS", s.call_deadline.count(), 100, 30000));
  const std::string poll = env.String("HC_DISPATCH_POLL_INTERVAL", "250ms");
  absl::Duration poll_parsed;
  if (!absl::ParseDuration(poll, &poll_parsed) || poll_parsed < absl::Milliseconds(10) ||
      poll_parsed > absl::Minutes(10)) {
    return absl::InvalidArgumentError(
        "HC_DISPATCH_POLL_INTERVAL: must be a duration from 10ms to 10m, such as 250ms");
  }
  s.dispatch_poll_interval = absl::ToChronoMilliseconds(poll_parsed);
  s.dispatch_batch = static_cast<int>(env.Int("HC_DISPATCH_BATCH", s.dispatch_batch, 1, 1000));
  s.daily_cap = static_cast<int>(env.Int("HC_DAILY_CAP", s.daily_cap, 1, 1000));
  s.delivery_max_attempts =
      static_cast<int>(env.Int("HC_DELIVERY_MAX_ATTEMPTS", s.delivery_max_attempts, 1, 50));
  HC_ASSIGN_OR_RETURN(s.service, hc::config::ReadServiceSettings(env, Defaults()));
  HC_ASSIGN_OR_RETURN(s.channels, channels::ChannelSettings::FromEnv(env));
  auto data_key = hc::config::ReadFile(data_key_file);
  if (!data_key) {
    return absl::InvalidArgumentError("HC_DATA_KEY_FILE=" + data_key_file + " cannot be read");
  }
  s.data_key_hex = *data_key;
  if (auto keys = hc::crypto::DataKeys::FromHex(s.data_key_hex); !keys.ok()) {
    return absl::InvalidArgumentError("HC_DATA_KEY_FILE: " + std::string(keys.status().message()) +
                                      " (make one with: openssl rand -hex 32)");
  }
  for (const auto& [name, address] : {std::pair{"HC_MEMBERSHIP_ADDR", s.membership_address},
                                      std::pair{"HC_EVENTS_ADDR", s.events_address},
                                      std::pair{"HC_VOLUNTEERING_ADDR", s.volunteering_address}}) {
    hc::grpc_client::ChannelOptions options = s.service.client;
    options.address = address;
    if (auto channel = hc::grpc_client::MakeChannel(options); !channel.ok()) {
      return absl::InvalidArgumentError(std::string(name) + ": " +
                                        std::string(channel.status().message()));
    }
  }
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
       .inbox_scope = inbox_scope,
       .security = settings.kafka_security},
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

// A channel to another service (checked by Settings::FromEnv; tests build Settings directly
// with loopback addresses).
std::shared_ptr<grpc::Channel> ChannelTo(const Settings& settings, const std::string& address) {
  hc::grpc_client::ChannelOptions options = settings.service.client;
  options.address = address;
  return *hc::grpc_client::MakeChannel(options);
}

hc::grpc_client::ServiceToken::Options Identity(const Settings& settings) {
  return {.service = "notifications",
          .token_file = settings.service.service_token_file,
          .jwt = settings.service.jwt};
}

}  // namespace

struct App::Parts {
  explicit Parts(const Settings& settings)
      : runtime(settings.service, {.name = "notifications",
                                   .grpc_service = "alumni.notifications.v1.NotificationsService",
                                   .cache_name = "notifications"}),
        keys(*hc::crypto::DataKeys::FromHex(settings.data_key_hex)),
        store(runtime.pool),
        service(runtime.runner, store, runtime.cache, keys, zones, settings.service.cache_ttl,
                [] { return std::chrono::system_clock::now(); }),
        membership(
            runtime, settings.service,
            {.topic = settings.membership_topic,
             .group = settings.consumer_group,
             .service = "notifications"},
            [this](hc::postgres::Tx& tx, const std::string& member_id) {
              store.EraseMemberIn(tx, member_id);
              // Their cached inbox pages, retired after the commit.
              return std::vector<std::string>{member_id};
            },
            [this](const std::string& member_id) { InvalidateInbox(member_id); }),
        delivery_store(runtime.pool),
        deliveries(
            store, Now, runtime.exposer.registry(),
            {.deliveries = &delivery_store,
             .zones = &zones,
             .wake =
                 [this] {
                   if (email_dispatcher) email_dispatcher->Wake();
                   if (sms_dispatcher) sms_dispatcher->Wake();
                 }},
            [this](const std::vector<std::string>& member_ids) { InvalidateInboxes(member_ids); }),
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
                  runtime.exposer.registry()),
        email(std::make_unique<channels::SmtpSender>(settings.channels.smtp)),
        sms(std::make_unique<channels::HttpSmsSender>(settings.channels.sms)),
        unsubscribe_key(UnsubscribeKeyOf(settings.channels)),
        unsubscribe_http(store, unsubscribe_key, Now),
        contacts(ChannelTo(settings, settings.membership_address), Identity(settings),
                 settings.call_deadline, &runtime.client_metrics),
        details(ChannelTo(settings, settings.events_address),
                ChannelTo(settings, settings.volunteering_address), Identity(settings),
                {.deadline = settings.call_deadline, .metrics = &runtime.client_metrics}) {
    service.ServeStreams(streams);
    email_dispatcher = MakeDispatcher(settings, domain::Channel::kEmail);
    sms_dispatcher = MakeDispatcher(settings, domain::Channel::kSms);
  }

  // After a commit that changed what the member's ListInbox returns.
  void InvalidateInbox(const std::string& member_id) {
    runtime.cache.Invalidate(api::NotificationsService::InboxGenerationKey(member_id));
  }

  // The same for many members (a fan-out): one Redis round trip per kInvalidateBatch members
  // instead of one each, in batches so that one script run doesn't hold Redis for long.
  void InvalidateInboxes(const std::vector<std::string>& member_ids) {
    constexpr size_t kInvalidateBatch = 500;
    std::vector<std::string> keys;
    keys.reserve(std::min(member_ids.size(), kInvalidateBatch));
    for (const std::string& id : member_ids) {
      keys.push_back(api::NotificationsService::InboxGenerationKey(id));
      if (keys.size() == kInvalidateBatch) {
        runtime.cache.Invalidate(keys);
        keys.clear();
      }
    }
    if (!keys.empty()) runtime.cache.Invalidate(keys);
  }

  // The dispatcher of `channel`: renders with the templates, the details looked up at send
  // time and (email) a signed unsubscribe link, and sends through that channel's provider.
  std::unique_ptr<messaging::Dispatcher> MakeDispatcher(const Settings& settings,
                                                        domain::Channel channel) {
    const std::string public_base_url = settings.channels.public_base_url;
    messaging::Dispatcher::Options options{
        .channel = channel,
        .poll = settings.dispatch_poll_interval,
        .batch = settings.dispatch_batch,
        .daily_cap = settings.daily_cap,
        .retry = {.max_attempts = settings.delivery_max_attempts}};
    if (channel == domain::Channel::kEmail) {
      options.render_digest = [this, public_base_url](const std::vector<storage::Delivery>& items,
                                                      const members::Contact& contact,
                                                      const absl::TimeZone& zone) {
        std::vector<std::pair<domain::InboxKind, domain::Details>> listed;
        for (const auto& d : items) listed.emplace_back(d.kind, details.Lookup(d));
        const domain::RenderedEmail email =
            domain::RenderDigest(listed, zone, contact.display_name);
        return messaging::Dispatcher::Rendered{
            .subject = email.subject,
            .text = email.text,
            .unsubscribe_url = domain::UnsubscribeUrl(
                public_base_url, unsubscribe_key.Sign({.member_id = items.front().member_id,
                                                       .category = items.front().category}))};
      };
    }
    auto render = [this, channel, public_base_url](const storage::Delivery& d,
                                                   const members::Contact& contact,
                                                   const absl::TimeZone& zone) {
      domain::Details looked_up = details.Lookup(d);
      if (channel == domain::Channel::kSms) {
        return messaging::Dispatcher::Rendered{.text = domain::RenderSms(d.kind, looked_up, zone)};
      }
      // A mentorship introduction names the other party in the email's body: their display name,
      // and an address of theirs only when they chose to share it (the choice is on the
      // delivery, the address comes from membership now and is kept nowhere). Best effort, like
      // the other details: without an answer the email says less.
      if (!d.other_member_id.empty()) {
        const bool shares = d.other_shares_email || d.other_shares_phone;
        if (const auto other = contacts.Get(
                d.other_member_id, shares ? "notifications.mentorship_introduction.shared_contact"
                                          : "notifications.mentorship_introduction.name");
            other.ok()) {
          looked_up.other_name = other->display_name;
          if (d.other_shares_email) looked_up.other_email = other->email;
          if (d.other_shares_phone) looked_up.other_phone = other->phone;
        }
      }
      const domain::RenderedEmail email =
          domain::RenderEmail(d.kind, looked_up, zone, contact.display_name);
      return messaging::Dispatcher::Rendered{
          .subject = email.subject,
          .text = email.text,
          .unsubscribe_url = domain::UnsubscribeUrl(
              public_base_url,
              unsubscribe_key.Sign({.member_id = d.member_id, .category = d.category}))};
    };
    messaging::Dispatcher::Send send;
    if (channel == domain::Channel::kEmail) {
      send = [this](const messaging::Dispatcher::Outgoing& out) {
        return email->Send({.to = out.address,
                            .subject = out.subject,
                            .text = out.text,
                            .message_id = out.message_id,
                            .list_unsubscribe_url = out.unsubscribe_url});
      };
    } else {
      send = [this](const messaging::Dispatcher::Outgoing& out) {
        return sms->Send({.to = out.address, .body = out.text});
      };
    }
    return std::make_unique<messaging::Dispatcher>(
        std::move(options), runtime.pool, delivery_store, store, contacts, zones, std::move(render),
        std::move(send), Now, deliveries.family(), runtime.exposer.registry());
  }

  hc::service::Runtime runtime;
  hc::tz::SystemTimeZones zones;
  hc::crypto::DataKeys keys;
  storage::NotificationStore store;
  storage::InterestStore interests;
  api::NotificationsService service;
  hc::service::MembershipConsumer membership;
  // Email and SMS deliveries (due work for the dispatchers) and the consent projection.
  storage::DeliveryStore delivery_store;
  messaging::InboxDeliveries deliveries;
  // The attendance projection and reminders (events' and volunteering's effects step).
  storage::AttendanceStore attendance_store;
  messaging::AttendanceEffects attendance;
  messaging::InboxFactsHandler event_facts;
  hc::kafka::Consumer events;
  messaging::VolunteeringFactsHandler volunteering_facts;
  hc::kafka::Consumer volunteering;
  messaging::MembershipFactsHandler membership_facts;
  hc::kafka::Consumer members;
  // StreamInbox: the open streams, woken by the listener when an item of their member is
  // committed on any replica.
  api::InboxStreams streams;
  storage::InboxListener listener;
  messaging::ReminderPoller reminders;
  // The channels the dispatcher sends through.
  std::unique_ptr<channels::EmailSender> email;
  std::unique_ptr<channels::SmsSender> sms;
  domain::UnsubscribeKey unsubscribe_key;
  api::UnsubscribeHttp unsubscribe_http;
  members::MembershipContacts contacts;
  clients::ServiceSubjectDetails details;
  // Set last (they use everything above); woken by `deliveries` after a commit.
  std::unique_ptr<messaging::Dispatcher> email_dispatcher;
  std::unique_ptr<messaging::Dispatcher> sms_dispatcher;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(
      settings_.service, notifications_lib_migrations(), /*consumes_events=*/true));
  if (!hc::crypto::DataKeys::FromHex(settings_.data_key_hex).ok()) {
    return absl::InvalidArgumentError("the data key (HC_DATA_KEY_FILE) is missing or malformed");
  }
  if (const std::string& hex = settings_.channels.unsubscribe_key_hex; !hex.empty()) {
    HC_RETURN_IF_ERROR(domain::UnsubscribeKey::FromHex(hex).status());
  }
  parts_ = std::make_unique<Parts>(settings_);
  HC_RETURN_IF_ERROR(parts_->membership.Start());
  HC_RETURN_IF_ERROR(parts_->events.Start());
  HC_RETURN_IF_ERROR(parts_->volunteering.Start());
  HC_RETURN_IF_ERROR(parts_->members.Start());
  parts_->streams.Start();
  parts_->listener.Start();
  parts_->reminders.Start();
  parts_->email_dispatcher->Start();
  parts_->sms_dispatcher->Start();
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service}));
  HC_RETURN_IF_ERROR(parts_->unsubscribe_http.Start(settings_.channels.http_address));
  spdlog::info("notifications serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  // A batch of reminders in flight commits or is taken again later.
  parts_->reminders.Stop();
  // The message in hand is finished; claims not yet sent are released for other replicas.
  parts_->email_dispatcher->Stop();
  parts_->sms_dispatcher->Stop();
  // Streams never end by themselves: they are finished (OK, the client reconnects elsewhere)
  // before the server drains, which would otherwise wait out its whole grace for them.
  parts_->streams.Shutdown(std::chrono::seconds(5));
  parts_->listener.Stop();
  // The consumers first: a fact they are handling commits or is redelivered later.
  parts_->members.Stop();
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
