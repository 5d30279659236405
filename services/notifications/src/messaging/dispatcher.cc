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
  if (options_.render_digest && !stopping_) done += RunDigests();
  return done;
}

int Dispatcher::RunDigests() {
  int done = 0;
  for (int i = 0; i < options_.batch && !stopping_; ++i) {
    const storage::Time now = clock_();
    if (now < paused_until_) break;
    auto claimed = deliveries_.ClaimDigest(now, options_.lease, options_.digest_limit);
    if (!claimed.ok() || claimed->empty()) break;
    if (ProcessDigest(std::move(*claimed), now) == Step::kOutage) break;
    ++done;
  }
  return done;
}

Dispatcher::Step Dispatcher::ProcessDigest(std::vector<storage::Delivery> items,
                                           storage::Time now) {
  const std::string member_id = items.front().member_id;
  // Ends each of `of` as `status` (due at `due`; `tried` counts this as a try).
  auto settle = [&](const std::vector<storage::Delivery>& of, DeliveryStatus status,
                    storage::Time due, bool tried) {
    std::vector<storage::DeliveryStore::DigestOutcome> outcomes;
    for (const auto& d : of) {
      outcomes.push_back({.delivery_id = d.delivery_id,
                          .lease_until = d.lease_until,
                          .status = status,
                          .due_at = due,
                          .attempts = d.attempts + (tried ? 1 : 0)});
    }
    const absl::Status finished = deliveries_.FinishDigest(outcomes, clock_());
    if (!finished.ok()) {
      spdlog::warn("notifications digest: recording an outcome: {}", finished.ToString());
    }
  };
  domain::Preferences preferences;
  domain::Consent consent;
  if (!pool_
           .InTransaction([&](hc::postgres::Tx& tx) {
             preferences = store_.PreferencesIn(tx, member_id);
             consent = deliveries_.ConsentIn(tx, member_id);
             return absl::OkStatus();
           })
           .ok()) {
    settle(items, DeliveryStatus::kDigested, now, /*tried=*/false);
    return Step::kOutage;
  }
  // What the member wants now: an item whose category they since turned off (or unsubscribed
  // from) is not sent; consent revoked suppresses them all.
  std::vector<storage::Delivery> wanted;
  std::vector<storage::Delivery> unwanted;
  for (auto& d : items) {
    (domain::Decide(preferences, consent, d.category, domain::Channel::kEmail) ==
             domain::Decision::kSuppressedByPreference
         ? unwanted
         : wanted)
        .push_back(std::move(d));
  }
  settle(unwanted, DeliveryStatus::kSuppressedPreference, now, false);
  if (wanted.empty()) return Step::kDone;
  if (!consent.email) {
    settle(wanted, DeliveryStatus::kSuppressedConsent, now, false);
    return Step::kDone;
  }
  const absl::TimeZone zone = zones_.Load(preferences.time_zone).value_or(absl::UTCTimeZone());
  const absl::Time allowed = domain::NextAllowed(absl::FromChrono(now), preferences.quiet, zone);
  if (allowed > absl::FromChrono(now)) {
    settle(wanted, DeliveryStatus::kDigested, FromAbsl(allowed), false);
    return Step::kDone;
  }
  const auto contact = contacts_.Get(member_id, "notifications.digest");
  if (absl::IsNotFound(contact.status())) {
    settle(wanted, DeliveryStatus::kFailed, now, true);
    return Step::kDone;
  }
  Result result;
  if (!contact.ok()) {
    result = {Outcome::kTransient, "contact_unavailable"};
  } else if (contact->email.empty()) {
    settle(wanted, DeliveryStatus::kSuppressedConsent, now, false);
    return Step::kDone;
  } else {
    Rendered rendered = options_.render_digest(wanted, *contact, zone);
    // The lookups above take time: send only while the claim is still this dispatcher's.
    const auto renewed = deliveries_.RenewDigest(wanted, clock_(), options_.lease);
    if (!renewed.ok() || !*renewed) return Step::kDone;
    result = send_({.address = contact->email,
                    .subject = std::move(rendered.subject),
                    .text = std::move(rendered.text),
                    .message_id = wanted.front().delivery_id,
                    .unsubscribe_url = std::move(rendered.unsubscribe_url)});
  }
  const storage::Time finished = clock_();
  switch (result.outcome) {
    case Outcome::kSent:
      settle(wanted, DeliveryStatus::kDigestSent, finished, true);
      // More than one digest's worth waits for the next digest, not a second email now.
      if (const absl::Status postponed = deliveries_.PostponeDigest(
              member_id, finished,
              FromAbsl(domain::NextDigestTime(absl::FromChrono(finished) + absl::Minutes(1),
                                              preferences.quiet, zone)));
          !postponed.ok()) {
        spdlog::warn("notifications digest: postponing the rest: {}", postponed.ToString());
      }
      outcomes_.Add({{"channel", "email"}, {"status", "digest_sent"}}).Increment();
      pause_ = std::chrono::milliseconds(0);
      paused_.Set(0);
      return Step::kDone;
    case Outcome::kPermanent:
      settle(wanted, DeliveryStatus::kFailed, finished, true);
      return Step::kDone;
    case Outcome::kTransient:
      break;
  }
  const int attempts = wanted.front().attempts + 1;
  if (domain::GivesUp(options_.retry, attempts)) {
    settle(wanted, DeliveryStatus::kFailed, finished, true);
  } else {
    const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(random_);
    settle(wanted, DeliveryStatus::kDigested,
           finished + domain::RetryDelay(options_.retry, attempts, unit), true);
  }
  PauseAfterFailure(finished);
  return Step::kOutage;
}

