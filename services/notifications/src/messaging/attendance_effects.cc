#include "services/notifications/src/messaging/attendance_effects.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <vector>

#include "alumni/events/v1/events_events.pb.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/identity/identity.h"
#include "libs/status/status.h"

namespace notifications::messaging {
namespace {

namespace epb = alumni::events::v1;
namespace vpb = alumni::volunteering::v1;
using domain::Presence;
using google::protobuf::util::TimeUtil;
using storage::Subject;

storage::Time ToTime(const google::protobuf::Timestamp& ts) {
  return storage::Time(std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(ts)));
}

absl::Time ToAbsl(storage::Time t) { return absl::FromUnixMillis(t.time_since_epoch().count()); }

template <typename Fact>
bool Is(const std::string& type) {
  return type == Fact::descriptor()->full_name();
}

// The fact's start, when it carries one.
template <typename Fact>
std::optional<storage::Time> StartOf(const Fact& fact) {
  if (!fact.has_start_time()) return std::nullopt;
  return ToTime(fact.start_time());
}

template <typename Fact>
absl::StatusOr<Subject> EventOf(const Fact& fact) {
  HC_ASSIGN_OR_RETURN(std::string id, UuidField<Fact>(fact.event_id(), "event_id"));
  return Subject{.kind = domain::SubjectKind::kEvent, .id = std::move(id)};
}

template <typename Fact>
absl::StatusOr<Subject> ShiftOf(const Fact& fact) {
  Subject subject{.kind = domain::SubjectKind::kShift};
  HC_ASSIGN_OR_RETURN(subject.id, UuidField<Fact>(fact.shift_id(), "shift_id"));
  HC_ASSIGN_OR_RETURN(subject.role_id, UuidField<Fact>(fact.role_id(), "role_id"));
  return subject;
}

template <typename Fact>
absl::StatusOr<std::string> MemberOf(const Fact& fact) {
  if (fact.member_id().empty()) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": no member_id");
  }
  return hc::ids::Canonical(fact.member_id());
}

// A volunteer's sign-up status as presence on the shift; nullopt for one that is neither
// (pending approval: nothing yet).
std::optional<Presence> PresenceOf(vpb::SignupStatus status) {
  switch (status) {
    case vpb::SIGNUP_STATUS_CONFIRMED:
      return Presence::kGoing;
    case vpb::SIGNUP_STATUS_WAITLISTED:
      return Presence::kWaiting;
    default:
      return std::nullopt;
  }
}

bool Names(const google::protobuf::RepeatedPtrField<std::string>& fields, const char* name) {
  return std::find(fields.begin(), fields.end(), name) != fields.end();
}

}  // namespace

absl::Status AttendanceEffects::Attend(hc::postgres::Tx& tx, const Subject& subject,
                                       const std::string& member_id, Presence presence,
                                       std::optional<storage::Time> start) {
  if (absl::Status locked = hc::identity::LockMemberForWrite(tx, member_id); !locked.ok()) {
    // Erased: nothing of theirs comes back.
    return absl::IsFailedPrecondition(locked) ? absl::OkStatus() : locked;
  }
  const std::optional<storage::Time> stored = store_.SetIn(tx, subject, member_id, presence, start);
  if (presence == Presence::kGoing && stored) {
    Sync(tx, subject, member_id, *stored);
  } else {
    store_.DropRemindersIn(tx, subject, member_id);
  }
  return absl::OkStatus();
}

absl::Status AttendanceEffects::Leave(hc::postgres::Tx& tx, const Subject& subject,
                                      const std::string& member_id) {
  if (absl::Status locked = hc::identity::LockMemberForWrite(tx, member_id); !locked.ok()) {
    return absl::IsFailedPrecondition(locked) ? absl::OkStatus() : locked;
  }
  store_.RemoveIn(tx, subject, member_id);
  return absl::OkStatus();
}

absl::Status AttendanceEffects::Move(hc::postgres::Tx& tx, const Subject& subject,
                                     storage::Time start) {
  store_.SetStartIn(tx, subject, start);
  for (const std::string& member_id : store_.MembersIn(tx, subject, /*going_only=*/true)) {
    if (absl::Status locked = hc::identity::LockMemberForWrite(tx, member_id); !locked.ok()) {
      if (absl::IsFailedPrecondition(locked)) continue;
      return locked;
    }
    Sync(tx, subject, member_id, start);
  }
  return absl::OkStatus();
}

