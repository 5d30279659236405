#pragma once

// Transactions whose statements travel in batches: libpq's pipeline mode (PostgreSQL 14+).
//
// A hot write that runs five statements one after the other pays five round trips, and each
// round trip costs both processes a send, a wake-up and a context switch. Statements whose
// parameters do not depend on an earlier statement's result can go out together: the server
// still runs them one after the other, in order, and at READ COMMITTED each still takes its own
// snapshot when it starts. A statement queued behind a lock therefore sees what the lock's
// previous holder committed, exactly as if it had been sent after the lock came back.
//
// libpqxx 6.4 has no API for this and keeps its PGconn private, so these transactions run on
// libpq connections of their own, pooled beside the libpqxx ones (Pool::InPipeline).

#include <libpq-fe.h>

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"

namespace hc::postgres {

// A statement and its parameters in PostgreSQL's text format (nullopt: NULL).
struct Statement {
  std::string sql;
  std::vector<std::optional<std::string>> params;
};

inline std::optional<std::string> TextParam(const std::string& s) { return s; }
inline std::optional<std::string> TextParam(std::string_view s) { return std::string(s); }
inline std::optional<std::string> TextParam(const char* s) { return std::string(s); }
inline std::optional<std::string> TextParam(bool b) { return b ? "t" : "f"; }
template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
std::optional<std::string> TextParam(T n) {
  return std::to_string(n);
}
template <typename T>
std::optional<std::string> TextParam(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return TextParam(*v);
}
// A bytea parameter: bytes in PostgreSQL's hex format.
std::optional<std::string> ByteaParam(std::string_view bytes);

template <typename... Args>
Statement MakeStatement(std::string sql, const Args&... args) {
  return Statement{std::move(sql), {TextParam(args)...}};
}

// One value of a result, read as libpqxx reads a field (as<T>(), is_null()), so row mappers
// can serve both kinds of transaction.
class PipelineField {
 public:
  PipelineField(const PGresult* result, int row, int column)
      : result_(result), row_(row), column_(column) {}
  bool is_null() const { return PQgetisnull(result_, row_, column_) != 0; }
  std::string_view view() const {
    return {PQgetvalue(result_, row_, column_),
            static_cast<size_t>(PQgetlength(result_, row_, column_))};
  }
  template <typename T>
  T as() const {
    if (is_null()) throw std::domain_error("NULL where a value was expected");
    const std::string_view text = view();
    if constexpr (std::is_same_v<T, std::string>) {
      return std::string(text);
    } else if constexpr (std::is_same_v<T, bool>) {
      return text == "t";
    } else {
      static_assert(std::is_integral_v<T>, "PipelineField::as: strings, bools and integers");
      T value{};
      auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (error != std::errc() || end != text.data() + text.size()) {
        throw std::domain_error("not an integer");
      }
      return value;
    }
  }

 private:
  const PGresult* result_;
  int row_;
  int column_;
};

class PipelineRow {
 public:
  PipelineRow(const PGresult* result, int row) : result_(result), row_(row) {}
  PipelineField operator[](int column) const { return {result_, row_, column}; }

 private:
  const PGresult* result_;
  int row_;
};

// The rows one statement returned (none until its batch has been flushed).
class PipelineResult {
 public:
  PipelineResult() = default;
  explicit PipelineResult(PGresult* result) : result_(result, &PQclear) {}
  size_t size() const { return result_ ? static_cast<size_t>(PQntuples(result_.get())) : 0; }
  bool empty() const { return size() == 0; }
  PipelineRow operator[](size_t row) const { return {result_.get(), static_cast<int>(row)}; }

 private:
  std::shared_ptr<PGresult> result_;
};

// One libpq connection held in pipeline mode, and the statements prepared on it.
struct PipelineConnection {
  explicit PipelineConnection(PGconn* c) : conn(c) {}
  ~PipelineConnection() { PQfinish(conn); }
  PipelineConnection(const PipelineConnection&) = delete;
  PipelineConnection& operator=(const PipelineConnection&) = delete;

  PGconn* conn;
  std::unordered_set<std::string> prepared;
};

// A READ COMMITTED transaction on a pipelined connection (see Pool::InPipeline). Queue()
// statements, Flush() to send them and wait for their results: one round trip for the lot,
// with BEGIN in front of the first batch. The statements queued when the function returns OK
// go out with the COMMIT, in the same round trip. Each statement is prepared on its first use
// on the connection and run by name afterwards.
class PipelineTx {
 public:
  explicit PipelineTx(PipelineConnection& connection) : c_(connection) {}

  // Queues a statement; its rows are Result(handle) once a Flush has returned OK.
  size_t Queue(Statement statement);
  // Sends the queued statements and reads every result. The first error the server reports
  // is returned (mapped as FromException maps it) and fails the transaction: the statements
  // after it did not run, and the pool rolls the transaction back.
  absl::Status Flush();
  const PipelineResult& Result(size_t handle) const { return results_.at(handle); }

 private:
  friend class Pool;
  // Sends what is queued followed by `tail` (COMMIT or ROLLBACK; empty: none).
  absl::Status Send(const char* tail);

  PipelineConnection& c_;
  std::vector<Statement> queued_;
  std::vector<PipelineResult> results_;  // by handle
  bool begun_ = false;                   // BEGIN has been sent
  bool failed_ = false;                  // a statement failed; only ROLLBACK may follow
  bool broken_ = false;                  // the connection is gone
  bool ended_ = false;                   // COMMIT or ROLLBACK went out
  absl::Status error_;
};

// The status for a SQLSTATE the server reported, as FromException maps libpqxx's exceptions.
absl::Status FromSqlState(const std::string& state);

}  // namespace hc::postgres
