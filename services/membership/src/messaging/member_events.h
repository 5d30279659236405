#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/membership/src/domain/member.h"
#include "services/membership/src/domain/sobriety.h"

namespace membership::events {

inline constexpr char kTopic[] = "alumni.membership.v1";

// Each records its event in the outbox inside the caller's transaction. Events carry ids and
// non-sensitive facts only: no email, phone, sobriety date or names.
void AppendMemberRegistered(hc::postgres::Tx& tx, const domain::Member& member);
// `changed_fields`: domain::AnnouncedChanges only. `version`: members.profile_event_version,
// not the profile's own version (see MemberStore::UpdateProfile).
void AppendMemberProfileUpdated(hc::postgres::Tx& tx, const domain::Member& member,
                                const std::vector<std::string>& changed_fields, int64_t version);
void AppendMemberPrivacyChanged(hc::postgres::Tx& tx, const std::string& member_id,
                                const domain::Privacy& privacy);
void AppendMemberConsentChanged(hc::postgres::Tx& tx, const std::string& member_id,
                                const domain::Consent& consent);
void AppendMemberRoleChanged(hc::postgres::Tx& tx, const std::string& member_id, domain::Role role,
                             bool assigned, const std::string& by);
void AppendMemberDeleted(hc::postgres::Tx& tx, const std::string& member_id);
void AppendMilestoneReached(hc::postgres::Tx& tx, const std::string& member_id,
                            const domain::Milestone& milestone);

}  // namespace membership::events
