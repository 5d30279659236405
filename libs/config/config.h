#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace hc::config {

// Reads settings from environment variables (12-factor). Each getter records what is wrong
// instead of failing at once, so a bad configuration is reported whole by Check().
class Env {
 public:
  using Lookup = std::function<std::optional<std::string>(const std::string&)>;

  // Reads the process environment.
  Env();
  // Reads from `lookup` (tests).
  explicit Env(Lookup lookup);

  std::string Required(const std::string& name);
  std::string String(const std::string& name, const std::string& fallback);
  int64_t Int(const std::string& name, int64_t fallback, int64_t min, int64_t max);
  bool Bool(const std::string& name, bool fallback);
  // "host:port" with a numeric port in 0..65535.
  std::string Address(const std::string& name, const std::string& fallback);

  // OK, or INVALID_ARGUMENT naming every bad or missing variable.
  absl::Status Check() const;

 private:
  std::optional<std::string> Get(const std::string& name) const;

  Lookup lookup_;
  std::vector<std::string> problems_;
};

// Prints the problem to stderr and exits with status 2 when `status` is not OK. For main().
void ExitIfInvalid(const absl::Status& status, const std::string& program);

}  // namespace hc::config