void Dispatcher::PauseAfterFailure(storage::Time now) {
  // The provider (or membership) is failing: this channel waits a growing while before it
  // tries the next one, so an outage costs one probe per pause, not one per message.
  pause_ = std::clamp(pause_ * 2, options_.outage_pause_min, options_.outage_pause_max);
  paused_until_ = now + pause_;
  paused_.Set(1);
}

Dispatcher::Step Dispatcher::Process(storage::Delivery& d, storage::Time now) {
  // What the member wants now, not when the fact arrived.
  domain::Preferences preferences;
  domain::Consent consent;
  // A reminder is worth sending only while the member is still going and it hasn't started
  // (the RSVP, event or shift may have been cancelled while it was held or retried).
  bool still_going = true;
  const absl::Status read = pool_.InTransaction([&](hc::postgres::Tx& tx) {
    preferences = store_.PreferencesIn(tx, d.member_id);
    consent = deliveries_.ConsentIn(tx, d.member_id);
    if (d.kind == domain::InboxKind::kEventReminder ||
        d.kind == domain::InboxKind::kShiftReminder) {
      still_going = !tx.exec_params(
                           "SELECT 1 FROM attendance WHERE subject_id = NULLIF($1, '')::uuid AND "
                           "member_id = $2 AND status = 'going' AND start_time > "
                           "to_timestamp($3::bigint / 1000.0)",
                           d.kind == domain::InboxKind::kEventReminder ? d.event_id : d.shift_id,
                           d.member_id, now.time_since_epoch().count())
                         .empty();
    }
    return absl::OkStatus();
  });
  if (!read.ok()) {
    Finish(d, DeliveryStatus::kQueued, d.due_at, d.attempts, "", now);
    return Step::kOutage;
  }
  if (!still_going) {
    Finish(d, DeliveryStatus::kDropped, d.due_at, d.attempts, "", now);
    return Step::kDone;
  }
  const absl::TimeZone zone = zones_.Load(preferences.time_zone).value_or(absl::UTCTimeZone());
  const absl::Time now_absl = absl::FromChrono(now);
  switch (domain::Decide(preferences, consent, d.category, d.channel)) {
    case domain::Decision::kSuppressedByPreference:
      Finish(d, DeliveryStatus::kSuppressedPreference, d.due_at, d.attempts, "", now);
      return Step::kDone;
    case domain::Decision::kSuppressedByConsent:
      Finish(d, DeliveryStatus::kSuppressedConsent, d.due_at, d.attempts, "", now);
      return Step::kDone;
    case domain::Decision::kDigest:
      // The member chose the digest for this category since the fact arrived.
      Finish(d, DeliveryStatus::kDigested,
             FromAbsl(domain::NextDigestTime(now_absl, preferences.quiet, zone)), d.attempts, "",
             now);
      return Step::kDone;
    case domain::Decision::kSend:
      break;
  }
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
      Finish(d, DeliveryStatus::kDigested,
             FromAbsl(domain::NextDigestTime(now_absl, preferences.quiet, zone)), d.attempts,
             "daily_cap", now);
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
    // The lookups above take time: send only while the claim is still this dispatcher's (a
    // lease that ran out may have been claimed, and sent, by another).
    const auto renewed = deliveries_.Renew(d, clock_(), options_.lease);
    if (!renewed.ok()) {
      Finish(d, DeliveryStatus::kQueued, d.due_at, d.attempts, "", clock_());
      return Step::kOutage;
    }
    if (!*renewed) return Step::kDone;
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
      paused_.Set(0);
      return Step::kDone;
    case Outcome::kPermanent:
      // The provider answered (it refused this one message): it is up.
      Finish(d, DeliveryStatus::kFailed, d.due_at, d.attempts + 1, result.detail, finished);
      pause_ = std::chrono::milliseconds(0);
      paused_.Set(0);
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
  PauseAfterFailure(finished);
  return Step::kOutage;
}

void Dispatcher::Finish(const storage::Delivery& d, DeliveryStatus status, storage::Time due,
                        int attempts, const std::string& error, storage::Time now) {
  const absl::Status finished = deliveries_.Finish(d, status, due, attempts, error, now);
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
