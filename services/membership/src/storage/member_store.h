#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "libs/postgres/pool.h"
#include "services/membership/src/domain/member.h"

namespace membership::storage {

// Members in PostgreSQL. Every change commits together with its event in the outbox.
class MemberStore {
 public:
  explicit MemberStore(hc::postgres::Pool& pool) : pool_(pool) {}

  // ALREADY_EXISTS (naming `email`) when the address is taken.
  absl::StatusOr<domain::Member> Register(const domain::NewMember& member);
  // NOT_FOUND when there is no such (active) member.
  absl::StatusOr<domain::Member> Get(const std::string& member_id);
  // Locks the member, applies `changes`, bumps the version and records MemberProfileUpdated
  // when anything changed. NOT_FOUND when there is no such member.
  absl::StatusOr<domain::Member> UpdateProfile(const std::string& member_id,
                                               const domain::ProfileChanges& changes);

 private:
  hc::postgres::Pool& pool_;
};

}  // namespace membership::storage
