#pragma once

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/pool.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"
#include "services/notifications/src/storage/attendance_store.h"

namespace notifications::messaging {

// What events' and volunteering's facts mean beyond their own items (an InboxFactsHandler's
// effects step, so it runs in the consumer's transaction with the inbox dedupe and the items):
// the attendance projection, the reminders of those going, and the notices that need it.
//
// - Events: RsvpConfirmed and WaitlistPromoted make the member going (with the fact's
//   start_time), RsvpWaitlisted waiting, RsvpCancelled gone. EventUpdated naming "start_time"
//   moves everyone's start and reminders; one naming a time or place (domain::EventMoved) tells
//   everyone going or waiting (EVENT_MOVED). EventCancelled tells each member of its page
//   (EVENT_CANCELLED) and removes everyone's attendance and reminders.
// - Volunteering: VolunteerSignedUp and SignupApproved by status (confirmed going, waitlisted
//   waiting, pending approval nothing yet), VolunteerPromoted going, SignupWithdrawn and
//   SignupDeclined gone, ShiftUpdated naming "start_time" moves, ShiftCancelled removes all.
//   (Their items come from VolunteeringFactItems.)
//
// Invariants:
// - A member's rows are written under their shared write lock (libs/identity), taken before
//   anything of theirs is read; an erased member's are not written (MemberDeleted's erasure
//   removed them, NotificationStore::EraseMemberIn).
// - Reminders exist exactly for members going with a known start: set with domain::
//   ReconcileReminders whenever their presence or the start changes, dropped with the row.
// - Idempotent: the same fact again (past the consumer's inbox) finds the state it left, and
//   ReconcileReminders keeps reminders computed from the same start; notices go through
//   InboxDeliveries::Deliver under the fact's ce_id, one per member.
class AttendanceEffects {
 public:
  using Clock = std::function<storage::Time()>;

  AttendanceEffects(storage::AttendanceStore& store, InboxDeliveries& deliveries, Clock clock)
      : store_(store), deliveries_(deliveries), clock_(std::move(clock)) {}

  // The effects of `alumni.events.v1` and `alumni.volunteering.v1`'s facts (FactEffects).
  absl::Status Events(hc::postgres::Tx& tx, const hc::kafka::Message& message,
                      InboxDeliveries::Tally& tally);
  absl::Status Volunteering(hc::postgres::Tx& tx, const hc::kafka::Message& message,
                            InboxDeliveries::Tally& tally);

 private:
  // The member is going or waiting, starting at `start` when the fact says.
  absl::Status Attend(hc::postgres::Tx& tx, const storage::Subject& subject,
                      const std::string& member_id, domain::Presence presence,
                      std::optional<storage::Time> start);
  absl::Status Leave(hc::postgres::Tx& tx, const storage::Subject& subject,
                     const std::string& member_id);
  // A new start for the subject: everyone's, and the reminders of those going.
  absl::Status Move(hc::postgres::Tx& tx, const storage::Subject& subject, storage::Time start);
  // The member's reminders of the subject, as ReconcileReminders says for `start`.
  void Sync(hc::postgres::Tx& tx, const storage::Subject& subject, const std::string& member_id,
            storage::Time start);

  storage::AttendanceStore& store_;
  InboxDeliveries& deliveries_;
  Clock clock_;
};

}  // namespace notifications::messaging
