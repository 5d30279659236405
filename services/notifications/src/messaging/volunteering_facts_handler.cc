#include "services/notifications/src/messaging/volunteering_facts_handler.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/status/status.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"

namespace notifications::messaging {
namespace {

namespace vpb = alumni::volunteering::v1;
using domain::InboxKind;

using Items = std::vector<storage::InboxItem>;

// An item about the fact's shift and role; INVALID_ARGUMENT naming the fact when they are not
// UUIDs.
template <typename Fact>
absl::StatusOr<storage::InboxItem> About(const Fact& fact, InboxKind kind) {
  storage::InboxItem item{.kind = kind};
  HC_ASSIGN_OR_RETURN(item.shift_id, UuidField<Fact>(fact.shift_id(), "shift_id"));
  HC_ASSIGN_OR_RETURN(item.role_id, UuidField<Fact>(fact.role_id(), "role_id"));
  return item;
}

// A fact about one member's sign-up; no item for a status (`kind` nullopt) that makes none.
template <typename Fact>
absl::StatusOr<Items> ForMember(const Fact& fact, std::optional<InboxKind> kind) {
  if (!kind) return Items();
  if (fact.member_id().empty()) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": no member_id");
  }
  HC_ASSIGN_OR_RETURN(storage::InboxItem item, About(fact, *kind));
  item.member_id = hc::ids::Canonical(fact.member_id());
  return Items{std::move(item)};
}

// A fact about everyone on a shift: one item for each of this page's affected members.
template <typename Fact>
absl::StatusOr<Items> ForAffected(const Fact& fact, InboxKind kind) {
  HC_ASSIGN_OR_RETURN(const storage::InboxItem about, About(fact, kind));
  Items items;
  for (const std::string& member_id : fact.affected_member_ids()) {
    if (member_id.empty()) {
      return absl::InvalidArgumentError(Fact::descriptor()->name() +
                                        ": an empty affected_member_ids entry");
    }
    items.push_back(about);
    items.back().member_id = hc::ids::Canonical(member_id);
  }
  return items;
}

std::optional<InboxKind> SignedUpKind(vpb::SignupStatus status) {
  switch (status) {
    case vpb::SIGNUP_STATUS_CONFIRMED:
      return InboxKind::kVolunteerConfirmed;
    case vpb::SIGNUP_STATUS_WAITLISTED:
      return InboxKind::kVolunteerWaitlisted;
    case vpb::SIGNUP_STATUS_PENDING_APPROVAL:
      return InboxKind::kVolunteerPendingApproval;
    default:
      return std::nullopt;
  }
}

std::optional<InboxKind> ApprovedKind(vpb::SignupStatus status) {
  switch (status) {
    case vpb::SIGNUP_STATUS_CONFIRMED:
      return InboxKind::kSignupApproved;
    case vpb::SIGNUP_STATUS_WAITLISTED:
      return InboxKind::kSignupApprovedWaitlisted;
    default:
      return std::nullopt;
  }
}

}  // namespace

absl::StatusOr<Items> VolunteeringFactItems(const hc::kafka::Message& message) {
  const std::string type = message.Header(hc::kafka::kCeType);
  if (type == vpb::VolunteerSignedUp::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::VolunteerSignedUp>(message));
    return ForMember(fact, SignedUpKind(fact.status()));
  }
  if (type == vpb::SignupApproved::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::SignupApproved>(message));
    return ForMember(fact, ApprovedKind(fact.status()));
  }
  if (type == vpb::SignupDeclined::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::SignupDeclined>(message));
    return ForMember(fact, InboxKind::kSignupDeclined);
  }
  if (type == vpb::VolunteerPromoted::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::VolunteerPromoted>(message));
    return ForMember(fact, InboxKind::kVolunteerPromoted);
  }
  if (type == vpb::ShiftCancelled::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::ShiftCancelled>(message));
    return ForAffected(fact, InboxKind::kShiftCancelled);
  }
  if (type == vpb::ShiftUpdated::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::ShiftUpdated>(message));
    const auto& changed = fact.changed_fields();
    // Only a new time is worth telling everyone on the shift; slots changing is not.
    if (std::find(changed.begin(), changed.end(), "start_time") == changed.end()) {
      return Items();
    }
    return ForAffected(fact, InboxKind::kShiftMoved);
  }
  return Items();
}

absl::Status VolunteeringFactsHandler::Handle(hc::postgres::Tx& tx,
                                              const hc::kafka::Message& message) {
  suggested_ =
      message.Header(hc::kafka::kCeType) == vpb::VolunteerRolePosted::descriptor()->full_name();
  if (!suggested_) return items_.Handle(tx, message);
  tally_ = {};
  HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::VolunteerRolePosted>(message));
  HC_ASSIGN_OR_RETURN(const std::string role_id,
                      UuidField<vpb::VolunteerRolePosted>(fact.role_id(), "role_id"));
  const std::vector<std::string> tags(fact.tags().begin(), fact.tags().end());
  for (const std::string& member_id : interests_.RoleSuggestionRecipientsIn(tx, tags)) {
    HC_RETURN_IF_ERROR(deliveries_.Deliver(
        tx, "role_suggested:" + role_id,
        {.member_id = member_id, .kind = InboxKind::kRoleSuggested, .role_id = role_id}, tally_));
  }
  return absl::OkStatus();
}

void VolunteeringFactsHandler::AfterCommit() {
  if (suggested_) {
    deliveries_.Count(tally_);
  } else {
    items_.AfterCommit();
  }
}

}  // namespace notifications::messaging
