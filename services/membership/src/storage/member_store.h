#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "libs/crypto/crypto.h"
#include "libs/postgres/pool.h"
#include "libs/tz/time_zones.h"
#include "services/membership/src/domain/directory.h"
#include "services/membership/src/domain/member.h"
#include "services/membership/src/domain/sobriety.h"

namespace membership::storage {

struct DirectoryPage {
  std::vector<domain::Member> members;
  // Resume after this (empty on the last page).
  std::string next_after;
};

// SearchDirectory's statement: $1 the escaped LIKE pattern, $2 an interest or '', $3 and $4 the
// cursor's key and member_id or '', $5 the page size + 1. Rows: the member's columns, then its
// display-name key. `by_name` adds the first/last-name branch (not needed for the pattern '%').
// Exported for tests/explain, which plans it.
std::string DirectorySearchSql(bool by_name);

struct Disclosure {
  int64_t id = 0;
  std::string accessed_by;
  std::string purpose;
  std::string what;
  int64_t accessed_at_ms = 0;
};

// Members in PostgreSQL. Every change commits together with its event in the outbox.
// Email, phone, program and sobriety date are sealed with `keys` before they reach the
// database; the email's keyed fingerprint enforces uniqueness.
class MemberStore {
 public:
  MemberStore(hc::postgres::Pool& pool, const hc::crypto::DataKeys& keys)
      : pool_(pool), keys_(keys) {}

  // Seals programs still held in the plain column (rows from before migration 0004) and zeroes
  // it; run at start, before serving. Returns how many it sealed.
  absl::StatusOr<int> SealPlainPrograms();
  // ALREADY_EXISTS (naming `email`) when the address is taken. INVALID_ARGUMENT naming
  // `interests` for a tag not (or no longer) in the catalogue.
  absl::StatusOr<domain::Member> Register(const domain::NewMember& member);
  // NOT_FOUND when there is no such active member.
  absl::StatusOr<domain::Member> Get(const std::string& member_id);
  // Locks the member, applies `changes`, bumps the version and records MemberProfileUpdated
  // when anything changed. Interests must be in the catalogue; retired tags the member already
  // has may stay.
  absl::StatusOr<domain::Member> UpdateProfile(const std::string& member_id,
                                               const domain::ProfileChanges& changes);
  // Replaces the privacy choices; MemberPrivacyChanged when they changed.
  absl::StatusOr<domain::Privacy> UpdatePrivacy(const std::string& member_id,
                                                const domain::Privacy& privacy);
  // Records consent for one channel; MemberConsentChanged when it changed. All consents.
  absl::StatusOr<std::vector<domain::Consent>> UpdateConsent(const std::string& member_id,
                                                             domain::Channel channel, bool granted);
  // Listed members whose display name (or, where shown, first or last name) starts with
  // `name_prefix`, with `interest` when given, ordered by display name; `after` is the
  // previous page's next_after.
  absl::StatusOr<DirectoryPage> SearchDirectory(const std::string& name_prefix,
                                                const std::string& interest, int page_size,
                                                const std::string& after);
  // The role set after the change; MemberRoleAssigned/Revoked when it changed.
  // A revoked role also revokes the member's tokens issued up to `now`.
  absl::StatusOr<std::vector<domain::Role>> ChangeRole(const std::string& member_id,
                                                       domain::Role role, bool assign,
                                                       const std::string& by,
                                                       std::chrono::system_clock::time_point now);
  // Erases personal data, keeps a tombstone, emits MemberDeleted. Returns false when the
  // member was already deleted (nothing done), NOT_FOUND when there never was one.
  // Tokens issued up to `now` are revoked and a tombstone kept (libs/identity).
  absl::StatusOr<bool> Delete(const std::string& member_id,
                              std::chrono::system_clock::time_point now);
  // The member with contact data, and an audit row in the same transaction.
  absl::StatusOr<domain::Member> GetContact(const std::string& member_id,
                                            const std::string& accessed_by,
                                            const std::string& purpose);
  // Records a refused internal call (a caller outside the RPC's list of services) against each
  // member it named, for the security audit; ListDisclosures leaves these out (nothing was
  // disclosed).
  absl::Status AuditRefused(const std::vector<std::string>& member_ids,
                            const std::string& accessed_by, const std::string& what);
  // Eligibility without revealing the date, audited like GetContact. Unknown members: kUnknown.
  // RESOURCE_EXHAUSTED (audited as "eligibility_refused") when `accessed_by` asked about
  // domain::kMaxDistinctThresholdsPerDay other thresholds for this member in the last 24 hours.
  absl::StatusOr<domain::Eligibility> CheckEligibility(const std::string& member_id, int min_days,
                                                       const domain::Date& today,
                                                       const std::string& accessed_by,
                                                       const std::string& purpose);
  struct ListedName {
    std::string member_id;
    std::string display_name;
    bool hidden = false;
  };
  // Names for attendee and volunteer lists: active members only; hidden ones blank.
  absl::StatusOr<std::vector<ListedName>> DisplayNames(const std::vector<std::string>& ids);
  struct SignInIdentity {
    std::string member_id;
    std::string display_name;
    std::vector<domain::Role> roles;
  };
  // The active member with this email address (looked up by its keyed fingerprint) or id, for
  // the edge's sign-in; nullopt for anyone else, erased members included.
  absl::StatusOr<std::optional<SignInIdentity>> ResolveSignInByEmail(const std::string& email);
  absl::StatusOr<std::optional<SignInIdentity>> ResolveSignInById(const std::string& member_id);
  // The catalogue of interest tags members choose from: the active ones, sorted.
  absl::StatusOr<std::vector<std::string>> ListInterestTags();
  // Adds a tag, or brings back a retired one; OK if already active. FAILED_PRECONDITION beyond
  // domain::kMaxInterestTags active tags.
  absl::Status AddInterestTag(const std::string& tag, const std::string& by);
  // Nobody new may choose it; members who have it keep it. NOT_FOUND for unknown tags.
  absl::Status RetireInterestTag(const std::string& tag);
  // Newest first; `before_id` 0 = from the newest.
  absl::StatusOr<std::vector<Disclosure>> ListDisclosures(const std::string& member_id,
                                                          int page_size, int64_t before_id);
  // For each member who celebrates milestones: announces the latest milestone reached since
  // they opted in, counted in days of their own time zone at `now` (domain::MilestoneDue), unless
  // it was announced already; each milestone exactly once, even with concurrent runs and
  // replicas. Returns how many it announced.
  absl::StatusOr<int> AnnounceMilestones(std::chrono::system_clock::time_point now);

 private:
  absl::StatusOr<domain::Member> FromRow(const pqxx::row& row) const;
  // The active member with consents, or nullopt.
  absl::StatusOr<std::optional<domain::Member>> LoadActive(hc::postgres::Tx& tx,
                                                           const std::string& member_id) const;
  absl::StatusOr<std::optional<SignInIdentity>> ResolveSignIn(const std::string& where,
                                                              const std::string& param,
                                                              bool binary);
  std::string SealOrEmpty(const std::string& value, const std::string& member_id,
                          const char* column) const;

  hc::postgres::Pool& pool_;
  const hc::crypto::DataKeys& keys_;
  hc::tz::SystemTimeZones zones_;
};

}  // namespace membership::storage