void AttendanceEffects::Sync(hc::postgres::Tx& tx, const Subject& subject,
                             const std::string& member_id, storage::Time start) {
  store_.ApplyIn(tx, subject, member_id, start,
                 domain::ReconcileReminders(store_.RemindersIn(tx, subject, member_id),
                                            ToAbsl(start), ToAbsl(clock_())));
}

absl::Status AttendanceEffects::Events(hc::postgres::Tx& tx, const hc::kafka::Message& message,
                                       InboxDeliveries::Tally& tally) {
  const std::string type = message.Header(hc::kafka::kCeType);
  if (Is<epb::RsvpConfirmed>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::RsvpConfirmed>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, Presence::kGoing, StartOf(fact));
  }
  if (Is<epb::WaitlistPromoted>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::WaitlistPromoted>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, Presence::kGoing, StartOf(fact));
  }
  if (Is<epb::RsvpWaitlisted>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::RsvpWaitlisted>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, Presence::kWaiting, StartOf(fact));
  }
  if (Is<epb::RsvpCancelled>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::RsvpCancelled>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Leave(tx, subject, member);
  }
  if (Is<epb::EventUpdated>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::EventUpdated>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    if (Names(fact.changed_fields(), "start_time") && fact.has_start_time()) {
      HC_RETURN_IF_ERROR(Move(tx, subject, ToTime(fact.start_time())));
    }
    const std::vector<std::string> changed(fact.changed_fields().begin(),
                                           fact.changed_fields().end());
    if (!domain::EventMoved(changed)) return absl::OkStatus();
    const std::string ce_id = message.Header(hc::kafka::kCeId);
    for (const std::string& member : store_.MembersIn(tx, subject, /*going_only=*/false)) {
      HC_RETURN_IF_ERROR(deliveries_.Deliver(
          tx, ce_id,
          {.member_id = member, .kind = domain::InboxKind::kEventMoved, .event_id = subject.id},
          tally));
    }
    return absl::OkStatus();
  }
  if (Is<epb::EventCancelled>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<epb::EventCancelled>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, EventOf(fact));
    const std::string ce_id = message.Header(hc::kafka::kCeId);
    // Each page tells its own members (its own ce_id); the projection goes with the first page
    // and later pages find nothing left.
    for (const std::string& member_id : fact.affected_member_ids()) {
      if (member_id.empty()) {
        return absl::InvalidArgumentError("EventCancelled: an empty affected_member_ids entry");
      }
      HC_RETURN_IF_ERROR(deliveries_.Deliver(tx, ce_id,
                                             {.member_id = hc::ids::Canonical(member_id),
                                              .kind = domain::InboxKind::kEventCancelled,
                                              .event_id = subject.id},
                                             tally));
    }
    store_.RemoveSubjectIn(tx, subject);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status AttendanceEffects::Volunteering(hc::postgres::Tx& tx,
                                             const hc::kafka::Message& message,
                                             InboxDeliveries::Tally& /*tally*/) {
  const std::string type = message.Header(hc::kafka::kCeType);
  if (Is<vpb::VolunteerSignedUp>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::VolunteerSignedUp>(message));
    const std::optional<Presence> presence = PresenceOf(fact.status());
    if (!presence) return absl::OkStatus();
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, *presence, StartOf(fact));
  }
  if (Is<vpb::SignupApproved>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::SignupApproved>(message));
    const std::optional<Presence> presence = PresenceOf(fact.status());
    if (!presence) return absl::OkStatus();
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, *presence, StartOf(fact));
  }
  if (Is<vpb::VolunteerPromoted>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::VolunteerPromoted>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Attend(tx, subject, member, Presence::kGoing, StartOf(fact));
  }
  if (Is<vpb::SignupWithdrawn>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::SignupWithdrawn>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Leave(tx, subject, member);
  }
  if (Is<vpb::SignupDeclined>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::SignupDeclined>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    HC_ASSIGN_OR_RETURN(const std::string member, MemberOf(fact));
    return Leave(tx, subject, member);
  }
  if (Is<vpb::ShiftUpdated>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::ShiftUpdated>(message));
    if (!Names(fact.changed_fields(), "start_time") || !fact.has_start_time()) {
      return absl::OkStatus();
    }
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    // Every page repeats the shift's start: the first moves everyone, the rest find it moved.
    return Move(tx, subject, ToTime(fact.start_time()));
  }
  if (Is<vpb::ShiftCancelled>(type)) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::ShiftCancelled>(message));
    HC_ASSIGN_OR_RETURN(const Subject subject, ShiftOf(fact));
    store_.RemoveSubjectIn(tx, subject);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace notifications::messaging
