#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "libs/postgres/pool.h"
#include "libs/tz/time_zones.h"
#include "services/notifications/src/channels/email.h"
#include "services/notifications/src/domain/schedule.h"
#include "services/notifications/src/members/contacts.h"
#include "services/notifications/src/storage/delivery_store.h"
#include "services/notifications/src/storage/notification_store.h"

namespace notifications::messaging {

// Sends the due deliveries of one channel (email or SMS), in every replica at once.
//
// Each pass claims up to `batch` due rows (storage::DeliveryStore::Claim: FOR UPDATE SKIP
// LOCKED, committed as `sending` with a lease before anything goes out) and for each, at send
// time: asks the member's preferences and consent again (a change is honoured from the next
// message on), holds it while the member's quiet hours last, applies the daily cap, fetches the
// address with GetContact (never stored), renders and sends it, and records the outcome.
//
// Invariants:
// - Never twice from two replicas: a row is sent only by the dispatcher whose claim committed.
// - Never lost: a dispatcher that dies mid-send leaves its claims to run out; they are claimed
//   again and sent with the same Message-ID (delivery id), so the one window where a message
//   can go out twice is a crash between the provider accepting it and the `sent` commit.
// - A provider outage pauses only this channel (other channels have their own dispatcher) and
//   only for a short, growing probe interval; the deliveries waiting keep their order and
//   their attempt counts, and the one that failed backs off with jitter up to the retry limit.
class Dispatcher {
 public:
  using Clock = std::function<storage::Time()>;

  // What the channel is asked to send. No field is ever logged.
  struct Outgoing {
    std::string address;
    std::string subject;  // email only
    std::string text;
    // Stable per delivery, so a resend after a crash is recognisable as the same message.
    std::string message_id;
    // The member's one-click unsubscribe link for the category (email only; may be empty).
    std::string unsubscribe_url;
  };
  // What the provider answered (src/channels): sent, worth retrying, or refused for good.
  using Result = channels::SendResult;
  using Outcome = channels::SendResult::Outcome;
  using Send = std::function<Result(const Outgoing&)>;
  // The subject and text of a delivery for this member, in their zone; it fills in the
  // details (event title, time, place) at send time.
  struct Rendered {
    std::string subject;
    std::string text;
    std::string unsubscribe_url;
  };
  using Render = std::function<Rendered(const storage::Delivery&, const members::Contact&,
                                        const absl::TimeZone&)>;
  // One email gathering a member's digested deliveries.
  using RenderDigest = std::function<Rendered(const std::vector<storage::Delivery>&,
                                              const members::Contact&, const absl::TimeZone&)>;

  struct Options {
    domain::Channel channel = domain::Channel::kEmail;
    // How often an idle dispatcher looks for due work (Wake() cuts the wait short).
    std::chrono::milliseconds poll{250};
    // How long a claim lasts before another dispatcher may take the row over.
    std::chrono::milliseconds lease{std::chrono::seconds(60)};
    int batch = 16;
    // Email and SMS messages per member per 24 hours (the inbox is not capped).
    int daily_cap = 12;
    domain::RetryPolicy retry;
    // The pause after a provider failure doubles from the first to the last.
    std::chrono::milliseconds outage_pause_min{500};
    std::chrono::milliseconds outage_pause_max{std::chrono::seconds(15)};
    // Email only: sends each member's daily digest when it falls due (none when unset).
    RenderDigest render_digest;
    // The most deliveries one digest gathers (the rest wait for the next one).
    int digest_limit = 50;
  };

  Dispatcher(Options options, hc::postgres::Pool& pool, storage::DeliveryStore& deliveries,
             storage::NotificationStore& store, members::Contacts& contacts,
             const hc::tz::SystemTimeZones& zones, Render render, Send send, Clock clock,
             prometheus::Family<prometheus::Counter>& outcomes, prometheus::Registry& registry);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Finishes the delivery in hand; claims not yet sent are released for others at once.
  void Stop();
  // Something became due: look now rather than at the next poll.
  void Wake();
  // One pass over what is due (tests drive this directly); how many deliveries it finished.
  int RunOnce();

 private:
  enum class Step { kDone, kOutage };
  Step Process(storage::Delivery& delivery, storage::Time now);
  // Due digests, one member at a time; how many it sent or settled.
  int RunDigests();
  Step ProcessDigest(std::vector<storage::Delivery> items, storage::Time now);
  // A provider or membership failure: this channel pauses a growing while.
  void PauseAfterFailure(storage::Time now);
  void Finish(const storage::Delivery& d, storage::DeliveryStatus status, storage::Time due,
              int attempts, const std::string& error, storage::Time now);
  void Loop();

  Options options_;
  hc::postgres::Pool& pool_;
  storage::DeliveryStore& deliveries_;
  storage::NotificationStore& store_;
  members::Contacts& contacts_;
  const hc::tz::SystemTimeZones& zones_;
  Render render_;
  Send send_;
  Clock clock_;
  prometheus::Family<prometheus::Counter>& outcomes_;
  prometheus::Histogram& latency_;
  // 1 from a provider failure until the provider next answers (kept through the pauses, so a
  // scrape during an outage never sees 0).
  prometheus::Gauge& paused_;
  std::mt19937_64 random_;

  std::chrono::milliseconds pause_{0};
  storage::Time paused_until_{};

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace notifications::messaging
