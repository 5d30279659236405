#pragma once

#include <string>
#include <vector>

namespace hc::explain {

// A table with at least this many rows after seeding grows with the community: a Seq Scan of it
// fails the test.
inline constexpr int kGrowingRows = 10000;

// One query a store issues on a hot path, with representative arguments.
struct HotQuery {
  std::string service;  // membership, events, volunteering, notifications
  std::string name;     // the store method (and variant) that issues it
  std::string sql;      // the statement, with $n parameters as the store sends it
  // SQL expressions for $1, $2, ...: literals, or expressions over now() and the seed's ids.
  std::vector<std::string> params;
  // When set, the query is also run (EXPLAIN ANALYZE, rolled back) and fails if its plan
  // discards more rows than this (filters and rechecks, every loop): an index walk that reads
  // past what it returns is as bad as a Seq Scan, and the plan shape alone does not show it.
  int max_rows_removed = -1;
};

// Every hot query of every service.
const std::vector<HotQuery>& HotQueries();

// SQL that fills a freshly migrated database of `service` with a community of kSeedMembers.
std::string SeedSql(const std::string& service);

}  // namespace hc::explain
