#include "libs/postgres/pipeline.h"

#include <spdlog/spdlog.h>

#include "libs/postgres/pool.h"

namespace hc::postgres {
namespace {

// The status of a failed result. A result with no SQLSTATE came from libpq itself (the
// connection went away, mostly); its message carries no row data.
absl::Status ErrorOf(const PGresult* result, PGconn* conn) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state != nullptr) return FromSqlState(state);
  if (PQstatus(conn) != CONNECTION_OK) return absl::UnavailableError("database unavailable");
  spdlog::error("database client error: {}", PQresultErrorMessage(result));
  return absl::InternalError("database error");
}

// What a result read back belongs to.
struct Expected {
  enum class Kind { kCommand, kPrepare, kStatement } kind;
  size_t handle = 0;  // kStatement: the statement's handle
  std::string name;   // kPrepare: the name it prepares
};

}  // namespace

std::optional<std::string> ByteaParam(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

size_t PipelineTx::Queue(Statement statement) {
  queued_.push_back(std::move(statement));
  results_.emplace_back();
  return results_.size() - 1;
}

absl::Status PipelineTx::Flush() { return Send(nullptr); }

absl::Status PipelineTx::Send(const char* tail) {
  if (broken_ || failed_) return error_;
  if (!begun_ && queued_.empty()) {
    // Nothing has been sent, so there is no transaction to end.
    if (tail != nullptr) ended_ = true;
    return absl::OkStatus();
  }
  PGconn* conn = c_.conn;
  std::vector<Expected> expected;
  bool sent = true;
  auto command = [&](const char* sql) {
    sent = sent && PQsendQueryParams(conn, sql, 0, nullptr, nullptr, nullptr, nullptr, 0) == 1;
    expected.push_back({Expected::Kind::kCommand});
  };
  if (!begun_) {
    command("BEGIN");
    begun_ = true;
  }
  const size_t first_handle = results_.size() - queued_.size();
  std::unordered_set<std::string> preparing;
  for (size_t i = 0; i < queued_.size() && sent; ++i) {
    const Statement& s = queued_[i];
    const std::string name = PreparedName(s.sql);
    if (!c_.prepared.count(name) && preparing.insert(name).second) {
      sent = PQsendPrepare(conn, name.c_str(), s.sql.c_str(), 0, nullptr) == 1;
      expected.push_back({Expected::Kind::kPrepare, 0, name});
    }
    std::vector<const char*> values;
    values.reserve(s.params.size());
    for (const auto& p : s.params) values.push_back(p ? p->c_str() : nullptr);
    sent = sent && PQsendQueryPrepared(conn, name.c_str(), static_cast<int>(values.size()),
                                       values.data(), nullptr, nullptr, 0) == 1;
    expected.push_back({Expected::Kind::kStatement, first_handle + i});
  }
  queued_.clear();
  if (tail != nullptr) command(tail);
  // The sync ends the batch and sends it: one round trip from here to its result.
  sent = sent && PQpipelineSync(conn) == 1;
  if (!sent) {
    broken_ = true;
    error_ = absl::UnavailableError("database unavailable");
    return error_;
  }

  // Each result is followed by a null; after the last, the sync's own result. A statement
  // after a failed one comes back PGRES_PIPELINE_ABORTED: it did not run.
  bool tail_ran = false;
  for (size_t i = 0; i < expected.size(); ++i) {
    const Expected& e = expected[i];
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) {
      broken_ = true;
      break;
    }
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_FATAL_ERROR) {
      if (!failed_) error_ = ErrorOf(result, conn);
      failed_ = true;
      PQclear(result);
      if (PQstatus(conn) != CONNECTION_OK) {
        broken_ = true;
        break;
      }
    } else if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(result);
    } else if (e.kind == Expected::Kind::kStatement) {
      results_[e.handle] = PipelineResult(result);
    } else {
      if (e.kind == Expected::Kind::kPrepare) c_.prepared.insert(e.name);
      PQclear(result);
    }
    if (tail != nullptr && i + 1 == expected.size()) tail_ran = status != PGRES_PIPELINE_ABORTED;
    if (PGresult* extra = PQgetResult(conn)) {
      // One result per statement is all these statements make; anything else is a protocol
      // state this code does not know, and the connection is not reused.
      PQclear(extra);
      broken_ = true;
      break;
    }
  }
  if (!broken_) {
    PGresult* sync = PQgetResult(conn);
    if (sync == nullptr || PQresultStatus(sync) != PGRES_PIPELINE_SYNC) broken_ = true;
    PQclear(sync);
  }
  if (broken_) {
    failed_ = true;
    error_ = absl::UnavailableError("database unavailable");
    return error_;
  }
  // A COMMIT or ROLLBACK that ran ended the transaction, even if it reported an error.
  if (tail_ran) ended_ = true;
  return failed_ ? error_ : absl::OkStatus();
}

}  // namespace hc::postgres
