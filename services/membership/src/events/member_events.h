#pragma once

#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/membership/src/domain/member.h"

namespace membership::events {

inline constexpr char kTopic[] = "alumni.membership.v1";

// Each records its event in the outbox inside the caller's transaction. Events carry ids and
// non-sensitive facts only: no email, phone, sobriety date or names.
void AppendMemberRegistered(hc::postgres::Tx& tx, const domain::Member& member);
void AppendMemberProfileUpdated(hc::postgres::Tx& tx, const domain::Member& member,
                                const std::vector<std::string>& changed_fields);

}  // namespace membership::events
