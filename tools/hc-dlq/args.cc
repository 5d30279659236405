#include "tools/hc-dlq/args.h"

#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace hc::dlq {
namespace {

constexpr char kDlqPrefix[] = "alumni.dlq.";

const std::map<std::string, Command>& Commands() {
  static const std::map<std::string, Command> kCommands = {{"list", Command::kList},
                                                           {"inspect", Command::kInspect},
                                                           {"replay", Command::kReplay},
                                                           {"purge", Command::kPurge}};
  return kCommands;
}

// The flags each command accepts beside --service/--topic, --brokers, --timeout and --help.
const std::set<std::string>& FlagsOf(Command command) {
  static const std::map<Command, std::set<std::string>> kFlags = {
      {Command::kList, {"--json"}},
      {Command::kInspect, {"--offset", "--payload", "--json"}},
      {Command::kReplay, {"--offset", "--all", "--dry-run"}},
      {Command::kPurge, {"--before", "--all-replayed", "--force"}},
  };
  return kFlags.at(command);
}

bool TakesValue(const std::string& flag) {
  return flag == "--service" || flag == "--topic" || flag == "--brokers" || flag == "--timeout" ||
         flag == "--offset" || flag == "--before";
}

// A service name as the topic names use it: lowercase letters, digits, '-' and '_'.
bool ValidService(const std::string& service) {
  if (service.empty()) return false;
  for (char c : service) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::optional<Position> ParsePosition(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  Position position;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &position.partition) ||
      !absl::SimpleAtoi(parts[1], &position.offset) || position.partition < 0 ||
      position.offset < 0) {
    return std::nullopt;
  }
  return position;
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("no command given");
  Args args;
  auto command = Commands().find(argv[0]);
  if (command == Commands().end()) {
    return absl::InvalidArgumentError("unknown command '" + argv[0] + "'");
  }
  args.command = command->second;
  std::map<std::string, std::string> flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = flag.find('='); absl::StartsWith(flag, "--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      args.help = true;
      return args;
    }
    const bool common =
        flag == "--service" || flag == "--topic" || flag == "--brokers" || flag == "--timeout";
    if (!common && !FlagsOf(args.command).contains(flag)) {
      return absl::InvalidArgumentError(argv[0] + ": unknown flag '" + flag + "'");
    }
    if (TakesValue(flag) && !has_value) {
      if (i + 1 >= argv.size()) return absl::InvalidArgumentError(flag + " needs a value");
      value = argv[++i];
    } else if (!TakesValue(flag) && has_value) {
      return absl::InvalidArgumentError(flag + " takes no value");
    }
    if (flags.contains(flag)) return absl::InvalidArgumentError(flag + " given twice");
    flags[flag] = value;
  }

  if (flags.contains("--service") == flags.contains("--topic")) {
    return absl::InvalidArgumentError("give one of --service or --topic");
  }
  if (flags.contains("--service")) {
    args.service = flags["--service"];
    if (!ValidService(args.service)) {
      return absl::InvalidArgumentError("--service: not a service name: '" + args.service + "'");
    }
    args.topic = kDlqPrefix + args.service;
  } else {
    args.topic = flags["--topic"];
    args.service = args.topic.substr(std::min(args.topic.size(), sizeof(kDlqPrefix) - 1));
    if (!absl::StartsWith(args.topic, kDlqPrefix) || !ValidService(args.service)) {
      return absl::InvalidArgumentError(
          "--topic: not a dead-letter topic (alumni.dlq.<service>): '" + args.topic + "'");
    }
  }
  if (flags.contains("--brokers")) {
    args.brokers = flags["--brokers"];
    if (args.brokers.empty()) return absl::InvalidArgumentError("--brokers is empty");
  }
  if (flags.contains("--timeout")) {
    int seconds = 0;
    if (!absl::SimpleAtoi(flags["--timeout"], &seconds) || seconds <= 0 || seconds > 3600) {
      return absl::InvalidArgumentError("--timeout: seconds between 1 and 3600");
    }
    args.timeout = std::chrono::seconds(seconds);
  }
  for (const char* name : {"--offset", "--before"}) {
    if (!flags.contains(name)) continue;
    auto position = ParsePosition(flags[name]);
    if (!position) {
      return absl::InvalidArgumentError(std::string(name) + ": expected PARTITION:OFFSET, got '" +
                                        flags[name] + "'");
    }
    (std::string(name) == "--offset" ? args.offset : args.before) = position;
  }
  args.all = flags.contains("--all");
  args.all_replayed = flags.contains("--all-replayed");
  args.dry_run = flags.contains("--dry-run");
  args.force = flags.contains("--force");
  args.json = flags.contains("--json");
  args.payload = flags.contains("--payload");

  switch (args.command) {
    case Command::kList:
      break;
    case Command::kInspect:
      if (!args.offset) return absl::InvalidArgumentError("inspect: --offset P:O is required");
      break;
    case Command::kReplay:
      if (args.offset.has_value() == args.all) {
        return absl::InvalidArgumentError("replay: give one of --offset P:O or --all");
      }
      break;
    case Command::kPurge:
      if (args.before.has_value() == args.all_replayed) {
        return absl::InvalidArgumentError("purge: give one of --before P:O or --all-replayed");
      }
      if (args.force && args.all_replayed) {
        return absl::InvalidArgumentError("purge: --force goes with --before only");
      }
      break;
  }
  return args;
}

