#include "libs/config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
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
  Record(name, true);
  if (placeholder_file_) {
    const bool is_file = name.size() > 5 && name.compare(name.size() - 5, 5, "_FILE") == 0;
    return is_file ? *placeholder_file_ : std::string();
  }
  auto value = Get(name);
  if (!value) {
    problems_.push_back(name + " is required but not set");
    return {};
  }
  return *value;
}

std::string Env::String(const std::string& name, const std::string& fallback) {
  Record(name, false);
  return Get(name).value_or(fallback);
}

int64_t Env::Int(const std::string& name, int64_t fallback, int64_t min, int64_t max) {
  Record(name, false);
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
  Record(name, false);
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

void Env::Record(const std::string& name, bool required) {
  for (Asked& asked : asked_) {
    if (asked.name == name) {
      asked.required = asked.required || required;
      return;
    }
  }
  asked_.push_back({name, required});
}

Env Env::ForListing() {
  Env env([](const std::string&) -> std::optional<std::string> { return std::nullopt; });
  // 64 hex digits: a well-formed 32-byte data key and a long enough HS256 secret, so key
  // checks after the reads pass and the code reaches the settings it reads later.
  char path[] = "/tmp/hc-list-settings-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) {
    close(fd);
    std::ofstream(path) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
  }
  env.placeholder_file_ =
      std::shared_ptr<const std::string>(new std::string(path), [](const std::string* file) {
        unlink(file->c_str());
        delete file;
      });
  return env;
}

bool ListSettingsRequested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--list-settings") return true;
  }
  return false;
}

void PrintSettingsList(const Env& env, const absl::Status& read) {
  for (const Env::Asked& asked : env.asked()) {
    std::cout << R"({"name":")" << asked.name << R"(","required":)"
              << (asked.required ? "true" : "false") << "}\n";
  }
  std::cout.flush();
  if (!read.ok()) {
    std::cerr << "list-settings: reading stopped early, the list may be incomplete: "
              << read.message() << std::endl;
  }
}

absl::Status Env::Check() const {
  if (placeholder_file_) return absl::OkStatus();
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("invalid configuration: " + absl::StrJoin(problems_, "; "));
}

void ExitIfInvalid(const absl::Status& status, const std::string& program) {
  if (status.ok()) return;
  std::cerr << program << ": " << status.message() << std::endl;
  std::exit(2);
}

}  // namespace hc::config
