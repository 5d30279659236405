#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "libs/status/status.h"
#include "libs/testing/testing.h"

namespace hc::postgres {
namespace {

const std::vector<Migration> kMigrations = {
    {"0001_counter",
     "CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL);"
     "INSERT INTO counter VALUES (1, 0);"},
    {"0002_names", "CREATE TABLE names (name text PRIMARY KEY);"},
};

// What a server restart looks like to a pool: every session of the database is cut.
void TerminateSessions(const std::string& db_name) {
  pqxx::connection admin(testing::PgUrlBase() + "/postgres");
  pqxx::nontransaction tx(admin);
  tx.exec_params(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE datname = $1 AND pid <> pg_backend_pid()",
      db_name);
}

class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Migrate(db_.url(), kMigrations).ok()); }

  int Count(Pool& pool, const std::string& sql) {
    int n = -1;
    EXPECT_TRUE(pool.InTransaction([&](Tx& tx) {
                      n = tx.exec1(sql)[0].as<int>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }

  testing::TestDatabase db_;
};

TEST_F(PostgresTest, MigrationsApplyOnceEvenWhenReplicasStartTogether) {
  std::vector<Migration> more = kMigrations;
  more.push_back({"0003_seed", "INSERT INTO names VALUES ('seeded');"});
  std::vector<std::future<absl::Status>> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.push_back(std::async(std::launch::async, [&] { return Migrate(db_.url(), more); }));
  }
  for (auto& r : replicas) EXPECT_TRUE(r.get().ok());
  Pool pool({.url = db_.url()});
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names WHERE name = 'seeded'"), 1);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM schema_migrations"), 3);
}

TEST_F(PostgresTest, ABrokenMigrationSaysWhichAndChangesNothing) {
  std::vector<Migration> bad = kMigrations;
  bad.push_back({"0003_bad", "CREATE TABLE x (id int); SELECT no_such_column FROM x;"});
  absl::Status s = Migrate(db_.url(), bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  Pool pool({.url = db_.url()});
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM pg_tables WHERE tablename = 'x'"), 0);
}

TEST_F(PostgresTest, SerializationFailuresAreRetriedUntilEveryIncrementCounts) {
  Pool pool({.url = db_.url(), .size = 4, .max_attempts = 50});
  constexpr int kThreads = 4, kEach = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status s = pool.InTransaction(
            [](Tx& tx) {
              int n = tx.exec1("SELECT n FROM counter WHERE id = 1")[0].as<int>();
              tx.exec_params("UPDATE counter SET n = $1 WHERE id = 1", n + 1);
              return absl::OkStatus();
            },
            Isolation::kSerializable);
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count(pool, "SELECT n FROM counter WHERE id = 1"), kThreads * kEach);
}

