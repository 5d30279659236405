#include "services/notifications/src/messaging/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "libs/status/status.h"

namespace notifications::messaging {
namespace {

using storage::DeliveryStatus;

storage::Time FromAbsl(absl::Time t) {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(absl::ToChronoTime(t));
}

prometheus::Histogram& Latency(prometheus::Registry& registry, domain::Channel channel) {
  return prometheus::BuildHistogram()
      .Name("hc_notifications_delivery_seconds")
      .Help("From a delivery being queued to the provider accepting it, by channel")
      .Register(registry)
      .Add({{"channel", std::string(domain::ChannelName(channel))}},
           prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
                                                   5, 10, 30, 60, 300});
}

prometheus::Gauge& Paused(prometheus::Registry& registry, domain::Channel channel) {
  return prometheus::BuildGauge()
      .Name("hc_notifications_channel_paused")
      .Help("1 while a channel's provider is failing and its dispatcher waits before probing it")
      .Register(registry)
      .Add({{"channel", std::string(domain::ChannelName(channel))}});
}

}  // namespace

Dispatcher::Dispatcher(Options options, hc::postgres::Pool& pool,
                       storage::DeliveryStore& deliveries, storage::NotificationStore& store,
                       members::Contacts& contacts, const hc::tz::SystemTimeZones& zones,
                       Render render, Send send, Clock clock,
                       prometheus::Family<prometheus::Counter>& outcomes,
                       prometheus::Registry& registry)
    : options_(std::move(options)),
      pool_(pool),
      deliveries_(deliveries),
      store_(store),
      contacts_(contacts),
      zones_(zones),
      render_(std::move(render)),
      send_(std::move(send)),
      clock_(std::move(clock)),
      outcomes_(outcomes),
      latency_(Latency(registry, options_.channel)),
      paused_(Paused(registry, options_.channel)),
      random_(std::random_device{}()) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Dispatcher::Stop() {
  stopping_ = true;
  Wake();
  if (thread_.joinable()) thread_.join();
}

void Dispatcher::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Dispatcher::Loop() {
  while (!stopping_) {
    int done = 0;
    try {
      done = RunOnce();
    } catch (const std::exception& e) {
      // The database went away mid-pass: claims run out and are taken again; try later.
      spdlog::warn("notifications {} dispatcher: {}", domain::ChannelName(options_.channel),
                   e.what());
    }
    if (done >= options_.batch) continue;  // more may be due
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, options_.poll, [this] { return woken_ || stopping_.load(); });
    woken_ = false;
  }
}

int Dispatcher::RunOnce() {
  const storage::Time now = clock_();
  if (now < paused_until_) return 0;
  paused_.Set(0);
  auto claimed = deliveries_.Claim(options_.channel, now, options_.lease, options_.batch);
  if (!claimed.ok()) {
    spdlog::warn("notifications {} dispatcher: {}", domain::ChannelName(options_.channel),
                 claimed.status().ToString());
    return 0;
  }
  int done = 0;
  for (size_t i = 0; i < claimed->size(); ++i) {
    storage::Delivery& d = (*claimed)[i];
    if (stopping_ || Process(d, clock_()) == Step::kOutage) {
      // Release the rest at once (still due, attempts untouched) rather than leave them to a
      // lease: another replica, or this one after the pause, takes them in order.
      for (size_t j = (stopping_ ? i : i + 1); j < claimed->size(); ++j) {
        const storage::Delivery& rest = (*claimed)[j];
        Finish(rest, DeliveryStatus::kQueued, rest.due_at, rest.attempts, "", clock_());
      }
      return done;
    }
    ++done;
  }
  return done;
}

