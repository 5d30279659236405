#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string_view>

namespace hc::log {

// Makes the default spdlog logger write one JSON object per line to stderr, with the service
// name, so every process logs alike. Messages must never contain personal data (email, phone,
// sobriety date, free text about a person): log ids.
void Init(std::string_view service, std::string_view level = "info");

}  // namespace hc::log
