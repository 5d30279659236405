#include "services/notifications/src/messaging/event_facts_handler.h"

#include "alumni/events/v1/events_events.pb.h"
#include "libs/identity/identity.h"
#include "libs/ids/ids.h"
#include "services/notifications/src/domain/schedule.h"

namespace notifications::messaging {
namespace {

namespace epb = alumni::events::v1;

// The member and event a fact is about.
struct Subject {
  std::string member_id;
  std::string event_id;
};

// Parses the fact and checks its ids; INVALID_ARGUMENT naming the fact otherwise.
template <typename Fact>
absl::StatusOr<Subject> Read(const hc::kafka::Message& message) {
  Fact fact;
  if (!fact.ParseFromString(message.value)) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() +
                                      ": value is not the protobuf message");
  }
  if (!hc::ids::IsUuid(fact.event_id())) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": event_id is not a UUID");
  }
  if (fact.member_id().empty()) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": no member_id");
  }
  return Subject{.member_id = hc::ids::Canonical(fact.member_id()),
                 .event_id = hc::ids::Canonical(fact.event_id())};
}

prometheus::Family<prometheus::Counter>& Deliveries(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("hc_notifications_deliveries_total")
      .Help("Notifications decided, by channel and status")
      .Register(registry);
}

prometheus::Counter& In(prometheus::Family<prometheus::Counter>& family,
                        const std::string& status) {
  return family.Add({{"channel", "in_app"}, {"status", status}});
}

}  // namespace

EventFactsHandler::EventFactsHandler(storage::NotificationStore& store, Clock clock,
                                     prometheus::Registry& registry)
    : store_(store),
      clock_(std::move(clock)),
      deliveries_(Deliveries(registry)),
      sent_(In(deliveries_, "sent")),
      suppressed_(In(deliveries_, "suppressed")),
      duplicate_(In(deliveries_, "duplicate")) {}

absl::Status EventFactsHandler::Handle(hc::postgres::Tx& tx, const hc::kafka::Message& message) {
  outcome_.reset();
  const std::string type = message.Header(hc::kafka::kCeType);
  std::optional<domain::InboxKind> kind;
  absl::StatusOr<Subject> subject = absl::InvalidArgumentError("unread");
  if (type == epb::RsvpConfirmed::descriptor()->full_name()) {
    kind = domain::InboxKind::kRsvpConfirmed;
    subject = Read<epb::RsvpConfirmed>(message);
  } else if (type == epb::RsvpWaitlisted::descriptor()->full_name()) {
    kind = domain::InboxKind::kRsvpWaitlisted;
    subject = Read<epb::RsvpWaitlisted>(message);
  } else if (type == epb::WaitlistPromoted::descriptor()->full_name()) {
    kind = domain::InboxKind::kWaitlistPromoted;
    subject = Read<epb::WaitlistPromoted>(message);
  } else {
    return absl::OkStatus();
  }
  if (!subject.ok()) return subject.status();

  // After the member's erasure nothing of theirs comes back; a fact still in flight for them is
  // dropped. Otherwise the shared lock holds the erasure off until this commits.
  if (absl::Status locked = hc::identity::LockMemberForWrite(tx, subject->member_id);
      !locked.ok()) {
    if (absl::IsFailedPrecondition(locked)) {
      outcome_ = Outcome::kSuppressed;
      return absl::OkStatus();
    }
    return locked;
  }
  const domain::Preferences preferences = store_.PreferencesIn(tx, subject->member_id);
  // The inbox needs no consent beyond membership itself.
  if (domain::Decide(preferences, domain::Consent{}, domain::CategoryOf(*kind),
                     domain::Channel::kInApp) != domain::Decision::kSend) {
    outcome_ = Outcome::kSuppressed;
    return absl::OkStatus();
  }
  const std::string ce_id = message.Header(hc::kafka::kCeId);
  const storage::InboxItem item{.item_id = hc::ids::NewUuid(),
                                .member_id = subject->member_id,
                                .kind = *kind,
                                .event_id = subject->event_id,
                                .created_at = clock_()};
  const bool stored = store_.AddInboxItemIn(
      tx, item, domain::DedupeKey(ce_id, subject->member_id, domain::Channel::kInApp));
  outcome_ = stored ? Outcome::kSent : Outcome::kDuplicate;
  return absl::OkStatus();
}

void EventFactsHandler::AfterCommit(const hc::kafka::Message& message) {
  (void)message;
  if (!outcome_) return;
  switch (*outcome_) {
    case Outcome::kSent:
      sent_.Increment();
      break;
    case Outcome::kSuppressed:
      suppressed_.Increment();
      break;
    case Outcome::kDuplicate:
      duplicate_.Increment();
      break;
  }
}

}  // namespace notifications::messaging
