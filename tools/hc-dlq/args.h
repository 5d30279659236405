#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hc::dlq {

// A record's place in a topic: partition and offset, written `P:O` on the command line.
struct Position {
  int32_t partition = 0;
  int64_t offset = 0;
  bool operator==(const Position&) const = default;
};

enum class Command { kList, kInspect, kReplay, kPurge };

struct Args {
  Command command = Command::kList;
  // --help: print the command's usage and exit 0.
  bool help = false;
  // The dead-letter topic, `alumni.dlq.<service>`, from --service or --topic.
  std::string topic;
  std::string service;
  // --brokers; empty means HC_KAFKA_BROKERS.
  std::string brokers;
  std::optional<Position> offset;  // inspect, replay
  std::optional<Position> before;  // purge
  bool all = false;                // replay
  bool all_replayed = false;       // purge
  bool dry_run = false;            // replay
  bool force = false;              // purge
  bool json = false;               // list, inspect
  bool payload = false;            // inspect
  std::chrono::milliseconds timeout{30000};
};

// The consumer group whose committed offsets record what was replayed.
inline std::string ReplayGroup(const std::string& service) { return "hc-dlq." + service; }

// Parses the arguments after the program name. A usage error is InvalidArgument; its message
// says what is wrong (the caller prints the usage beside it).
absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv);

// `P:O` with P >= 0 and O >= 0.
std::optional<Position> ParsePosition(const std::string& text);

// The usage of one command, or of the tool when `command` is empty.
std::string Usage(std::optional<Command> command);

}  // namespace hc::dlq
