#include <gtest/gtest.h>

#include <future>
#include <thread>
#include <vector>

#include "libs/postgres/migrations.h"
#include "libs/postgres/pool.h"
#include "libs/testing/testing.h"

namespace hc::postgres {
namespace {

const std::vector<Migration> kMigrations = {
    {"0001_counter",
     "CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL);"
     "INSERT INTO counter VALUES (1, 0);"},
    {"0002_names", "CREATE TABLE names (name text PRIMARY KEY);"},
};

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
  {
    // What a server restart looks like to the pool: every session of the database is cut.
    pqxx::connection admin(testing::PgUrlBase() + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = $1 AND pid <> pg_backend_pid()",
        db_.name());
  }
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

TEST(PostgresUnavailable, AnUnreachableServerIsUnavailable) {
  Pool pool(
      {.url = "postgresql://postgres@127.0.0.1:" + std::to_string(testing::FreePort()) + "/nothing",
       .acquire_timeout = std::chrono::milliseconds(500)});
  absl::Status s = pool.InTransaction([](Tx&) { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace hc::postgres