Dispatcher::Step Dispatcher::Process(storage::Delivery& d, storage::Time now) {
  // What the member wants now, not when the fact arrived.
  domain::Preferences preferences;
  domain::Consent consent;
  const absl::Status read = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    preferences = store_.PreferencesIn(tx, d.member_id);
    consent = deliveries_.ConsentIn(tx, d.member_id);
    return absl::OkStatus();
  });
  if (!read.ok()) {
    Finish(d, DeliveryStatus::kQueued, d.due_at, d.attempts, "", now);
    return Step::kOutage;
  }
  switch (domain::Decide(preferences, consent, d.category, d.channel)) {
    case domain::Decision::kSuppressedByPreference:
      Finish(d, DeliveryStatus::kSuppressedPreference, d.due_at, d.attempts, "", now);
      return Step::kDone;
    case domain::Decision::kSuppressedByConsent:
      Finish(d, DeliveryStatus::kSuppressedConsent, d.due_at, d.attempts, "", now);
      return Step::kDone;
    case domain::Decision::kDigest:
      Finish(d, DeliveryStatus::kDigested, d.due_at, d.attempts, "", now);
      return Step::kDone;
    case domain::Decision::kSend:
      break;
  }
  const absl::TimeZone zone = zones_.Load(preferences.time_zone).value_or(absl::UTCTimeZone());
  const absl::Time now_absl = absl::FromChrono(now);
  const absl::Time allowed = domain::NextAllowed(now_absl, preferences.quiet, zone);
  if (allowed > now_absl) {
    Finish(d, DeliveryStatus::kHeld, FromAbsl(allowed), d.attempts, "", now);
    return Step::kDone;
  }
  const auto sent_today =
      deliveries_.SentSince(d.member_id, d.channel, now - std::chrono::hours(24));
  if (!sent_today.ok()) {
    Finish(d, DeliveryStatus::kQueued, d.due_at, d.attempts, "", now);
    return Step::kOutage;
  }
  switch (domain::ApplyDailyCap(d.channel, *sent_today, options_.daily_cap)) {
    case domain::CapOutcome::kDigest:
      Finish(d, DeliveryStatus::kDigested, d.due_at, d.attempts, "daily_cap", now);
      return Step::kDone;
    case domain::CapOutcome::kDrop:
      Finish(d, DeliveryStatus::kCapped, d.due_at, d.attempts, "daily_cap", now);
      return Step::kDone;
    case domain::CapOutcome::kSend:
      break;
  }

  const auto contact =
      contacts_.Get(d.member_id, "notifications." + std::string(domain::InboxKindName(d.kind)));
  Result result;
  if (absl::IsNotFound(contact.status())) {
    Finish(d, DeliveryStatus::kFailed, d.due_at, d.attempts + 1, "member_not_found", now);
    return Step::kDone;
  }
  if (!contact.ok()) {
    result = {Outcome::kTransient, "contact_unavailable"};
  } else if (contact->Address(d.channel).empty()) {
    // Membership gives an address only while consent is granted: it was revoked (or there is
    // no phone number) since the fact arrived.
    Finish(d, DeliveryStatus::kSuppressedConsent, d.due_at, d.attempts, "", now);
    return Step::kDone;
  } else {
    const absl::TimeZone member_zone =
        zones_.Load(contact->time_zone.empty() ? preferences.time_zone : contact->time_zone)
            .value_or(zone);
    Rendered rendered = render_(d, *contact, member_zone);
    result = send_({.address = contact->Address(d.channel),
                    .subject = std::move(rendered.subject),
                    .text = std::move(rendered.text),
                    .message_id = d.delivery_id,
                    .unsubscribe_url = std::move(rendered.unsubscribe_url)});
  }

  const storage::Time finished = clock_();
  switch (result.outcome) {
    case Outcome::kSent:
      Finish(d, DeliveryStatus::kSent, d.due_at, d.attempts + 1, "", finished);
      latency_.Observe(std::chrono::duration<double>(finished - d.created_at).count());
      pause_ = std::chrono::milliseconds(0);
      return Step::kDone;
    case Outcome::kPermanent:
      Finish(d, DeliveryStatus::kFailed, d.due_at, d.attempts + 1, result.detail, finished);
      return Step::kDone;
    case Outcome::kTransient:
      break;
  }
  const int attempts = d.attempts + 1;
  if (domain::GivesUp(options_.retry, attempts)) {
    Finish(d, DeliveryStatus::kFailed, d.due_at, attempts, result.detail, finished);
  } else {
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    Finish(d, DeliveryStatus::kQueued,
           finished + domain::RetryDelay(options_.retry, attempts, unit), attempts, result.detail,
           finished);
  }
  // The provider (or membership) is failing: this channel waits a growing while before it
  // tries the next one, so an outage costs one probe per pause, not one per message.
  pause_ = std::clamp(pause_ * 2, options_.outage_pause_min, options_.outage_pause_max);
  paused_until_ = finished + pause_;
  paused_.Set(1);
  return Step::kOutage;
}

void Dispatcher::Finish(const storage::Delivery& d, DeliveryStatus status, storage::Time due,
                        int attempts, const std::string& error, storage::Time now) {
  const absl::Status finished =
      deliveries_.Finish(d.delivery_id, status, due, attempts, error, now);
  if (!finished.ok()) {
    // The claim runs out and the delivery is taken again; nothing is lost.
    spdlog::warn("notifications {} dispatcher: recording an outcome: {}",
                 domain::ChannelName(options_.channel), finished.ToString());
    return;
  }
  std::string label(storage::DeliveryStatusName(status));
  if (status == DeliveryStatus::kQueued && attempts > d.attempts) label = "retry";
  if (status == DeliveryStatus::kQueued && attempts == d.attempts) return;  // released
  outcomes_.Add({{"channel", std::string(domain::ChannelName(d.channel))}, {"status", label}})
      .Increment();
}

}  // namespace notifications::messaging
