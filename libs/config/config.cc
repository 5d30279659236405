#include "libs/config/config.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"

namespace hc::config {

Env::Env()
    : Env([](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      }) {}

Env::Env(Lookup lookup) : lookup_(std::move(lookup)) {}

std::optional<std::string> Env::Get(const std::string& name) const {
  auto value = lookup_(name);
  if (value && value->empty()) return std::nullopt;
  return value;
}

std::string Env::Required(const std::string& name) {
  auto value = Get(name);
  if (!value) {
    problems_.push_back(name + " is required but not set");
    return {};
  }
  return *value;
}

std::string Env::String(const std::string& name, const std::string& fallback) {
  return Get(name).value_or(fallback);
}

int64_t Env::Int(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  auto value = Get(name);
  if (!value) return fallback;
  int64_t parsed = 0;
  if (!absl::SimpleAtoi(*value, &parsed) || parsed < min || parsed > max) {
    problems_.push_back(name + "=" + *value + " must be a whole number from " +
                        std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return parsed;
}

bool Env::Bool(const std::string& name, bool fallback) {
  auto value = Get(name);
  if (!value) return fallback;
  if (*value == "true" || *value == "1") return true;
  if (*value == "false" || *value == "0") return false;
  problems_.push_back(name + "=" + *value + " must be true or false");
  return fallback;
}

std::string Env::Address(const std::string& name, const std::string& fallback) {
  std::string value = String(name, fallback);
  auto colon = value.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 || port > 65535) {
    problems_.push_back(name + "=" + value + " must be host:port");
  }
  return value;
}

absl::Status Env::Check() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("invalid configuration: " + absl::StrJoin(problems_, "; "));
}

void ExitIfInvalid(const absl::Status& status, const std::string& program) {
  if (status.ok()) return;
  std::cerr << program << ": " << status.message() << std::endl;
  std::exit(2);
}

}  // namespace hc::config
