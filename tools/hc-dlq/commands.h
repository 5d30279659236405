#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "tools/hc-dlq/kafka_client.h"

namespace hc::dlq {

// Exit statuses.
inline constexpr int kOk = 0;
inline constexpr int kFailure = 1;
inline constexpr int kUsage = 2;

// The whole tool: `argv` without the program name; results to `out`, messages to `err`;
// settings not given as flags come from `env`. Returns the exit status.
int Run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err, const Env& env);

}  // namespace hc::dlq
