#include "libs/postgres/pool.h"

#include <spdlog/spdlog.h>

#include <random>
#include <thread>

#include "absl/strings/cord.h"

namespace hc::postgres {
namespace {

// The URL plus a connect timeout and the session settings. They go in the connection string,
// not in SET statements: libpqxx silently reopens a broken connection with the same string,
// and a SET would not survive that.
std::string WithSessionOptions(const std::string& url,
                               std::chrono::milliseconds statement_timeout) {
  const std::string timeouts = "-c statement_timeout=" + std::to_string(statement_timeout.count()) +
                               " -c idle_in_transaction_session_timeout=60000";
  std::string out = url;
  if (url.rfind("postgres", 0) == 0) {
    std::string encoded;
    for (char c : timeouts) encoded += c == ' ' ? "%20" : c == '=' ? "%3D" : std::string(1, c);
    out += url.find('?') == std::string::npos ? "?" : "&";
    out += "options=" + encoded;
    if (url.find("connect_timeout") == std::string::npos) out += "&connect_timeout=3";
    return out;
  }
  out += " options='" + timeouts + "'";
  if (url.find("connect_timeout") == std::string::npos) out += " connect_timeout=3";
  return out;
}

template <typename TxType>
absl::Status RunIn(pqxx::connection& conn, const std::function<absl::Status(Tx&)>& fn) {
  TxType tx(conn);
  absl::Status status = fn(tx);
  if (!status.ok()) {
    tx.abort();
    return status;
  }
  tx.commit();
  return absl::OkStatus();
}

// Marks the ABORTED statuses that PostgreSQL's conflicts become, so a retry runs for them and
// not for an ABORTED the transaction's body decided on itself (re-running the body with the
// same inputs would only decide it again).
constexpr char kConflictPayload[] = "hc.postgres/conflict";

absl::Status Conflict() {
  absl::Status status = absl::AbortedError("database conflict, retry");
  status.SetPayload(kConflictPayload, absl::Cord("1"));
  return status;
}

// After a failed try: true when the transaction should run again, having waited its backoff.
// A connection the server dropped (restart, failover) before anything could commit gets one
// fresh try; a conflict (serialization failure, deadlock) up to max_attempts in all.
bool RunAgain(const absl::Status& status, bool broken, int attempt, int max_attempts,
              bool& reconnected) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  if (broken && !reconnected) {
    reconnected = true;
    return true;
  }
  if (IsConflict(status) && attempt < max_attempts) {
    std::uniform_int_distribution<int> backoff(1, 5 << attempt);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff(jitter)));
    return true;
  }
  return false;
}

}  // namespace

bool IsConflict(const absl::Status& status) {
  return status.code() == absl::StatusCode::kAborted &&
         status.GetPayload(kConflictPayload).has_value();
}

absl::Status FromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e)) {
    return absl::UnavailableError("database commit outcome unknown");
  }
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) {
    return absl::UnavailableError("database unavailable");
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e)) {
    return Conflict();
  }
  if (dynamic_cast<const pqxx::unique_violation*>(&e)) {
    return absl::AlreadyExistsError("already exists");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e))
    return FromSqlState(sql->sqlstate());
  // Client-side errors (usage, conversion) carry no row data.
  spdlog::error("database client error: {}", e.what());
  return absl::InternalError("database error");
}

absl::Status FromSqlState(const std::string& state) {
  if (state == "40001" || state == "40P01") return Conflict();
  if (state == "23505") return absl::AlreadyExistsError("already exists");
  if (state == "57014") return absl::DeadlineExceededError("database statement timed out");
  if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
    return absl::UnavailableError("database unavailable");
  }
  // The message may quote values (personal data): log the SQLSTATE only.
  spdlog::error("database error sqlstate={}", state);
  return absl::InternalError("database error");
}

std::string PreparedName(const std::string& sql) {
  // FNV-1a, 64 bits: stable across builds (std::hash need not be). Two texts with one name
  // would make libpqxx refuse the second (argument_error, an INTERNAL error), not mix them up.
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : sql) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string name = "hc_";
  for (int shift = 60; shift >= 0; shift -= 4) name += kHex[(h >> shift) & 0xf];
  return name;
}

Pool::Pool(PoolOptions options)
    : options_(std::move(options)),
      conninfo_(WithSessionOptions(options_.url, options_.statement_timeout)) {}

Pool::~Pool() = default;

std::unique_ptr<pqxx::connection> Pool::Connect() const {
  return std::make_unique<pqxx::connection>(conninfo_);
}

