#include "services/notifications/src/messaging/reminder_poller.h"

#include <spdlog/spdlog.h>

#include "libs/status/status.h"
#include "services/notifications/src/domain/attendance.h"

namespace notifications::messaging {
namespace {

absl::Time ToAbsl(storage::Time t) { return absl::FromUnixMillis(t.time_since_epoch().count()); }

storage::InboxItem ItemOf(const storage::DueReminder& reminder) {
  storage::InboxItem item{.member_id = reminder.member_id};
  if (reminder.subject.kind == domain::SubjectKind::kEvent) {
    item.kind = domain::InboxKind::kEventReminder;
    item.event_id = reminder.subject.id;
  } else {
    item.kind = domain::InboxKind::kShiftReminder;
    item.shift_id = reminder.subject.id;
    item.role_id = reminder.subject.role_id;
  }
  return item;
}

}  // namespace

ReminderPoller::ReminderPoller(hc::postgres::Pool& pool, storage::AttendanceStore& store,
                               InboxDeliveries& deliveries, Clock clock, Options options,
                               prometheus::Registry& registry)
    : pool_(pool),
      store_(store),
      deliveries_(deliveries),
      clock_(std::move(clock)),
      options_(options),
      backlog_(prometheus::BuildGauge()
                   .Name("hc_notifications_reminder_backlog")
                   .Help("Pending reminders already due")
                   .Register(registry)
                   .Add({})),
      sent_total_(prometheus::BuildCounter()
                      .Name("hc_notifications_reminders_sent_total")
                      .Help("Reminders sent (delivered as the member's preferences allow)")
                      .Register(registry)
                      .Add({})) {}

ReminderPoller::~ReminderPoller() { Stop(); }

void ReminderPoller::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void ReminderPoller::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<ReminderPoller::Batch> ReminderPoller::PollOnce() {
  Batch batch;
  const storage::Time now = clock_();
  const absl::Status status = pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    batch = {};  // a retried transaction starts afresh
    for (const storage::DueReminder& reminder : store_.TakeDueIn(tx, now, options_.batch)) {
      ++batch.taken;
      if (!domain::StillWorthSending(ToAbsl(reminder.start), ToAbsl(now))) {
        ++batch.missed;
        store_.FinishIn(tx, reminder, "missed", now);
        continue;
      }
      HC_RETURN_IF_ERROR(
          deliveries_.Deliver(tx,
                              domain::ReminderFactId(reminder.subject.kind, reminder.subject.id,
                                                     reminder.kind, ToAbsl(reminder.start)),
                              ItemOf(reminder), batch.tally));
      store_.FinishIn(tx, reminder, "sent", now);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  deliveries_.Count(batch.tally);
  sent_total_.Increment(batch.taken - batch.missed);
  return batch;
}

absl::Status ReminderPoller::PollAll() {
  while (!stop_) {
    HC_ASSIGN_OR_RETURN(const Batch batch, PollOnce());
    if (batch.taken < options_.batch) break;
  }
  return RefreshBacklog();
}

absl::Status ReminderPoller::RefreshBacklog() {
  return pool_.InTransaction([&](hc::postgres::Tx& tx) -> absl::Status {
    backlog_.Set(store_.BacklogIn(tx, clock_()));
    return absl::OkStatus();
  });
}

void ReminderPoller::Loop() {
  while (!stop_) {
    if (absl::Status status = PollAll(); !status.ok()) {
      spdlog::warn("reminders: polling failed, trying again next round: {}",
                   std::string(status.message()));
    }
    const auto until = std::chrono::steady_clock::now() + options_.interval;
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
          std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
    }
  }
}

}  // namespace notifications::messaging
