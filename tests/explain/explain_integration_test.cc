// Every hot query of the four services, planned by PostgreSQL against a database seeded with
// enough rows that an index wins whenever one fits: a Seq Scan of a table the seed filled (one
// that grows with the community) fails the test, naming the query and the table.
//
// The query texts live in hot_queries.cc; see there for how they relate to the stores.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "libs/identity/identity.h"
#include "libs/kafka/consumer.h"
#include "libs/outbox/outbox.h"
#include "libs/postgres/migrations.h"
#include "libs/testing/testing.h"
#include "tests/explain/hot_queries.h"

const std::vector<hc::postgres::Migration>& membership_lib_migrations();
const std::vector<hc::postgres::Migration>& events_lib_migrations();
const std::vector<hc::postgres::Migration>& volunteering_lib_migrations();
const std::vector<hc::postgres::Migration>& notifications_lib_migrations();

namespace hc::explain {
namespace {

// As hc::service::Runtime::Migrate assembles them.
std::vector<postgres::Migration> AllMigrations(const std::vector<postgres::Migration>& service,
                                               bool consumes_events) {
  std::vector<postgres::Migration> all = outbox::Migrations();
  all.push_back(identity::Migration());
  if (consumes_events) all.push_back(kafka::Consumer::InboxMigration());
  all.insert(all.end(), service.begin(), service.end());
  return all;
}

// Every Seq Scan in the plan tree, as relation names.
void SeqScans(const nlohmann::json& plan, std::vector<std::string>& out) {
  if (plan.value("Node Type", "") == "Seq Scan") out.push_back(plan.value("Relation Name", "?"));
  if (plan.contains("Plans")) {
    for (const auto& child : plan["Plans"]) SeqScans(child, out);
  }
}

// Rows the plan read and threw away: filters and index rechecks, over every loop.
double RowsRemoved(const nlohmann::json& plan) {
  double removed = 0;
  for (const char* key :
       {"Rows Removed by Filter", "Rows Removed by Index Recheck", "Rows Removed by Join Filter"}) {
    if (plan.contains(key)) removed += plan[key].get<double>() * plan.value("Actual Loops", 1.0);
  }
  if (plan.contains("Plans")) {
    for (const auto& child : plan["Plans"]) removed += RowsRemoved(child);
  }
  return removed;
}

// Migrates a fresh database, seeds it, analyses it, and plans every query of `service`.
void CheckService(const std::string& service, const std::vector<postgres::Migration>& migrations) {
  testing::TestDatabase db("explain");
  ASSERT_TRUE(postgres::Migrate(db.url(), migrations).ok());
  pqxx::connection conn(db.url());
  {
    pqxx::work tx(conn);
    tx.exec(SeedSql(service));
    tx.commit();
  }
  {
    pqxx::nontransaction tx(conn);
    tx.exec("VACUUM ANALYZE");
  }
  // The tables that grow with the community: those the seed filled. Derived, not listed, so a
  // new table the seed fills is covered without touching this test.
  std::set<std::string> growing;
  {
    pqxx::read_transaction tx(conn);
    for (const auto& row :
         tx.exec("SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.reltuples >= " +
                 std::to_string(kGrowingRows))) {
      growing.insert(row[0].as<std::string>());
    }
  }
  ASSERT_FALSE(growing.empty()) << service << ": the seed filled no table";

  int planned = 0;
  for (const HotQuery& q : HotQueries()) {
    if (q.service != service) continue;
    ++planned;
    std::string args;
    for (const auto& p : q.params) args += (args.empty() ? "" : ", ") + p;
    std::string json_text;
    try {
      pqxx::work tx(conn);
      // PREPARE infers each parameter's type from the statement, as the stores' exec_params
      // does; EXPLAIN EXECUTE then plans with the given values (a custom plan).
      // A statement that failed to plan is still prepared (PREPARE outlives a rollback).
      tx.exec("DEALLOCATE ALL");
      tx.exec("PREPARE hot AS " + q.sql);
      json_text = tx.exec1("EXPLAIN (FORMAT JSON) EXECUTE hot" +
                           (q.params.empty() ? std::string() : "(" + args + ")"))[0]
                      .as<std::string>();
      tx.exec("DEALLOCATE hot");
      tx.abort();
    } catch (const std::exception& e) {
      ADD_FAILURE() << service << " / " << q.name << ": " << e.what();
      continue;
    }
    nlohmann::json plan = nlohmann::json::parse(json_text);
    std::vector<std::string> scans;
    SeqScans(plan[0]["Plan"], scans);
    for (const auto& table : scans) {
      EXPECT_EQ(growing.count(table), 0u) << service << " / " << q.name << ": Seq Scan of " << table
                                          << ", a table that grows with the community\nplan:\n"
                                          << plan.dump(1);
    }
    if (q.max_rows_removed >= 0) {
      std::string analyzed;
      try {
        pqxx::work tx(conn);
        tx.exec("DEALLOCATE ALL");
        tx.exec("PREPARE hot AS " + q.sql);
        analyzed = tx.exec1("EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE hot" +
                            (q.params.empty() ? std::string() : "(" + args + ")"))[0]
                       .as<std::string>();
        tx.abort();
      } catch (const std::exception& e) {
        ADD_FAILURE() << service << " / " << q.name << ": " << e.what();
        continue;
      }
      const nlohmann::json run = nlohmann::json::parse(analyzed);
      EXPECT_LE(RowsRemoved(run[0]["Plan"]), q.max_rows_removed)
          << service << " / " << q.name << ": the plan read and discarded more rows than "
          << q.max_rows_removed << "\nplan:\n"
          << run.dump(1);
    }
  }
  EXPECT_GT(planned, 0) << service << ": no hot queries listed";
}

TEST(ExplainHotQueries, MembershipUsesIndexes) {
  CheckService("membership", AllMigrations(membership_lib_migrations(), false));
}

TEST(ExplainHotQueries, EventsUsesIndexes) {
  CheckService("events", AllMigrations(events_lib_migrations(), true));
}

TEST(ExplainHotQueries, VolunteeringUsesIndexes) {
  CheckService("volunteering", AllMigrations(volunteering_lib_migrations(), true));
}

TEST(ExplainHotQueries, NotificationsUsesIndexes) {
  CheckService("notifications", AllMigrations(notifications_lib_migrations(), true));
}

// The second check counts what a plan throws away: whether PostgreSQL walks the primary key in id
// order or scans, finding these five reads and drops at least the 1,989 ids before them.
TEST(ExplainHotQueries, CountsRowsAWalkDiscards) {
  testing::TestDatabase db("explain");
  pqxx::connection conn(db.url());
  pqxx::work tx(conn);
  tx.exec(
      "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT i, 'v' || i FROM "
      "generate_series(1, 20000) i; ANALYZE t");
  const std::string json_text =
      tx.exec1(
            "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM t WHERE v LIKE 'v199%' ORDER BY id "
            "LIMIT 5")[0]
          .as<std::string>();
  EXPECT_GE(RowsRemoved(nlohmann::json::parse(json_text)[0]["Plan"]), 1900);
}

// The check itself: a query that can only scan is caught, so a green run means something.
TEST(ExplainHotQueries, CatchesASeqScan) {
  testing::TestDatabase db("explain");
  pqxx::connection conn(db.url());
  pqxx::work tx(conn);
  tx.exec(
      "CREATE TABLE t (id int, v text); INSERT INTO t SELECT i, 'v' || i FROM "
      "generate_series(1, 20000) i; ANALYZE t");
  const std::string json_text =
      tx.exec1("EXPLAIN (FORMAT JSON) SELECT * FROM t WHERE v = 'v7'")[0].as<std::string>();
  std::vector<std::string> scans;
  SeqScans(nlohmann::json::parse(json_text)[0]["Plan"], scans);
  EXPECT_EQ(scans, std::vector<std::string>{"t"});
}

}  // namespace
}  // namespace hc::explain
