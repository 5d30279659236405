#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace hc::postgres {

// One schema change, applied once and recorded in schema_migrations under its id.
struct Migration {
  std::string id;
  std::string sql;
};

// Applies, in order, every migration not yet recorded, each in its own transaction, while
// holding an advisory lock so that replicas starting together apply each exactly once.
absl::Status Migrate(const std::string& url, const std::vector<Migration>& migrations);

}  // namespace hc::postgres
