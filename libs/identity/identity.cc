#include "libs/identity/identity.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "alumni/membership/v1/membership_events.pb.h"
#include "libs/ids/ids.h"

namespace hc::identity {
namespace {

using Clock = std::chrono::system_clock;

// Advisory locks of the two-key form in their own class, apart from the relay's one-key lock.
constexpr int kMemberLockClass = 0x4843;  // "HC"
const char kLockSharedSql[] = "SELECT pg_advisory_xact_lock_shared($1, hashtext($2))";
const char kIsErasedSql[] = "SELECT 1 FROM token_revocations WHERE subject = $1 AND erased";

long Seconds(Clock::time_point t) {
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

Clock::time_point FromProto(const google::protobuf::Timestamp& t) {
  return Clock::time_point(
      std::chrono::milliseconds(google::protobuf::util::TimeUtil::TimestampToMilliseconds(t)));
}

}  // namespace

const postgres::Migration& Migration() {
  static const postgres::Migration kRevocations{"lib_identity_0001", R"sql(
CREATE TABLE token_revocations (
  subject         text PRIMARY KEY,
  revoked_through timestamptz NOT NULL,
  erased          boolean NOT NULL DEFAULT false
);
CREATE INDEX token_revocations_recent ON token_revocations (revoked_through);
)sql"};
  return kRevocations;
}

void RecordRevocation(postgres::Tx& tx, const std::string& subject, Clock::time_point through,
                      bool erased) {
  tx.exec_params(
      "INSERT INTO token_revocations (subject, revoked_through, erased) "
      "VALUES ($1, to_timestamp($2::double precision / 1000), $3) "
      "ON CONFLICT (subject) DO UPDATE SET "
      "revoked_through = GREATEST(token_revocations.revoked_through, EXCLUDED.revoked_through), "
      "erased = token_revocations.erased OR EXCLUDED.erased",
      ids::Canonical(subject),
      static_cast<long long>(
          std::chrono::duration_cast<std::chrono::milliseconds>(through.time_since_epoch())
              .count()),
      erased);
}

absl::Status LockMemberForWrite(postgres::Tx& tx, const std::string& member_id) {
  const std::string id = ids::Canonical(member_id);
  LockMemberShared(tx, id);
  // A statement of its own after the lock: at READ COMMITTED it sees a tombstone committed by
  // the erasure that held the lock before us.
  if (IsErased(tx, id)) return ErasedError();
  return absl::OkStatus();
}

void LockMemberShared(postgres::Tx& tx, const std::string& member_id) {
  postgres::ExecPrepared(tx, kLockSharedSql, kMemberLockClass, ids::Canonical(member_id));
}

postgres::Statement LockMemberSharedStatement(const std::string& member_id) {
  return postgres::MakeStatement(kLockSharedSql, kMemberLockClass, ids::Canonical(member_id));
}

postgres::Statement IsErasedStatement(const std::string& member_id) {
  return postgres::MakeStatement(kIsErasedSql, ids::Canonical(member_id));
}

std::string ErasedSql(int param) {
  return "EXISTS (SELECT 1 FROM token_revocations WHERE subject = $" + std::to_string(param) +
         " AND erased)";
}

absl::Status ErasedError() {
  return absl::FailedPreconditionError("this member's account was deleted");
}

void LockMemberForErasure(postgres::Tx& tx, const std::string& member_id) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1, hashtext($2))", kMemberLockClass,
                 ids::Canonical(member_id));
}

bool IsErased(postgres::Tx& tx, const std::string& member_id) {
  return !postgres::ExecPrepared(tx, kIsErasedSql, ids::Canonical(member_id)).empty();
}