TEST_F(PostgresTest, AnErrorFromTheBodyRollsBack) {
  Pool pool({.url = db_.url()});
  absl::Status s = pool.InTransaction([](Tx& tx) {
    tx.exec("INSERT INTO names VALUES ('ghost')");
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names"), 0);
}

TEST_F(PostgresTest, AnAbortedFromTheBodyIsReturnedAtOnceNotRetried) {
  Pool pool({.url = db_.url()});
  int runs = 0;
  absl::Status s = pool.InTransaction([&](Tx& tx) {
    ++runs;
    tx.exec("INSERT INTO names VALUES ('ghost')");
    return absl::AbortedError("the role changed; try again");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_FALSE(IsConflict(s));
  EXPECT_EQ(runs, 1);
  int pipelined_runs = 0;
  s = pool.InPipeline([&](PipelineTx& tx) {
    ++pipelined_runs;
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "ghost"));
    return absl::AbortedError("the role changed; try again");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(pipelined_runs, 1);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names"), 0);
}

TEST_F(PostgresTest, APipelinedDeadlockIsRetriedAndBothTransactionsCommit) {
  Pool pool({.url = db_.url(), .size = 2});
  ASSERT_TRUE(pool.InTransaction([](Tx& tx) {
                    tx.exec("INSERT INTO counter VALUES (2, 0)");
                    return absl::OkStatus();
                  })
                  .ok());
  // Each locks one row, waits until the other holds its own, then asks for the other's: one
  // of the two is PostgreSQL's deadlock victim (40P01) and runs again.
  std::atomic<int> holding{0};
  std::atomic<int> runs{0};
  auto lock_both = [&](int first, int second) {
    bool waited = false;
    return pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
      ++runs;
      tx.Queue(MakeStatement("UPDATE counter SET n = n + 1 WHERE id = $1", first));
      HC_RETURN_IF_ERROR(tx.Flush());
      if (!waited) {
        waited = true;
        ++holding;
        testing::WaitFor([&] { return holding.load() == 2; }, std::chrono::seconds(10));
      }
      tx.Queue(MakeStatement("UPDATE counter SET n = n + 1 WHERE id = $1", second));
      return tx.Flush();
    });
  };
  auto a = std::async(std::launch::async, [&] { return lock_both(1, 2); });
  auto b = std::async(std::launch::async, [&] { return lock_both(2, 1); });
  const absl::Status sa = a.get();
  const absl::Status sb = b.get();
  EXPECT_TRUE(sa.ok()) << sa;
  EXPECT_TRUE(sb.ok()) << sb;
  EXPECT_EQ(runs.load(), 3);
  EXPECT_EQ(Count(pool, "SELECT sum(n)::int FROM counter"), 4);
}

TEST_F(PostgresTest, AutocommitRunsEachStatementAsItsOwnTransaction) {
  Pool pool({.url = db_.url()});
  auto two_ids = [&](Isolation isolation) {
    std::pair<int64_t, int64_t> ids;
    EXPECT_TRUE(pool.InTransaction(
                        [&](Tx& tx) {
                          ids.first = tx.exec1("SELECT txid_current()")[0].as<int64_t>();
                          ids.second = tx.exec1("SELECT txid_current()")[0].as<int64_t>();
                          return absl::OkStatus();
                        },
                        isolation)
                    .ok());
    return ids;
  };
  auto in_tx = two_ids(Isolation::kReadCommitted);
  EXPECT_EQ(in_tx.first, in_tx.second);
  auto autocommit = two_ids(Isolation::kAutocommit);
  EXPECT_NE(autocommit.first, autocommit.second);
}

TEST_F(PostgresTest, UniqueViolationIsAlreadyExists) {
  Pool pool({.url = db_.url()});
  auto insert = [](Tx& tx) {
    tx.exec("INSERT INTO names VALUES ('same')");
    return absl::OkStatus();
  };
  ASSERT_TRUE(pool.InTransaction(insert).ok());
  EXPECT_EQ(pool.InTransaction(insert).code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(PostgresTest, ALostConnectionIsReplaced) {
  Pool pool({.url = db_.url(), .size = 2});
  ASSERT_EQ(Count(pool, "SELECT 1"), 1);
  TerminateSessions(db_.name());
  EXPECT_EQ(Count(pool, "SELECT 2"), 2);
  // The new sessions keep the statement timeout.
  std::string timeout;
  ASSERT_TRUE(pool.InTransaction([&](Tx& tx) {
                    timeout = tx.exec1("SHOW statement_timeout")[0].as<std::string>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(timeout, "5s");
}

TEST_F(PostgresTest, APipelinedTransactionSendsItsBatchesInOrderAsOneTransaction) {
  Pool pool({.url = db_.url(), .size = 1});
  int64_t first_xid = 0, last_xid = 0;
  int64_t seen = -1;
  ASSERT_TRUE(pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
                    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "a"));
                    const size_t count = tx.Queue(MakeStatement(
                        "SELECT count(*), txid_current() FROM names WHERE name = $1", "a"));
                    HC_RETURN_IF_ERROR(tx.Flush());
                    seen = tx.Result(count)[0][0].as<int64_t>();
                    first_xid = tx.Result(count)[0][1].as<int64_t>();
                    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", std::string("b")));
                    const size_t xid = tx.Queue(MakeStatement("SELECT txid_current()"));
                    // Not flushed: these go out with the COMMIT.
                    EXPECT_TRUE(tx.Result(xid).empty());
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(seen, 1);  // the second statement ran after the first
  EXPECT_GT(first_xid, 0);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names WHERE name IN ('a', 'b')"), 2);
  // One transaction: both batches under one xid, the commit batch's results readable.
  ASSERT_TRUE(pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
                    const size_t a = tx.Queue(MakeStatement("SELECT txid_current()"));
                    HC_RETURN_IF_ERROR(tx.Flush());
                    first_xid = tx.Result(a)[0][0].as<int64_t>();
                    const size_t b = tx.Queue(MakeStatement("SELECT txid_current()"));
                    HC_RETURN_IF_ERROR(tx.Flush());
                    last_xid = tx.Result(b)[0][0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(first_xid, last_xid);
}

TEST_F(PostgresTest, AFailedStatementInABatchRollsThePipelinedTransactionBack) {
  Pool pool({.url = db_.url(), .size = 1});
  bool ran_after = false;
  absl::Status s = pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "kept?"));
    HC_RETURN_IF_ERROR(tx.Flush());
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "twice"));
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "twice"));
    const size_t after = tx.Queue(MakeStatement("SELECT 1"));
    absl::Status flushed = tx.Flush();
    ran_after = !tx.Result(after).empty();
    return flushed;
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_FALSE(ran_after);  // the statement after the failed one did not run
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names"), 0);
  // The same connection (the pool holds one) serves the next transaction.
  EXPECT_TRUE(pool.InPipeline([](PipelineTx& tx) {
                    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "after"));
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names"), 1);
}

TEST_F(PostgresTest, AFailureInTheCommitBatchRollsBackAndAnErrorFromTheBodyToo) {
  Pool pool({.url = db_.url(), .size = 1});
  absl::Status s = pool.InPipeline([](PipelineTx& tx) {
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "same"));
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "same"));
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kAlreadyExists);
  s = pool.InPipeline([](PipelineTx& tx) -> absl::Status {
    tx.Queue(MakeStatement("INSERT INTO names VALUES ($1)", "ghost"));
    HC_RETURN_IF_ERROR(tx.Flush());
    return absl::FailedPreconditionError("changed my mind");
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM names"), 0);
}

// The property the services' READ COMMITTED arguments rest on: a statement queued behind a
// lock, in the same batch, takes its snapshot after the lock is granted.
TEST_F(PostgresTest, AStatementQueuedBehindALockSeesWhatTheLockHolderCommitted) {
  Pool pool({.url = db_.url(), .size = 2});
  pqxx::connection holder(db_.url());
  pqxx::work hold(holder);
  hold.exec("SELECT pg_advisory_xact_lock(7, 7)");
  hold.exec("INSERT INTO names VALUES ('held')");
  auto seen = std::async(std::launch::async, [&] {
    int64_t n = -1;
    EXPECT_TRUE(pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
                      tx.Queue(MakeStatement("SELECT pg_advisory_xact_lock_shared($1, $2)", 7, 7));
                      const size_t count = tx.Queue(MakeStatement(
                          "SELECT count(*) FROM names WHERE name = $1", std::string("held")));
                      HC_RETURN_IF_ERROR(tx.Flush());
                      n = tx.Result(count)[0][0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  });
  // The batch is out and waiting on the lock.
  ASSERT_EQ(seen.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  hold.commit();
  EXPECT_EQ(seen.get(), 1);
}

TEST_F(PostgresTest, PipelinedIncrementsUnderARowLockAllCount) {
  // Pipelined transactions and libpqxx's interleaved, each kind on its own connections.
  Pool pool({.url = db_.url(), .size = 2, .pipeline_size = 3});
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        absl::Status s;
        if ((t + i) % 5 == 0) {
          s = pool.InTransaction([](Tx& tx) {
            tx.exec("UPDATE counter SET n = n + 1 WHERE id = 1");
            return absl::OkStatus();
          });
        } else {
          s = pool.InPipeline([](PipelineTx& tx) -> absl::Status {
            const size_t n =
                tx.Queue(MakeStatement("SELECT n FROM counter WHERE id = $1 FOR UPDATE", 1));
            HC_RETURN_IF_ERROR(tx.Flush());
            tx.Queue(MakeStatement("UPDATE counter SET n = $1 WHERE id = 1",
                                   tx.Result(n)[0][0].as<int>() + 1));
            return absl::OkStatus();
          });
        }
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(Count(pool, "SELECT n FROM counter WHERE id = 1"), kThreads * kEach);
  // Never more sessions than the pool's two sizes.
  EXPECT_LE(Count(pool, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"),
            5);
}

TEST_F(PostgresTest, PipelinedConnectionsAreReused) {
  Pool pool({.url = db_.url(), .size = 1});
  auto backend = [&] {
    int64_t pid = -1;
    EXPECT_TRUE(pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
                      const size_t row = tx.Queue(MakeStatement("SELECT pg_backend_pid()"));
                      HC_RETURN_IF_ERROR(tx.Flush());
                      pid = tx.Result(row)[0][0].as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return pid;
  };
  const int64_t first = backend();
  EXPECT_EQ(backend(), first);
  // A transaction that failed and was rolled back leaves its connection fit for the next.
  EXPECT_FALSE(pool.InPipeline([](PipelineTx& tx) {
                     tx.Queue(MakeStatement("SELECT 1 / 0"));
                     return tx.Flush();
                   })
                   .ok());
  EXPECT_EQ(backend(), first);
}

TEST_F(PostgresTest, ALostPipelinedConnectionIsReplaced) {
  Pool pool({.url = db_.url(), .size = 3});
  auto timeout = [&] {
    std::string value;
    absl::Status s = pool.InPipeline([&](PipelineTx& tx) -> absl::Status {
      const size_t shown = tx.Queue(MakeStatement("SHOW statement_timeout"));
      HC_RETURN_IF_ERROR(tx.Flush());
      value = tx.Result(shown)[0][0].as<std::string>();
      return absl::OkStatus();
    });
    EXPECT_TRUE(s.ok()) << s;
    return value;
  };
  // Three sessions open at once, then idle in the pool.
  std::vector<std::future<absl::Status>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::async(std::launch::async, [&] {
      return pool.InPipeline([](PipelineTx& tx) {
        tx.Queue(MakeStatement("SELECT pg_sleep(0.3)"));
        return tx.Flush();
      });
    }));
  }
  for (auto& h : held) ASSERT_TRUE(h.get().ok());
  TerminateSessions(db_.name());
  // The first try meets a dead session; the one retry must not take another dead one.
  EXPECT_EQ(timeout(), "5s");  // a fresh session, with the pool's settings
  EXPECT_EQ(timeout(), "5s");
}

TEST(PostgresUnavailable, AnUnreachableServerIsUnavailable) {
  Pool pool(
      {.url = "postgresql://postgres@127.0.0.1:" + std::to_string(testing::FreePort()) + "/nothing",
       .acquire_timeout = std::chrono::milliseconds(500)});
  absl::Status s = pool.InTransaction([](Tx&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hc::postgres
