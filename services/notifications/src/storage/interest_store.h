#pragma once

#include <string>
#include <vector>

#include "libs/postgres/pool.h"

namespace notifications::storage {

// The `member_interests` table: a projection of members' interest tags from membership's facts,
// read to find who a new volunteer role should be suggested to.
//
// Invariants:
// - Writes run in the consumer's transaction after hc::identity::LockMemberForWrite (the
//   caller's), so after MemberDeleted's erasure (NotificationStore::EraseMemberIn deletes the
//   rows) nothing of the member comes back.
// - A member's set is replaced whole: membership's facts of one member arrive in order (keyed by
//   member id), so the last fact handled holds the member's current set.
class InterestStore {
 public:
  // Replaces the member's tags with `tags` (duplicates collapse; empty clears them).
  void ReplaceIn(hc::postgres::Tx& tx, const std::string& member_id,
                 const std::vector<std::string>& tags);
  // The member's tags, sorted.
  std::vector<std::string> TagsIn(hc::postgres::Tx& tx, const std::string& member_id);
  // Every member who opted in to role suggestions and holds at least one of `tags`, each once,
  // sorted: one statement, from member_interests_by_tag and preferences_role_suggestions.
  std::vector<std::string> RoleSuggestionRecipientsIn(hc::postgres::Tx& tx,
                                                      const std::vector<std::string>& tags);
};

}  // namespace notifications::storage
