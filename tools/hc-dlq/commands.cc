#include "tools/hc-dlq/commands.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace hc::dlq {
namespace {

// A failure worth one line to the operator; its exit status is kFailure.
int Fail(std::ostream& err, const absl::Status& status) {
  err << "hc-dlq: " << status.message() << "\n";
  return kFailure;
}

std::map<int32_t, PartitionState> ByPartition(const std::vector<PartitionState>& partitions) {
  std::map<int32_t, PartitionState> out;
  for (const auto& p : partitions) out[p.partition] = p;
  return out;
}

std::string At(int32_t partition, int64_t offset) { return absl::StrCat(partition, ":", offset); }

int List(const Args& args, DlqClient& client, std::ostream& out, std::ostream& err) {
  auto partitions = client.Partitions();
  if (!partitions.ok()) return Fail(err, partitions.status());
  auto letters = client.Read(*partitions);
  if (!letters.ok()) return Fail(err, letters.status());
  auto states = ByPartition(*partitions);
  for (const DeadLetter& letter : *letters) {
    const bool replayed = states[letter.partition].Replayed(letter.offset);
    out << (args.json ? ListJson(letter, replayed).dump() : ListLine(letter, replayed)) << "\n";
  }
  if (letters->empty()) err << "hc-dlq: no dead letters held in " << args.topic << "\n";
  return kOk;
}

int Inspect(const Args& args, DlqClient& client, std::ostream& out, std::ostream& err) {
  auto partitions = client.Partitions();
  if (!partitions.ok()) return Fail(err, partitions.status());
  auto states = ByPartition(*partitions);
  auto state = states.find(args.offset->partition);
  if (state == states.end()) {
    return Fail(err, absl::NotFoundError(
                         absl::StrCat(args.topic, " has no partition ", args.offset->partition)));
  }
  const PartitionState& p = state->second;
  if (args.offset->offset < p.low || args.offset->offset >= p.high) {
    return Fail(err, absl::NotFoundError(absl::StrCat(
                         "no dead letter at ", At(p.partition, args.offset->offset), ": partition ",
                         p.partition, " holds offsets ", p.low, " to ", p.high - 1,
                         args.offset->offset < p.low ? " (that one was purged)" : "")));
  }
  auto letters = client.Read({p});
  if (!letters.ok()) return Fail(err, letters.status());
  for (const DeadLetter& letter : *letters) {
    if (letter.offset != args.offset->offset) continue;
    const bool replayed = p.Replayed(letter.offset);
    if (args.json) {
      out << InspectJson(letter, replayed, args.payload).dump(2) << "\n";
    } else {
      out << InspectText(letter, replayed, args.payload);
    }
    return kOk;
  }
  return Fail(err, absl::NotFoundError("no dead letter at " +
                                       At(args.offset->partition, args.offset->offset)));
}

// Replays in DLQ order per partition and commits each replayed position right after its
// delivery report: the committed offset then always means "everything below was replayed".
int Replay(const Args& args, DlqClient& client, std::ostream& out, std::ostream& err) {
  auto partitions = client.Partitions();
  if (!partitions.ok()) return Fail(err, partitions.status());
  auto states = ByPartition(*partitions);
  std::vector<PartitionState> to_read;
  if (args.offset) {
    auto state = states.find(args.offset->partition);
    if (state == states.end()) {
      return Fail(err, absl::NotFoundError(
                           absl::StrCat(args.topic, " has no partition ", args.offset->partition)));
    }
    if (state->second.Replayed(args.offset->offset)) {
      out << "already replayed: " << At(args.offset->partition, args.offset->offset)
          << " (nothing to do)\n";
      return kOk;
    }
    to_read.push_back(state->second);
  } else {
    to_read = *partitions;
  }
  auto letters = client.Read(to_read);
  if (!letters.ok()) return Fail(err, letters.status());

  std::vector<const DeadLetter*> targets;
  for (const DeadLetter& letter : *letters) {
    if (states[letter.partition].Replayed(letter.offset)) continue;
    if (args.offset) {
      if (letter.offset < args.offset->offset) {
        // Replaying this one first would record the older ones as replayed too.
        return Fail(err, absl::FailedPreconditionError(absl::StrCat(
                             "the older dead letter ", At(letter.partition, letter.offset),
                             " is not replayed yet: replay partition ", letter.partition,
                             "'s dead letters oldest first (or use --all)")));
      }
      if (letter.offset != args.offset->offset) continue;
    }
    targets.push_back(&letter);
  }
  if (args.offset && targets.empty()) {
    return Fail(err, absl::NotFoundError("no dead letter at " +
                                         At(args.offset->partition, args.offset->offset)));
  }
  if (targets.empty()) {
    out << "nothing to replay: every dead letter in " << args.topic << " is replayed\n";
    return kOk;
  }
  int replayed = 0;
  for (const DeadLetter* letter : targets) {
    const std::string origin = letter->Header(kDlqTopic);
    const std::string what =
        absl::StrCat(At(letter->partition, letter->offset), " -> ", origin.empty() ? "?" : origin,
                     " (type ", letter->Header("ce_type"), ", id ", letter->Header("ce_id"), ")");
    if (origin.empty()) {
      err << "hc-dlq: replayed " << replayed << "; stopped at " << what << "\n";
      return Fail(err, absl::FailedPreconditionError(
                           "it has no dlq_topic header: its origin topic is unknown"));
    }
    if (args.dry_run) {
      out << "would replay " << what << "\n";
      continue;
    }
    absl::Status status =
        client.Produce(origin, letter->key, letter->value, ReplayHeaders(*letter));
    if (status.ok()) status = client.CommitReplayed(letter->partition, letter->offset + 1);
    if (!status.ok()) {
      err << "hc-dlq: replayed " << replayed << "; stopped at " << what << "\n";
      return Fail(err, status);
    }
    ++replayed;
    out << "replayed " << what << "\n";
  }
  if (args.dry_run) out << "dry run: nothing produced, nothing recorded\n";
  return kOk;
}

// Deletes `p`'s records below `before` unless there are none.
int PurgeBelow(const Args& args, DlqClient& client, const PartitionState& p, int64_t before,
               std::ostream& out, std::ostream& err) {
  if (before <= p.low) {
    out << "nothing to purge in partition " << p.partition << ": it starts at offset " << p.low
        << "\n";
    return kOk;
  }
  auto low = client.DeleteRecordsBefore(p.partition, before);
  if (!low.ok()) return Fail(err, low.status());
  out << "purged " << args.topic << " " << At(p.partition, p.low) << " to "
      << At(p.partition, before - 1) << " (" << before - p.low << " records); partition "
      << p.partition << " now starts at offset " << *low << "\n";
  return kOk;
}

int Purge(const Args& args, DlqClient& client, std::ostream& out, std::ostream& err) {
  auto partitions = client.Partitions();
  if (!partitions.ok()) return Fail(err, partitions.status());
  if (args.before) {
    auto states = ByPartition(*partitions);
    auto state = states.find(args.before->partition);
    if (state == states.end()) {
      return Fail(err, absl::NotFoundError(
                           absl::StrCat(args.topic, " has no partition ", args.before->partition)));
    }
    const PartitionState& p = state->second;
    const int64_t before = args.before->offset;
    if (before > p.high) {
      return Fail(err,
                  absl::OutOfRangeError(absl::StrCat("partition ", p.partition, " ends at offset ",
                                                     p.high, ": cannot purge before ", before)));
    }
    const int64_t replayed_below = std::max<int64_t>(p.replayed_below, p.low);
    if (!args.force && before > replayed_below) {
      return Fail(err, absl::FailedPreconditionError(absl::StrCat(
                           "refusing to purge ", At(p.partition, replayed_below), " to ",
                           At(p.partition, before - 1),
                           ": not replayed yet (replay them, or purge with --force)")));
    }
    return PurgeBelow(args, client, p, before, out, err);
  }
  for (const PartitionState& p : *partitions) {
    if (int status = PurgeBelow(args, client, p, std::min(p.replayed_below, p.high), out, err);
        status != kOk) {
      return status;
    }
  }
  return kOk;
}

}  // namespace

