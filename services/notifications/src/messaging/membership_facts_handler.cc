#include "services/notifications/src/messaging/membership_facts_handler.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <string>
#include <vector>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/identity/identity.h"
#include "libs/status/status.h"

namespace notifications::messaging {
namespace {

namespace mpb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;

// The role name in membership's role facts (and tokens) of those told about mentorships.
constexpr char kCoordinatorRole[] = "coordinator";
constexpr char kAdminRole[] = "admin";

template <typename Fact>
absl::StatusOr<std::string> MemberOf(const Fact& fact) {
  return UuidField<Fact>(fact.member_id(), "member_id");
}

// Takes the member's shared write lock; false when the member was erased (the fact is dropped).
absl::StatusOr<bool> LockLiveMember(hc::postgres::Tx& tx, const std::string& member_id) {
  absl::Status locked = hc::identity::LockMemberForWrite(tx, member_id);
  if (absl::IsFailedPrecondition(locked)) return false;
  HC_RETURN_IF_ERROR(locked);
  return true;
}

std::vector<std::string> Tags(const google::protobuf::RepeatedPtrField<std::string>& tags) {
  return std::vector<std::string>(tags.begin(), tags.end());
}

}  // namespace

template <typename Fact>
absl::Status MembershipFactsHandler::SetCoordinator(hc::postgres::Tx& tx, const Fact& fact,
                                                    bool holds,
                                                    const google::protobuf::Timestamp& at) {
  // Only coordinators and admins are told anything through this projection; other roles are
  // not kept.
  if (fact.role() != kCoordinatorRole && fact.role() != kAdminRole) return absl::OkStatus();
  // The time orders role facts: without one a replayed fact could undo a newer change.
  if (at.seconds() == 0 && at.nanos() == 0) {
    return absl::InvalidArgumentError(Fact::descriptor()->name() + ": no time");
  }
  HC_ASSIGN_OR_RETURN(const std::string member_id, MemberOf(fact));
  HC_ASSIGN_OR_RETURN(const bool live, LockLiveMember(tx, member_id));
  if (!live) return absl::OkStatus();
  const storage::Time changed_at(std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(at)));
  if (fact.role() == kAdminRole) {
    coordinators_.SetAdminIn(tx, member_id, holds, changed_at);
  } else {
    coordinators_.SetIn(tx, member_id, holds, changed_at);
  }
  return absl::OkStatus();
}

absl::Status MembershipFactsHandler::Handle(hc::postgres::Tx& tx,
                                            const hc::kafka::Message& message) {
  tally_ = {};
  const std::string type = message.Header(hc::kafka::kCeType);
  if (type == mpb::MemberConsentChanged::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::MemberConsentChanged>(message));
    domain::Channel channel;
    switch (fact.channel()) {
      case mpb::CONTACT_CHANNEL_EMAIL:
        channel = domain::Channel::kEmail;
        break;
      case mpb::CONTACT_CHANNEL_SMS:
        channel = domain::Channel::kSms;
        break;
      default:
        // Push is not a channel of ours.
        return absl::OkStatus();
    }
    // The time orders consent facts: without one a replayed fact could undo a newer choice.
    if (!fact.has_changed_at()) {
      return absl::InvalidArgumentError("MemberConsentChanged: no changed_at");
    }
    HC_ASSIGN_OR_RETURN(const std::string member_id, MemberOf(fact));
    HC_ASSIGN_OR_RETURN(const bool live, LockLiveMember(tx, member_id));
    if (!live) return absl::OkStatus();
    consents_.SetConsentIn(tx, member_id, channel, fact.granted(),
                           storage::Time(std::chrono::milliseconds(
                               TimeUtil::TimestampToMilliseconds(fact.changed_at()))));
    return absl::OkStatus();
  }
  if (type == mpb::MemberRegistered::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::MemberRegistered>(message));
    HC_ASSIGN_OR_RETURN(const std::string member_id, MemberOf(fact));
    HC_ASSIGN_OR_RETURN(const bool live, LockLiveMember(tx, member_id));
    if (!live) return absl::OkStatus();
    interests_.ReplaceIn(tx, member_id, Tags(fact.interests()));
    return deliveries_.Deliver(tx, "welcome:" + member_id,
                               {.member_id = member_id, .kind = domain::InboxKind::kWelcome},
                               tally_);
  }
  if (type == mpb::MemberProfileUpdated::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::MemberProfileUpdated>(message));
    const auto& changed = fact.changed_fields();
    if (std::find(changed.begin(), changed.end(), "interests") == changed.end()) {
      return absl::OkStatus();
    }
    HC_ASSIGN_OR_RETURN(const std::string member_id, MemberOf(fact));
    HC_ASSIGN_OR_RETURN(const bool live, LockLiveMember(tx, member_id));
    if (!live) return absl::OkStatus();
    interests_.ReplaceIn(tx, member_id, Tags(fact.interests()));
    return absl::OkStatus();
  }
  if (type == mpb::MemberRoleAssigned::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::MemberRoleAssigned>(message));
    return SetCoordinator(tx, fact, true, fact.assigned_at());
  }
  if (type == mpb::MemberRoleRevoked::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::MemberRoleRevoked>(message));
    return SetCoordinator(tx, fact, false, fact.revoked_at());
  }
  if (type == mpb::SobrietyMilestoneReached::descriptor()->full_name()) {
    HC_ASSIGN_OR_RETURN(const auto fact, ParseFact<mpb::SobrietyMilestoneReached>(message));
    HC_ASSIGN_OR_RETURN(const std::string member_id, MemberOf(fact));
    // Membership emits each milestone once, under one ce_id: the fact is the dedupe base.
    return deliveries_.Deliver(tx, message.Header(hc::kafka::kCeId),
                               {.member_id = member_id, .kind = domain::InboxKind::kMilestone},
                               tally_);
  }
  return absl::OkStatus();
}

}  // namespace notifications::messaging
