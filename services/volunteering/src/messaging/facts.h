#pragma once

#include <string>
#include <vector>

#include "libs/postgres/pool.h"
#include "services/volunteering/src/domain/hours.h"
#include "services/volunteering/src/domain/volunteering.h"

namespace volunteering::facts {

inline constexpr char kTopic[] = "alumni.volunteering.v1";

enum class WithdrawReason { kMember = 1, kMemberDeleted = 2 };

// Member ids per ShiftUpdated / ShiftCancelled fact: 1,000 ids are about 40 KB, far below the
// broker's 1 MB (events' EventCancelled pages the same way).
inline constexpr size_t kIdsPerFact = 1000;

// Records the service's facts in the outbox inside the caller's transaction, keyed by role id
// (so one role's facts, its shifts' included, stay in order). The caller holds the role's or
// the shift's lock. Ids and non-sensitive facts only: no titles, no free text.
class Recorder {
 public:
  explicit Recorder(std::string topic = kTopic) : topic_(std::move(topic)) {}
  const std::string& topic() const { return topic_; }

  void RolePosted(hc::postgres::Tx& tx, const domain::Role& role) const;
  void RoleClosed(hc::postgres::Tx& tx, const std::string& role_id, domain::Time at) const;
  // The names of the fields that changed, never their values (no titles or free text).
  void RoleUpdated(hc::postgres::Tx& tx, const domain::Role& role,
                   const std::vector<std::string>& changed_fields) const;
  void ShiftAdded(hc::postgres::Tx& tx, const domain::Shift& shift) const;
  // As an outbox statement, for SignUp's pipelined transaction.
  hc::postgres::Statement SignedUp(const domain::Shift& shift, const domain::Signup& signup) const;
  void Withdrawn(hc::postgres::Tx& tx, const domain::Shift& shift, const std::string& member_id,
                 domain::SignupStatus previous, WithdrawReason reason, domain::Time at) const;
  void Promoted(hc::postgres::Tx& tx, const domain::Shift& shift, const std::string& member_id,
                domain::Time at) const;
  void Filled(hc::postgres::Tx& tx, const domain::Shift& shift, domain::Time at) const;
  hc::postgres::Statement FilledStatement(const domain::Shift& shift, domain::Time at) const;
  // One fact per kIdsPerFact people affected (at least one), page 1..page_count, each with the
  // shift's fields; `event_id` set when the shift's event moved or was cancelled.
  void ShiftUpdated(hc::postgres::Tx& tx, const domain::Shift& shift,
                    const std::vector<std::string>& changed_fields,
                    const std::vector<std::string>& affected_member_ids,
                    const std::string& event_id) const;
  void ShiftCancelled(hc::postgres::Tx& tx, const domain::Shift& shift,
                      const std::vector<std::string>& affected_member_ids,
                      const std::string& event_id, domain::Time at) const;
  // `signup` as the approval left it: CONFIRMED, or WAITLISTED when no slot was left.
  void Approved(hc::postgres::Tx& tx, const domain::Shift& shift,
                const domain::Signup& signup) const;
  void Declined(hc::postgres::Tx& tx, const domain::Shift& shift, const std::string& member_id,
                domain::Time at) const;
  // Hours facts name the member (a subject, so an erasure forgets them).
  void HoursLogged(hc::postgres::Tx& tx, const domain::HoursEntry& entry) const;
  void HoursApproved(hc::postgres::Tx& tx, const domain::HoursEntry& entry, domain::Time at) const;

 private:
  std::string topic_;
};

}  // namespace volunteering::facts
