#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "libs/auth/auth.h"
#include "libs/kafka/kafka.h"
#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"

// Who may act, kept in step across services and replicas: every service records the
// revocations membership announces (a role revoked, a member erased) in its own database and
// refuses tokens issued up to them; erased members are kept as tombstones that writes check
// under a per-member lock.
//
// Invariant: a write on a member's behalf takes LockMemberForWrite (shared) before anything
// else and checks the tombstone after it has the lock; an erasure takes LockMemberForErasure
// (exclusive), records the tombstone and only then reads what the member has. So a write is
// either committed before the erasure reads (and the erasure removes it) or starts after the
// tombstone committed (and is refused): none survives.
namespace hc::identity {

// The `token_revocations` table; every service adds it to its migrations (Runtime does).
const postgres::Migration& Migration();

// Tokens of `subject` issued at or before `through` are refused from now on; `erased` also
// leaves a tombstone. Inside the caller's transaction (the change and the record commit
// together). Keeps the latest `through`; a tombstone stays.
void RecordRevocation(postgres::Tx& tx, const std::string& subject,
                      std::chrono::system_clock::time_point through, bool erased);

// Shared per-member write lock, then the tombstone check: FAILED_PRECONDITION for an erased
// member. Call first in a transaction that writes on a member's behalf.
absl::Status LockMemberForWrite(postgres::Tx& tx, const std::string& member_id);
// LockMemberForWrite in two halves, for a hot write that saves a round trip: the shared lock
// alone, and then the tombstone check asked by the caller's *next* statement, which selects
// ErasedSql(n) (n: the parameter holding the canonical member id) beside what it reads. It
// must be a later statement than the lock: at READ COMMITTED its snapshot then includes a
// tombstone committed by an erasure that held the lock before us. Refuse when it is true,
// with ErasedError(), before writing anything.
void LockMemberShared(postgres::Tx& tx, const std::string& member_id);
std::string ErasedSql(int param);
// LockMemberShared and IsErased as statements, for a pipelined transaction
// (postgres::PipelineTx). A statement queued after the lock's, even in the same batch, is a
// later statement: it takes its snapshot once the lock is granted.
postgres::Statement LockMemberSharedStatement(const std::string& member_id);
postgres::Statement IsErasedStatement(const std::string& member_id);
absl::Status ErasedError();
// Exclusive per-member lock: waits for the member's writes in flight.
void LockMemberForErasure(postgres::Tx& tx, const std::string& member_id);
// True when a tombstone exists (no lock taken).
bool IsErased(postgres::Tx& tx, const std::string& member_id);

// A fact from membership that changes who may act.
struct IdentityChange {
  std::string member_id;
  std::chrono::system_clock::time_point through;
  bool erased = false;
};

// When `message` is MemberRoleRevoked or MemberDeleted: takes the erasure lock (for
// MemberDeleted), records the revocation in `tx` and returns the change; nullopt for other
// facts. INVALID_ARGUMENT for a malformed one (the consumer dead-letters it).
absl::StatusOr<std::optional<IdentityChange>> RecordIdentityFact(postgres::Tx& tx,
                                                                 const kafka::Message& message);

// The consumer handler of `alumni.membership.v1` every service runs, for libs/kafka's Consumer
// (inbox dedupe in the same transaction): MemberRoleRevoked and MemberDeleted are recorded
// (RecordIdentityFact); for MemberDeleted, `erase` then removes what the service holds on the
// member, in the same transaction and under the member's erasure lock, and returns the
// aggregates whose cached reads it changed. Other facts are ignored. Runs on the consumer's
// one thread.
class MembershipFactsHandler {
 public:
  using Erase =
      std::function<std::vector<std::string>(postgres::Tx&, const std::string& member_id)>;
  // `invalidate` drops the cached reads of an aggregate, `revoke` applies the revocation to
  // this process's verifier; both run after the commit.
  MembershipFactsHandler(Erase erase, std::function<void(const std::string&)> invalidate,
                         std::function<void(const IdentityChange&)> revoke)
      : erase_(std::move(erase)), invalidate_(std::move(invalidate)), revoke_(std::move(revoke)) {}

  // The Consumer's handler; INVALID_ARGUMENT for a fact that can't be read (DLQ after retries).
  absl::Status Handle(postgres::Tx& tx, const kafka::Message& message);
  // The Consumer's after_commit.
  void AfterCommit(const kafka::Message& message);

 private:
  Erase erase_;
  std::function<void(const std::string&)> invalidate_;
  std::function<void(const IdentityChange&)> revoke_;
  // What the last Handle call did (a retry starts afresh).
  std::optional<IdentityChange> change_;
  std::vector<std::string> touched_;
};

// Keeps `verifier`'s revocations equal to the table: loads it at Start, then re-reads it every
// `interval` (another replica's consumer may have recorded a change). Forgets revocations older
// than the verifier's longest token lifetime (every token issued before then has expired).
class RevocationSync {
 public:
  RevocationSync(postgres::Pool& pool, const auth::Verifier& verifier,
                 prometheus::Registry& registry,
                 std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~RevocationSync();

  // Loads once (UNAVAILABLE when the database can't be read), then refreshes in the background.
  absl::Status Start();
  void Stop();
  // Applies a change this process just committed, without waiting for the next refresh.
  void Apply(const IdentityChange& change);

 private:
  absl::Status Refresh();
  void Loop();

  postgres::Pool& pool_;
  const auth::Verifier& verifier_;
  std::chrono::milliseconds interval_;
  prometheus::Gauge& revoked_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hc::identity
