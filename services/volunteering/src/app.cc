#include "services/volunteering/src/app.h"

#include <spdlog/spdlog.h>

#include "libs/crypto/crypto.h"
#include "libs/grpc/client.h"
#include "libs/kafka/consumer.h"
#include "libs/service/membership_consumer.h"
#include "libs/service/runtime.h"
#include "libs/status/status.h"
#include "libs/tz/time_zones.h"
#include "services/volunteering/src/api/mentorship_service.h"
#include "services/volunteering/src/api/volunteering_service.h"
#include "services/volunteering/src/members/catalogue.h"
#include "services/volunteering/src/members/eligibility.h"
#include "services/volunteering/src/members/names.h"
#include "services/volunteering/src/messaging/event_facts_handler.h"
#include "services/volunteering/src/messaging/facts.h"
#include "services/volunteering/src/messaging/mentorship_poller.h"
#include "services/volunteering/src/storage/hours_store.h"
#include "services/volunteering/src/storage/mentorship_store.h"
#include "services/volunteering/src/storage/role_store.h"

// Generated from services/volunteering/migrations/ (see hc_embed_migrations).
const std::vector<hc::postgres::Migration>& volunteering_lib_migrations();

namespace volunteering {

hc::config::ServiceSettings Settings::Defaults() {
  hc::config::ServiceSettings d;
  d.server.address = "127.0.0.1:17003";
  d.metrics_address = "127.0.0.1:17103";
  d.cache_ttl = std::chrono::seconds(30);
  return d;
}

absl::StatusOr<Settings> Settings::FromEnv(hc::config::Env& env) {
  Settings s;
  s.volunteering_topic = env.String("HC_VOLUNTEERING_TOPIC", s.volunteering_topic);
  s.membership_topic = env.String("HC_MEMBERSHIP_TOPIC", s.membership_topic);
  s.consumer_group = env.String("HC_CONSUMER_GROUP", s.consumer_group);
  s.events_topic = env.String("HC_EVENTS_TOPIC", s.events_topic);
  s.events_consumer_group = env.String("HC_EVENTS_CONSUMER_GROUP", s.events_consumer_group);
  s.membership_address = env.Address("HC_MEMBERSHIP_ADDR", s.membership_address);
  s.membership_deadline = std::chrono::milliseconds(
      env.Int("HC_MEMBERSHIP_DEADLINE_MS", s.membership_deadline.count(), 100, 30000));
  s.interest_tags_ttl = std::chrono::seconds(
      env.Int("HC_INTEREST_TAGS_TTL_SECONDS", s.interest_tags_ttl.count(), 0, 3600));
  s.withdraw_cutoff = std::chrono::minutes(
      env.Int("HC_WITHDRAW_CUTOFF_MINUTES", s.withdraw_cutoff.count(), 0, 14 * 24 * 60));
  const std::string data_key_file = env.Required("HC_DATA_KEY_FILE");
  s.mentor_response_window = std::chrono::hours(
      env.Int("HC_MENTOR_RESPONSE_HOURS", s.mentor_response_window.count(), 1, 14 * 24));
  s.mentorship_poll_interval = std::chrono::seconds(
      env.Int("HC_MENTORSHIP_POLL_SECONDS", s.mentorship_poll_interval.count(), 1, 3600));
  s.mentor_check_in_days =
      static_cast<int>(env.Int("HC_MENTOR_CHECK_IN_DAYS", s.mentor_check_in_days, 1, 365));
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

domain::Time Now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

}  // namespace

struct App::Parts {
  explicit Parts(const Settings& settings)
      : runtime(settings.service, {.name = "volunteering",
                                   .grpc_service = "alumni.volunteering.v1.VolunteeringService",
                                   .cache_name = "role"}),
        recorder(settings.volunteering_topic),
        keys(*hc::crypto::DataKeys::FromHex(settings.data_key_hex)),
        mentorship_facts(settings.volunteering_topic),
        mentorships(runtime.pool, keys, mentorship_facts, zones),
        store(runtime.pool, recorder),
        hours(runtime.pool, recorder),
        eligibility(MembershipChannel(settings),
                    {.service = "volunteering",
                     .token_file = settings.service.service_token_file,
                     .jwt = settings.service.jwt},
                    settings.membership_deadline, &runtime.client_metrics),
        names(MembershipChannel(settings),
              {.service = "volunteering",
               .token_file = settings.service.service_token_file,
               .jwt = settings.service.jwt},
              settings.membership_deadline, &runtime.client_metrics),
        catalogue(MembershipChannel(settings),
                  {.service = "volunteering",
                   .token_file = settings.service.service_token_file,
                   .jwt = settings.service.jwt},
                  {.deadline = settings.membership_deadline,
                   .ttl = settings.interest_tags_ttl,
                   .metrics = &runtime.client_metrics}),
        service(
            runtime.runner, store, hours, runtime.cache, zones, eligibility, names, catalogue,
            {.cache_ttl = settings.service.cache_ttl, .withdraw_cutoff = settings.withdraw_cutoff},
            [] { return std::chrono::system_clock::now(); }),
        mentorship_runner("alumni.volunteering.v1.MentorshipService", runtime.verifier,
                          runtime.workers, runtime.grpc_metrics),
        mentorship(mentorship_runner, mentorships, zones, eligibility, names,
                   {.response_window = settings.mentor_response_window},
                   [] { return std::chrono::system_clock::now(); }),
        mentorship_poller(mentorships, absl::Now,
                          {.interval = settings.mentorship_poll_interval,
                           .quiet = absl::Hours(24 * settings.mentor_check_in_days)}),
        membership(
            runtime, settings.service,
            {.topic = settings.membership_topic,
             .group = settings.consumer_group,
             .service = "volunteering"},
            [this](hc::postgres::Tx& tx, const std::string& member_id) {
              // Hours and mentorship first: RoleStore's erasure ends by forgetting the member's
              // outbox rows (mentorship's MEMBER_LEFT facts name only the other party).
              hours.EraseMemberIn(tx, member_id, Now());
              mentorships.EraseMemberIn(tx, member_id, absl::Now());
              return store.EraseMemberIn(tx, member_id, Now());
            },
            [this](const std::string& role_id) { service.Invalidate(role_id); }),
        event_facts(
            store, [this](const std::string& role_id) { service.Invalidate(role_id); }, Now),
        events(
            {.brokers = settings.service.kafka_brokers,
             .group_id = settings.events_consumer_group,
             .topics = {settings.events_topic},
             .service = "volunteering",
             .after_commit = [this](const hc::kafka::Message& m) { event_facts.AfterCommit(m); },
             .security = settings.service.kafka_security},
            runtime.pool,
            [this](hc::postgres::Tx& tx, const hc::kafka::Message& m) {
              return event_facts.Handle(tx, m);
            },
            runtime.exposer.registry()) {}

