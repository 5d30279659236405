#pragma once

#include <cstdint>
#include <functional>
#include <memory>
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

  // For `--list-settings`: every variable reads as unset (so the code takes its defaults and
  // asks for exactly what it requires with them), Check() passes, and a Required *_FILE
  // variable names a readable placeholder file, so the code goes on to ask for the rest.
  static Env ForListing();

  // Every variable asked for so far, in order; `required` when some getter was Required().
  struct Asked {
    std::string name;
    bool required = false;
  };
  const std::vector<Asked>& asked() const { return asked_; }

 private:
  std::optional<std::string> Get(const std::string& name) const;
  void Record(const std::string& name, bool required);

  Lookup lookup_;
  std::vector<std::string> problems_;
  std::vector<Asked> asked_;
  // Set only by ForListing(): the placeholder file's path (removed with the last copy).
  std::shared_ptr<const std::string> placeholder_file_;
};

// True when argv asks for `--list-settings` (the shape the Kubernetes settings check runs).
bool ListSettingsRequested(int argc, char** argv);

// Prints one JSON object a line, {"name":"HC_...","required":true|false}, for each variable
// `env` was asked for. When `read` (the status of reading the settings) is not OK, says on
// stderr that the list may stop early, so a check reading it can tell.
void PrintSettingsList(const Env& env, const absl::Status& read);

// Prints the problem to stderr and exits with status 2 when `status` is not OK. For main().
void ExitIfInvalid(const absl::Status& status, const std::string& program);

}  // namespace hc::config