std::unique_ptr<pqxx::connection> Pool::Acquire(absl::Status& error) {
  {
    std::unique_lock lock(mu_);
    bool got = cv_.wait_for(lock, options_.acquire_timeout,
                            [this] { return !idle_.empty() || open_ < options_.size; });
    if (!got) {
      error = absl::UnavailableError("database pool exhausted");
      return nullptr;
    }
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    ++open_;
  }
  try {
    return Connect();
  } catch (const std::exception& e) {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    cv_.notify_one();
    error = absl::UnavailableError("database unavailable");
    return nullptr;
  }
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn) {
  {
    std::lock_guard lock(mu_);
    if (conn && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

std::unique_ptr<PipelineConnection> Pool::AcquirePipelined(absl::Status& error) {
  const size_t size = options_.pipeline_size ? options_.pipeline_size : options_.size;
  {
    std::unique_lock lock(mu_);
    for (;;) {
      bool got = pipelined_cv_.wait_for(lock, options_.acquire_timeout, [&] {
        return !idle_pipelined_.empty() || pipelined_open_ < size;
      });
      if (!got) {
        error = absl::UnavailableError("database pool exhausted");
        return nullptr;
      }
      if (idle_pipelined_.empty()) break;
      auto conn = std::move(idle_pipelined_.back());
      idle_pipelined_.pop_back();
      return conn;
    }
    ++pipelined_open_;
  }
  PGconn* raw = PQconnectdb(conninfo_.c_str());
  if (raw == nullptr || PQstatus(raw) != CONNECTION_OK || PQenterPipelineMode(raw) != 1) {
    PQfinish(raw);
    ReleasePipelined(nullptr);
    error = absl::UnavailableError("database unavailable");
    return nullptr;
  }
  // Server notices go to the log by SQLSTATE only (their text may quote values), warnings and
  // above, less the one expected here: a ROLLBACK after a COMMIT that failed finds no
  // transaction (25P01).
  PQsetNoticeReceiver(
      raw,
      [](void*, const PGresult* notice) {
        const char* severity = PQresultErrorField(notice, PG_DIAG_SEVERITY_NONLOCALIZED);
        const char* state = PQresultErrorField(notice, PG_DIAG_SQLSTATE);
        if (severity == nullptr || state == nullptr) return;
        const std::string_view level(severity);
        if ((level == "WARNING" || level == "ERROR" || level == "FATAL" || level == "PANIC") &&
            std::string_view(state) != "25P01") {
          spdlog::warn("database notice severity={} sqlstate={}", severity, state);
        }
      },
      nullptr);
  return std::make_unique<PipelineConnection>(raw);
}

void Pool::ReleasePipelined(std::unique_ptr<PipelineConnection> conn) {
  std::vector<std::unique_ptr<PipelineConnection>> closing;
  {
    std::lock_guard lock(mu_);
    if (conn && PQstatus(conn->conn) == CONNECTION_OK &&
        PQtransactionStatus(conn->conn) == PQTRANS_IDLE) {
      idle_pipelined_.push_back(std::move(conn));
    } else {
      --pipelined_open_;
      // A session is mostly lost by the server's doing (restart, failover), and then the idle
      // ones are gone too, though nothing shows it yet: the server's goodbye reads as a notice
      // and the closed socket only on the next read. Close them all, so that the retry which
      // follows opens a fresh session instead of taking another dead one.
      pipelined_open_ -= idle_pipelined_.size();
      closing.swap(idle_pipelined_);
    }
  }
  closing.clear();  // PQfinish outside the lock
  pipelined_cv_.notify_all();
}

absl::Status Pool::InTransaction(const std::function<absl::Status(Tx&)>& fn, Isolation isolation) {
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    absl::Status error;
    auto conn = Acquire(error);
    if (!conn) return error;
    absl::Status status;
    bool broken = false;
    try {
      switch (isolation) {
        case Isolation::kReadCommitted:
          status = RunIn<pqxx::transaction<pqxx::read_committed>>(*conn, fn);
          break;
        case Isolation::kRepeatableRead:
          status = RunIn<pqxx::transaction<pqxx::repeatable_read>>(*conn, fn);
          break;
        case Isolation::kSerializable:
          status = RunIn<pqxx::transaction<pqxx::serializable>>(*conn, fn);
          break;
        case Isolation::kAutocommit:
          status = RunIn<pqxx::nontransaction>(*conn, fn);
          break;
      }
    } catch (const pqxx::in_doubt_error& e) {
      conn.reset();
      status = FromException(e);
    } catch (const pqxx::broken_connection& e) {
      conn.reset();
      broken = true;
      status = FromException(e);
    } catch (const std::exception& e) {
      status = FromException(e);
      if (!conn->is_open()) {
        conn.reset();
        broken = true;
      }
    }
    Release(std::move(conn));
    if (RunAgain(status, broken, attempt, options_.max_attempts, reconnected)) continue;
    return status;
  }
}

absl::Status Pool::InPipeline(const std::function<absl::Status(PipelineTx&)>& fn) {
  bool reconnected = false;
  for (int attempt = 1;; ++attempt) {
    absl::Status error;
    auto conn = AcquirePipelined(error);
    if (!conn) return error;
    PipelineTx tx(*conn);
    absl::Status status;
    try {
      status = fn(tx);
    } catch (const std::exception& e) {
      // Row mapping (PipelineField::as) and the like; they carry no row data.
      spdlog::error("database client error: {}", e.what());
      status = absl::InternalError("database error");
    }
    bool lost_in_commit = false;
    if (status.ok() && tx.failed_) status = tx.error_;  // fn went on past a failed Flush
    if (status.ok()) {
      status = tx.Send("COMMIT");
      lost_in_commit = tx.broken_;
    }
    if (!tx.broken_ && tx.begun_ && !tx.ended_) {
      tx.queued_.clear();
      tx.failed_ = false;
      (void)tx.Send("ROLLBACK");
    }
    const bool broken = tx.broken_;
    ReleasePipelined(broken ? nullptr : std::move(conn));
    if (lost_in_commit) return absl::UnavailableError("database commit outcome unknown");
    if (RunAgain(status, broken, attempt, options_.max_attempts, reconnected)) continue;
    return status;
  }
}

}  // namespace hc::postgres
