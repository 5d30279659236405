#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/storage/attendance_store.h"

namespace notifications::messaging {

// Sends reminders when they fall due, on a thread of its own: every `interval`, batches of up
// to `batch` due reminders until none is left.
//
// Invariants:
// - One batch is one transaction: the rows are taken FOR UPDATE SKIP LOCKED, each is delivered
//   through InboxDeliveries::Deliver and marked sent, then it commits. Pollers of several
//   replicas at once take disjoint rows, and a crash before the commit leaves them pending, to
//   be sent later; the dedupe base domain::ReminderFactId (subject, kind, the start it was
//   computed from) makes a batch re-run after an unknown commit outcome store nothing twice.
// - A reminder due only after its subject started (an outage) is marked missed, not sent.
// - It is the one writer that takes a member's write lock (in Deliver) after row locks (the
//   reminders it took). Against another writer both are shared, so nothing waits; against that
//   member's erasure (exclusive lock, then deleting their reminders) PostgreSQL detects the
//   deadlock and the pool runs the batch again, by then without the erased member's rows.
//
// Metrics: hc_notifications_reminder_backlog (pending reminders already due, after each round)
// and hc_notifications_reminders_sent_total.
class ReminderPoller {
 public:
  using Clock = std::function<storage::Time()>;

  struct Options {
    std::chrono::milliseconds interval{1000};
    int batch = 100;
  };

  // What one batch did.
  struct Batch {
    // Reminders taken (sent or missed).
    int taken = 0;
    int missed = 0;
    InboxDeliveries::Tally tally;
  };

  ReminderPoller(hc::postgres::Pool& pool, storage::AttendanceStore& store,
                 InboxDeliveries& deliveries, Clock clock, Options options,
                 prometheus::Registry& registry);
  ~ReminderPoller();

  void Start();
  void Stop();

  // One batch, in one transaction (tests drive this directly, with their own clock).
  absl::StatusOr<Batch> PollOnce();
  // Batches until one takes fewer than `batch`, then refreshes the backlog gauge.
  absl::Status PollAll();
  // Sets hc_notifications_reminder_backlog from the table.
  absl::Status RefreshBacklog();

 private:
  void Loop();

  hc::postgres::Pool& pool_;
  storage::AttendanceStore& store_;
  InboxDeliveries& deliveries_;
  Clock clock_;
  Options options_;
  prometheus::Gauge& backlog_;
  prometheus::Counter& sent_total_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace notifications::messaging
