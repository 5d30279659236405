#include "services/membership/src/messaging/member_events.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/outbox/outbox.h"

namespace membership::events {
namespace {

namespace pb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Now() { return TimeUtil::GetCurrentTime(); }

}  // namespace

void AppendMemberRegistered(hc::postgres::Tx& tx, const domain::Member& member) {
  pb::MemberRegistered event;
  event.set_member_id(member.member_id);
  *event.mutable_registered_at() = TimeUtil::MillisecondsToTimestamp(member.created_at_ms);
  event.set_time_zone(member.time_zone);
  for (const auto& interest : member.interests) event.add_interests(interest);
  hc::outbox::Append(tx, kTopic, member.member_id, event, {member.member_id});
}

void AppendMemberProfileUpdated(hc::postgres::Tx& tx, const domain::Member& member,
                                const std::vector<std::string>& changed_fields, int64_t version) {
  pb::MemberProfileUpdated event;
  event.set_member_id(member.member_id);
  *event.mutable_updated_at() = TimeUtil::MillisecondsToTimestamp(member.updated_at_ms);
  for (const auto& field : changed_fields) event.add_changed_fields(field);
  event.set_version(version);
  // Consumers projecting interests (notifications' role suggestions) need the new set itself.
  if (std::find(changed_fields.begin(), changed_fields.end(), "interests") !=
      changed_fields.end()) {
    for (const auto& interest : member.interests) event.add_interests(interest);
  }
  hc::outbox::Append(tx, kTopic, member.member_id, event, {member.member_id});
}

void AppendMemberPrivacyChanged(hc::postgres::Tx& tx, const std::string& member_id,
                                const domain::Privacy& privacy) {
  pb::MemberPrivacyChanged event;
  event.set_member_id(member_id);
  *event.mutable_changed_at() = Now();
  event.set_hide_name_in_lists(privacy.hide_name_in_lists);
  event.set_listed_in_directory(privacy.visibility == domain::DirectoryVisibility::kAlumni);
  event.set_celebrate_milestones(privacy.celebrate_milestones);
  hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
}

void AppendMemberConsentChanged(hc::postgres::Tx& tx, const std::string& member_id,
                                const domain::Consent& consent) {
  pb::MemberConsentChanged event;
  event.set_member_id(member_id);
  event.set_channel(static_cast<pb::ContactChannel>(consent.channel));
  event.set_granted(consent.granted);
  *event.mutable_changed_at() = TimeUtil::MillisecondsToTimestamp(consent.changed_at_ms);
  hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
}

void AppendMemberRoleChanged(hc::postgres::Tx& tx, const std::string& member_id, domain::Role role,
                             bool assigned, const std::string& by) {
  const std::string name(domain::RoleName(role));
  if (assigned) {
    pb::MemberRoleAssigned event;
    event.set_member_id(member_id);
    event.set_role(name);
    *event.mutable_assigned_at() = Now();
    event.set_assigned_by(by);
    hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
  } else {
    pb::MemberRoleRevoked event;
    event.set_member_id(member_id);
    event.set_role(name);
    *event.mutable_revoked_at() = Now();
    event.set_revoked_by(by);
    hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
  }
}

void AppendMemberDeleted(hc::postgres::Tx& tx, const std::string& member_id) {
  pb::MemberDeleted event;
  event.set_member_id(member_id);
  *event.mutable_deleted_at() = Now();
  hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
}

void AppendMilestoneReached(hc::postgres::Tx& tx, const std::string& member_id,
                            const domain::Milestone& milestone) {
  pb::SobrietyMilestoneReached event;
  event.set_member_id(member_id);
  switch (milestone.kind) {
    case domain::MilestoneKind::kDays30:
      event.set_milestone(pb::MILESTONE_30_DAYS);
      break;
    case domain::MilestoneKind::kDays60:
      event.set_milestone(pb::MILESTONE_60_DAYS);
      break;
    case domain::MilestoneKind::kDays90:
      event.set_milestone(pb::MILESTONE_90_DAYS);
      break;
    case domain::MilestoneKind::kMonths6:
      event.set_milestone(pb::MILESTONE_6_MONTHS);
      break;
    case domain::MilestoneKind::kYears:
      event.set_milestone(pb::MILESTONE_YEARS);
      event.set_years(milestone.years);
      break;
  }
  hc::outbox::Append(tx, kTopic, member_id, event, {member_id});
}

}  // namespace membership::events
