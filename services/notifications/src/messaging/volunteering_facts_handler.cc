#include "services/notifications/src/messaging/volunteering_facts_handler.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "alumni/volunteering/v1/volunteering_events.pb.h"
#include "libs/status/status.h"
#include "services/notifications/src/messaging/inbox_deliveries.h"

namespace notifications::messaging {
namespace {

namespace vpb = alumni::volunteering::v1;
using domain::InboxKind;
using google::protobuf::util::TimeUtil;

// The mentorship facts' type names start with one of these (MentorChosen, MentorCheckInDue,
// MentorshipStarted, ...); everything else on the topic is a shift's or a role's.
constexpr char kMentorFactPrefix[] = "alumni.volunteering.v1.Mentor";
constexpr char kMentorshipFactPrefix[] = "alumni.volunteering.v1.Mentorship";

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
  const std::string type = message.Header(hc::kafka::kCeType);
  own_tally_ = type == vpb::VolunteerRolePosted::descriptor()->full_name() ||
               absl::StartsWith(type, kMentorFactPrefix) ||
               absl::StartsWith(type, kMentorshipFactPrefix);
  if (!own_tally_) return items_.Handle(tx, message);
  tally_ = {};
  if (type != vpb::VolunteerRolePosted::descriptor()->full_name()) {
    return HandleMentorship(tx, message);
  }
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

absl::Status VolunteeringFactsHandler::HandleMentorship(hc::postgres::Tx& tx,
                                                        const hc::kafka::Message& message) {
  const std::string type = message.Header(hc::kafka::kCeType);
  // Each notice's dedupe base is the match (or the concern, or the check-in period), not the
  // fact: a fact redelivered or published again tells each party once.
  const auto tell_item = [&](const std::string& base, storage::InboxItem item) {
    return deliveries_.Deliver(tx, base, item, tally_);
  };
  const auto tell = [&](const std::string& base, const std::string& member_id, InboxKind kind) {
    return tell_item(base, {.member_id = member_id, .kind = kind});
  };
  if (type == vpb::MentorChosen::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorChosen>(message));
    HC_ASSIGN_OR_RETURN(const auto match,
                        UuidField<vpb::MentorChosen>(fact.match_id(), "match_id"));
    HC_ASSIGN_OR_RETURN(const auto mentor,
                        UuidField<vpb::MentorChosen>(fact.mentor_id(), "mentor_id"));
    storage::InboxItem item{.member_id = mentor, .kind = InboxKind::kMentorChosen};
    if (fact.has_respond_by()) {
      item.answer_by = storage::Time(
          std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(fact.respond_by())));
    }
    return tell_item("mentor_chosen:" + match, std::move(item));
  }
  if (type == vpb::MentorChoiceLapsed::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorChoiceLapsed>(message));
    HC_ASSIGN_OR_RETURN(const auto match,
                        UuidField<vpb::MentorChoiceLapsed>(fact.match_id(), "match_id"));
    HC_ASSIGN_OR_RETURN(const auto mentee,
                        UuidField<vpb::MentorChoiceLapsed>(fact.mentee_id(), "mentee_id"));
    return tell("mentor_choice_lapsed:" + match, mentee, InboxKind::kMentorChoiceLapsed);
  }
  if (type == vpb::MentorshipStarted::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorshipStarted>(message));
    HC_ASSIGN_OR_RETURN(const auto match,
                        UuidField<vpb::MentorshipStarted>(fact.match_id(), "match_id"));
    HC_ASSIGN_OR_RETURN(const auto mentee,
                        UuidField<vpb::MentorshipStarted>(fact.mentee_id(), "mentee_id"));
    HC_ASSIGN_OR_RETURN(const auto mentor,
                        UuidField<vpb::MentorshipStarted>(fact.mentor_id(), "mentor_id"));
    // One introduction per party per match: the key is (match, party, channel). Each names the
    // other party and whether they share an address with them (the address itself is looked up
    // at send time, only when shared).
    const std::string base = "mentorship_introduction:" + match;
    HC_RETURN_IF_ERROR(tell_item(base, {.member_id = mentee,
                                        .kind = InboxKind::kMentorshipIntroduction,
                                        .other_member_id = mentor,
                                        .other_shares_email = fact.mentor_shares_email(),
                                        .other_shares_phone = fact.mentor_shares_phone()}));
    return tell_item(base, {.member_id = mentor,
                            .kind = InboxKind::kMentorshipIntroduction,
                            .other_member_id = mentee,
                            .other_shares_email = fact.mentee_shares_email(),
                            .other_shares_phone = fact.mentee_shares_phone()});
  }
  if (type == vpb::MentorCheckInDue::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorCheckInDue>(message));
    HC_ASSIGN_OR_RETURN(const auto match,
                        UuidField<vpb::MentorCheckInDue>(fact.match_id(), "match_id"));
    HC_ASSIGN_OR_RETURN(const auto mentee,
                        UuidField<vpb::MentorCheckInDue>(fact.mentee_id(), "mentee_id"));
    HC_ASSIGN_OR_RETURN(const auto mentor,
                        UuidField<vpb::MentorCheckInDue>(fact.mentor_id(), "mentor_id"));
    // One reminder per quiet spell: a later one (after more silence) has a new last activity.
    const std::string base =
        absl::StrCat("mentor_check_in_due:", match, ":",
                     TimeUtil::TimestampToMilliseconds(fact.last_activity_at()));
    HC_RETURN_IF_ERROR(tell(base, mentee, InboxKind::kMentorCheckInDue));
    return tell(base, mentor, InboxKind::kMentorCheckInDue);
  }
  if (type == vpb::MentorshipEnded::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorshipEnded>(message));
    HC_ASSIGN_OR_RETURN(const auto match,
                        UuidField<vpb::MentorshipEnded>(fact.match_id(), "match_id"));
    // With MEMBER_LEFT only the remaining party is named; the reason is never passed on (the
    // notice is the same neutral sentence whatever it was). The party who ended it (`ended_by`)
    // gets a short confirmation instead.
    const std::string base = "mentorship_ended:" + match;
    const std::string ended_by = fact.ended_by().empty() ? "" : hc::ids::Canonical(fact.ended_by());
    int told = 0;
    for (const std::string* id : {&fact.mentee_id(), &fact.mentor_id()}) {
      if (id->empty()) continue;
      HC_ASSIGN_OR_RETURN(const auto member, UuidField<vpb::MentorshipEnded>(*id, "member id"));
      HC_RETURN_IF_ERROR(tell(
          base, member,
          member == ended_by ? InboxKind::kMentorshipEndConfirmed : InboxKind::kMentorshipEnded));
      ++told;
    }
    if (told == 0) return absl::InvalidArgumentError("MentorshipEnded: no member named");
    return absl::OkStatus();
  }
  if (type == vpb::MentorshipConcernReported::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<vpb::MentorshipConcernReported>(message));
    HC_ASSIGN_OR_RETURN(const auto concern,
                        UuidField<vpb::MentorshipConcernReported>(fact.concern_id(), "concern_id"));
    // Coordinators and admins learn only that a match needs attention: never who, the category
    // or whether the other was blocked (they see that in volunteering's coordinator screens).
    for (const std::string& coordinator : coordinators_.StaffIn(tx)) {
      HC_RETURN_IF_ERROR(
          tell("mentorship_attention:" + concern, coordinator, InboxKind::kMentorshipAttention));
    }
    return absl::OkStatus();
  }
  // MentorshipRequested, MentorProposed: the requester has the proposals in the RPC's answer.
  return absl::OkStatus();
}

void VolunteeringFactsHandler::AfterCommit() {
  if (own_tally_) {
    deliveries_.Count(tally_);
  } else {
    items_.AfterCommit();
  }
}

}  // namespace notifications::messaging