int Run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err,
        const Env& env) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    (argv.empty() ? err : out) << Usage(std::nullopt);
    return argv.empty() ? kUsage : kOk;
  }
  auto args = ParseArgs(argv);
  if (!args.ok()) {
    err << "hc-dlq: " << args.status().message() << "\n\n";
    auto command = ParseArgs({argv[0], "--help"});
    err << Usage(command.ok() ? std::optional(command->command) : std::nullopt);
    return kUsage;
  }
  if (args->help) {
    out << Usage(args->command);
    return kOk;
  }
  std::string brokers = args->brokers.empty() ? env("HC_KAFKA_BROKERS") : args->brokers;
  if (brokers.empty()) {
    err << "hc-dlq: no brokers: pass --brokers or set HC_KAFKA_BROKERS\n";
    return kUsage;
  }
  auto client = DlqClient::Open({.brokers = brokers,
                                 .topic = args->topic,
                                 .group = ReplayGroup(args->service),
                                 .timeout = args->timeout},
                                env);
  if (!client.ok()) return Fail(err, client.status());
  switch (args->command) {
    case Command::kList:
      return List(*args, **client, out, err);
    case Command::kInspect:
      return Inspect(*args, **client, out, err);
    case Command::kReplay:
      return Replay(*args, **client, out, err);
    case Command::kPurge:
      return Purge(*args, **client, out, err);
  }
  return kFailure;
}

}  // namespace hc::dlq