  hc::service::Runtime runtime;
  hc::tz::SystemTimeZones zones;
  facts::Recorder recorder;
  hc::crypto::DataKeys keys;
  facts::MentorshipFacts mentorship_facts;
  storage::MentorshipStore mentorships;
  storage::RoleStore store;
  storage::HoursStore hours;
  members::MembershipEligibility eligibility;
  members::MembershipDisplayNames names;
  members::MembershipInterestCatalogue catalogue;
  api::VolunteeringService service;
  // Its own runner so its calls are counted under its own grpc_service label.
  hc::grpc_server::UnaryRunner mentorship_runner;
  api::MentorshipService mentorship;
  messaging::MentorshipPoller mentorship_poller;
  hc::service::MembershipConsumer membership;
  messaging::EventFactsHandler event_facts;
  hc::kafka::Consumer events;
};

App::App(Settings settings) : settings_(std::move(settings)) {}

App::~App() { Shutdown(); }

absl::Status App::Start() {
  if (!hc::crypto::DataKeys::FromHex(settings_.data_key_hex).ok()) {
    return absl::InvalidArgumentError("the data key (HC_DATA_KEY_FILE) is missing or malformed");
  }
  HC_RETURN_IF_ERROR(hc::service::Runtime::Migrate(settings_.service, volunteering_lib_migrations(),
                                                   /*consumes_events=*/true));
  parts_ = std::make_unique<Parts>(settings_);
  HC_RETURN_IF_ERROR(parts_->membership.Start());
  HC_RETURN_IF_ERROR(parts_->events.Start());
  parts_->mentorship_poller.Start();
  HC_RETURN_IF_ERROR(parts_->runtime.Serve({&parts_->service, &parts_->mentorship}));
  spdlog::info("volunteering serving gRPC on port {} and metrics on port {}", grpc_port(),
               metrics_port());
  return absl::OkStatus();
}

void App::Shutdown() {
  if (!parts_) return;
  // The consumers first: a fact they are handling commits or is redelivered later.
  parts_->mentorship_poller.Stop();
  parts_->events.Stop();
  parts_->membership.Stop();
  parts_->runtime.Shutdown();
  parts_.reset();
}

int App::grpc_port() const { return parts_ ? parts_->runtime.grpc_port() : 0; }
int App::metrics_port() const { return parts_ ? parts_->runtime.metrics_port() : 0; }

}  // namespace volunteering