absl::StatusOr<std::optional<IdentityChange>> RecordIdentityFact(postgres::Tx& tx,
                                                                 const kafka::Message& message) {
  namespace mpb = alumni::membership::v1;
  const std::string type = message.Header(kafka::kCeType);
  IdentityChange change;
  if (type == mpb::MemberDeleted::descriptor()->full_name()) {
    mpb::MemberDeleted fact;
    if (!fact.ParseFromString(message.value)) {
      return absl::InvalidArgumentError("MemberDeleted: value is not the protobuf message");
    }
    change = {
        .member_id = fact.member_id(), .through = FromProto(fact.deleted_at()), .erased = true};
  } else if (type == mpb::MemberRoleRevoked::descriptor()->full_name()) {
    mpb::MemberRoleRevoked fact;
    if (!fact.ParseFromString(message.value)) {
      return absl::InvalidArgumentError("MemberRoleRevoked: value is not the protobuf message");
    }
    change = {
        .member_id = fact.member_id(), .through = FromProto(fact.revoked_at()), .erased = false};
  } else {
    return std::nullopt;
  }
  if (!ids::IsUuid(change.member_id))
    return absl::InvalidArgumentError("member_id: must be a UUID");
  change.member_id = ids::Canonical(change.member_id);
  // A fact without a time still revokes everything issued until it arrived.
  if (change.through <= Clock::time_point{}) change.through = Clock::now();
  if (change.erased) LockMemberForErasure(tx, change.member_id);
  RecordRevocation(tx, change.member_id, change.through, change.erased);
  return change;
}

absl::Status MembershipFactsHandler::Handle(postgres::Tx& tx, const kafka::Message& message) {
  change_.reset();
  touched_.clear();
  // Records the revocation and, for an erasure, takes the member's erasure lock first.
  auto change = RecordIdentityFact(tx, message);
  if (!change.ok()) return change.status();
  change_ = *change;
  if (change_ && change_->erased) touched_ = erase_(tx, change_->member_id);
  return absl::OkStatus();
}

void MembershipFactsHandler::AfterCommit(const kafka::Message& message) {
  if (change_) revoke_(*change_);
  for (const auto& id : touched_) invalidate_(id);
  if (change_ && change_->erased) {
    spdlog::info("erased a deleted member (ce_id {}): {} cached aggregates changed",
                 message.Header(kafka::kCeId), touched_.size());
  }
  change_.reset();
  touched_.clear();
}

RevocationSync::RevocationSync(postgres::Pool& pool, const auth::Verifier& verifier,
                               prometheus::Registry& registry, std::chrono::milliseconds interval)
    : pool_(pool),
      verifier_(verifier),
      interval_(interval),
      revoked_(prometheus::BuildGauge()
                   .Name("hc_auth_revoked_subjects")
                   .Help("Subjects whose tokens issued before a change are refused.")
                   .Register(registry)
                   .Add({})) {}

RevocationSync::~RevocationSync() { Stop(); }

absl::Status RevocationSync::Start() {
  if (absl::Status loaded = Refresh(); !loaded.ok()) return loaded;
  std::lock_guard lock(mu_);
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void RevocationSync::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RevocationSync::Apply(const IdentityChange& change) {
  verifier_.revocations().Revoke(change.member_id, Seconds(change.through));
}

absl::Status RevocationSync::Refresh() {
  const long horizon =
      static_cast<long>((verifier_.options().max_lifetime + verifier_.options().leeway).count());
  const long forget_before = Seconds(Clock::now()) - horizon;
  absl::Status status = pool_.InTransaction([&](postgres::Tx& tx) -> absl::Status {
    for (const auto& row :
         tx.exec_params("SELECT subject, floor(extract(epoch FROM revoked_through))::bigint "
                        "FROM token_revocations WHERE revoked_through >= to_timestamp($1)",
                        forget_before)) {
      verifier_.revocations().Revoke(row[0].as<std::string>(), row[1].as<long>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  verifier_.revocations().ForgetBefore(forget_before);
  revoked_.Set(static_cast<double>(verifier_.revocations().size()));
  return absl::OkStatus();
}

void RevocationSync::Loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, interval_, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    // A failed refresh keeps what is known; the next one catches up.
    if (absl::Status s = Refresh(); !s.ok()) {
      spdlog::warn("revocations not refreshed: {}", s.ToString());
    }
    lock.lock();
  }
}

}  // namespace hc::identity