std::string Usage(std::optional<Command> command) {
  const std::string common =
      "  --service S        the service whose dead letters to use (topic alumni.dlq.S)\n"
      "  --topic T          or the dead-letter topic itself (alumni.dlq.<service>)\n"
      "  --brokers LIST     Kafka bootstrap servers (default: $HC_KAFKA_BROKERS)\n"
      "  --timeout SECONDS  how long to wait for Kafka (default 30)\n"
      "  --help             this text\n"
      "TLS: HC_KAFKA_SECURITY_PROTOCOL=ssl with HC_KAFKA_SSL_CA_FILE, HC_KAFKA_SSL_CERT_FILE,\n"
      "HC_KAFKA_SSL_KEY_FILE, as the services read them.\n";
  if (!command) {
    return "usage: hc-dlq <command> --service S [flags]\n"
           "Dead letters of alumni.dlq.<service>: what a consumer gave up on.\n"
           "commands:\n"
           "  list      one line per dead letter still held\n"
           "  inspect   one dead letter's headers and error in full\n"
           "  replay    produce dead letters again to their origin topic, once each\n"
           "  purge     delete replayed dead letters from the topic\n"
           "exit status: 0 ok, 1 failure, 2 usage. `hc-dlq <command> --help` for its flags.\n";
  }
  switch (*command) {
    case Command::kList:
      return "usage: hc-dlq list --service S [--json]\n"
             "One line per dead letter still held: DLQ position, time, replayed or held, origin\n"
             "topic/partition@offset, event type and id, consumer group, first line of the error.\n"
             "Payloads are never printed.\n"
             "  --json             one JSON object per line\n" +
             common;
    case Command::kInspect:
      return "usage: hc-dlq inspect --service S --offset P:O [--payload] [--json]\n"
             "Every header of the dead letter at partition P, offset O, and its error in full.\n"
             "  --offset P:O       the dead letter's position in the DLQ topic\n"
             "  --payload          print the payload too (JSON as is, anything else in hex)\n"
             "  --json             one JSON object\n" +
             common;
    case Command::kReplay:
      return "usage: hc-dlq replay --service S (--offset P:O | --all) [--dry-run]\n"
             "Produces each dead letter not replayed yet to its origin topic (same key, value and\n"
             "headers, minus the dlq_* ones, plus hc_dlq_replay_of) and records it as replayed\n"
             "in consumer group hc-dlq.S. Running it again replays nothing twice.\n"
             "  --offset P:O       the one dead letter to replay (the oldest not replayed in P)\n"
             "  --all              every dead letter not replayed yet, oldest first\n"
             "  --dry-run          say what would be replayed; produce and record nothing\n" +
             common;
    case Command::kPurge:
      return "usage: hc-dlq purge --service S (--before P:O [--force] | --all-replayed)\n"
             "Deletes dead letters from the topic (Kafka DeleteRecords). Purging again is a "
             "no-op.\n"
             "  --before P:O       delete partition P's records below offset O; refused when some\n"
             "                     are not replayed yet, unless --force\n"
             "  --all-replayed     delete every replayed dead letter\n"
             "  --force            delete even dead letters not replayed\n" +
             common;
  }
  return "";
}

}  // namespace hc::dlq
