#include "services/notifications/src/storage/delivery_store.h"

#include <algorithm>
#include <array>
#include <tuple>

#include "libs/status/status.h"

namespace notifications::storage {
namespace {

using hc::postgres::Tx;

// In the order of DeliveryStatus.
constexpr std::array<std::string_view, 11> kStatusNames = {"queued",
                                                           "held",
                                                           "sending",
                                                           "sent",
                                                           "failed",
                                                           "suppressed_preference",
                                                           "suppressed_consent",
                                                           "digested",
                                                           "capped",
                                                           "digest_sent",
                                                           "dropped"};
static_assert(kStatusNames.size() == static_cast<size_t>(DeliveryStatus::kDropped) + 1);

int64_t Ms(Time t) { return t.time_since_epoch().count(); }
Time FromMs(int64_t ms) { return Time(std::chrono::milliseconds(ms)); }
// SQL for a timestamptz from a parameter holding milliseconds since the epoch, and back.
std::string At(const std::string& param) { return "to_timestamp(" + param + "::bigint / 1000.0)"; }
std::string EpochMs(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}

std::string ChannelText(domain::Channel channel) {
  return std::string(domain::ChannelName(channel));
}

}  // namespace

std::string_view DeliveryStatusName(DeliveryStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

std::optional<DeliveryStatus> DeliveryStatusFromName(std::string_view name) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (kStatusNames[i] == name) return static_cast<DeliveryStatus>(i);
  }
  return std::nullopt;
}

domain::Consent DeliveryStore::ConsentIn(Tx& tx, const std::string& member_id) {
  domain::Consent consent;
  for (const auto& row :
       tx.exec_params("SELECT channel, granted FROM consents WHERE member_id = $1", member_id)) {
    const auto channel = domain::ChannelFromName(row[0].as<std::string>());
    if (channel == domain::Channel::kEmail) consent.email = row[1].as<bool>();
    if (channel == domain::Channel::kSms) consent.sms = row[1].as<bool>();
  }
  return consent;
}

void DeliveryStore::SetConsentIn(Tx& tx, const std::string& member_id, domain::Channel channel,
                                 bool granted, Time changed_at) {
  tx.exec_params(
      "INSERT INTO consents (member_id, channel, granted, changed_at) VALUES ($1, $2, "
      "$3, " +
          At("$4") +
          ") ON CONFLICT (member_id, channel) DO UPDATE SET granted = "
          "EXCLUDED.granted, changed_at = EXCLUDED.changed_at "
          "WHERE consents.changed_at <= EXCLUDED.changed_at",
      member_id, ChannelText(channel), granted, Ms(changed_at));
}

bool DeliveryStore::AddIn(Tx& tx, const Delivery& d, const std::string& dedupe_key) {
  const auto result = tx.exec_params(
      "INSERT INTO deliveries (delivery_id, member_id, channel, category, kind, event_id, "
      "shift_id, role_id, dedupe_key, status, due_at, created_at, updated_at, other_member_id, "
      "other_shares_email, other_shares_phone, answer_by) "
      "VALUES ($1, $2, $3, $4, $5, NULLIF($6, '')::uuid, NULLIF($7, '')::uuid, "
      "NULLIF($8, '')::uuid, $9, $10, " +
          At("$11") + ", " + At("$12") + ", " + At("$12") +
          ", NULLIF($13, ''), $14, $15, to_timestamp($16::bigint / 1000.0)) "
          "ON CONFLICT (dedupe_key) DO NOTHING",
      d.delivery_id, d.member_id, ChannelText(d.channel),
      std::string(domain::CategoryName(d.category)), std::string(domain::InboxKindName(d.kind)),
      d.event_id, d.shift_id, d.role_id, dedupe_key, std::string(DeliveryStatusName(d.status)),
      Ms(d.due_at), Ms(d.created_at), d.other_member_id, d.other_shares_email, d.other_shares_phone,
      d.answer_by ? std::optional<int64_t>(Ms(*d.answer_by)) : std::nullopt);
  return result.affected_rows() == 1;
}

absl::StatusOr<std::vector<Delivery>> DeliveryStore::Claim(domain::Channel channel, Time now,
                                                           std::chrono::milliseconds lease,
                                                           int limit) {
  std::vector<Delivery> claimed;
  HC_RETURN_IF_ERROR(pool_.InTransaction([&](Tx& tx) {
    claimed.clear();
    const auto rows = tx.exec_params(
        "UPDATE deliveries SET status = 'sending', lease_until = " + At("$3") +
            ", updated_at = " + At("$2") +
            " WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE channel = $1 AND ("
            "(status IN ('queued', 'held') AND due_at <= " +
            At("$2") + ") OR (status = 'sending' AND lease_until <= " + At("$2") +
            ")) ORDER BY due_at, created_at LIMIT $4 FOR UPDATE SKIP LOCKED) "
            "RETURNING delivery_id::text, member_id, category, kind, "
            "coalesce(event_id::text, ''), coalesce(shift_id::text, ''), "
            "coalesce(role_id::text, ''), attempts, " +
            EpochMs("due_at") + ", " + EpochMs("created_at") +
            ", coalesce(other_member_id, ''), other_shares_email, other_shares_phone, " +
            EpochMs("answer_by"),
        ChannelText(channel), Ms(now), Ms(now + lease), limit);
    const Time token = now + lease;
    for (const auto& row : rows) {
      Delivery d;
      d.delivery_id = row[0].as<std::string>();
      d.member_id = row[1].as<std::string>();
      d.channel = channel;
      d.category =
          domain::CategoryFromName(row[2].as<std::string>()).value_or(domain::Category::kEvents);
      const auto kind = domain::InboxKindFromName(row[3].as<std::string>());
      // A kind this build doesn't know (a newer replica wrote it) waits for a build that does.
      if (!kind) continue;
      d.kind = *kind;
      d.event_id = row[4].as<std::string>();
      d.shift_id = row[5].as<std::string>();
      d.role_id = row[6].as<std::string>();
      d.status = DeliveryStatus::kSending;
      d.attempts = row[7].as<int>();
      d.due_at = FromMs(row[8].as<int64_t>());
      d.created_at = FromMs(row[9].as<int64_t>());
      d.other_member_id = row[10].as<std::string>();
      d.other_shares_email = row[11].as<bool>();
      d.other_shares_phone = row[12].as<bool>();
      if (!row[13].is_null()) d.answer_by = FromMs(row[13].as<int64_t>());
      d.lease_until = token;
      claimed.push_back(std::move(d));
    }
    // RETURNING keeps no order: send the oldest due first.
    std::sort(claimed.begin(), claimed.end(), [](const Delivery& a, const Delivery& b) {
      return std::tie(a.due_at, a.created_at, a.delivery_id) <
             std::tie(b.due_at, b.created_at, b.delivery_id);
    });
    return absl::OkStatus();
  }));
  return claimed;
}

absl::StatusOr<bool> DeliveryStore::Renew(Delivery& d, Time now, std::chrono::milliseconds lease) {
  bool renewed = false;
  HC_RETURN_IF_ERROR(pool_.InTransaction([&](Tx& tx) {
    renewed = tx.exec_params("UPDATE deliveries SET lease_until = " + At("$3") +
                                 " WHERE delivery_id = $1 AND status = 'sending' AND "
                                 "lease_until = " +
                                 At("$2"),
                             d.delivery_id, Ms(d.lease_until), Ms(now + lease))
                  .affected_rows() == 1;
    return absl::OkStatus();
  }));
  if (renewed) d.lease_until = now + lease;
  return renewed;
}

absl::Status DeliveryStore::Finish(const Delivery& d, DeliveryStatus status, Time due_at,
                                   int attempts, const std::string& error, Time now) {
  return pool_.InTransaction([&](Tx& tx) {
    tx.exec_params("UPDATE deliveries SET status = $2, due_at = " + At("$3") +
                       ", attempts = $4, last_error = NULLIF($5, ''), lease_until = NULL, "
                       "updated_at = " +
                       At("$6") + ", sent_at = CASE WHEN $2 = 'sent' THEN " + At("$6") +
                       " ELSE sent_at END WHERE delivery_id = $1 AND status = 'sending' AND "
                       "lease_until = " +
                       At("$7"),
                   d.delivery_id, std::string(DeliveryStatusName(status)), Ms(due_at), attempts,
                   error, Ms(now), Ms(d.lease_until));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<Delivery>> DeliveryStore::ClaimDigest(Time now,
                                                                 std::chrono::milliseconds lease,
                                                                 int limit) {
  std::vector<Delivery> claimed;
  HC_RETURN_IF_ERROR(pool_.InTransaction([&](Tx& tx) {
    claimed.clear();
    const std::string due = "status = 'digested' AND due_at <= " + At("$1") +
                            " AND (lease_until IS NULL OR lease_until <= " + At("$1") +
                            ") AND channel = 'email'";
    // A few candidates; the first whose member lock is free is this dispatcher's.
    const auto members =
        tx.exec_params("SELECT DISTINCT member_id FROM (SELECT member_id FROM deliveries WHERE " +
                           due + " ORDER BY due_at LIMIT 16) m",
                       Ms(now));
    for (const auto& member : members) {
      const std::string id = member[0].as<std::string>();
      if (!tx.exec_params1("SELECT pg_try_advisory_xact_lock(hashtext('digest:' || $1))", id)[0]
               .as<bool>()) {
        continue;
      }
      const auto rows = tx.exec_params(
          "UPDATE deliveries SET lease_until = " + At("$3") + ", updated_at = " + At("$1") +
              " WHERE delivery_id IN (SELECT delivery_id FROM deliveries WHERE member_id = $2 "
              "AND " +
              due +
              " ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING delivery_id::text, "
              "category, kind, coalesce(event_id::text, ''), coalesce(shift_id::text, ''), "
              "coalesce(role_id::text, ''), attempts, " +
              EpochMs("due_at") + ", " + EpochMs("created_at") +
              ", coalesce(other_member_id, ''), other_shares_email, other_shares_phone, " +
              EpochMs("answer_by"),
          Ms(now), id, Ms(now + lease), limit);
      for (const auto& row : rows) {
        const auto kind = domain::InboxKindFromName(row[2].as<std::string>());
        if (!kind) continue;
        Delivery d;
        d.delivery_id = row[0].as<std::string>();
        d.member_id = id;
        d.channel = domain::Channel::kEmail;
        d.category =
            domain::CategoryFromName(row[1].as<std::string>()).value_or(domain::Category::kEvents);
        d.kind = *kind;
        d.event_id = row[3].as<std::string>();
        d.shift_id = row[4].as<std::string>();
        d.role_id = row[5].as<std::string>();
        d.status = DeliveryStatus::kDigested;
        d.attempts = row[6].as<int>();
        d.due_at = FromMs(row[7].as<int64_t>());
        d.created_at = FromMs(row[8].as<int64_t>());
        d.other_member_id = row[9].as<std::string>();
        d.other_shares_email = row[10].as<bool>();
        d.other_shares_phone = row[11].as<bool>();
        if (!row[12].is_null()) d.answer_by = FromMs(row[12].as<int64_t>());
        d.lease_until = now + lease;
        claimed.push_back(std::move(d));
      }
      if (!claimed.empty()) break;
    }
    std::sort(claimed.begin(), claimed.end(), [](const Delivery& a, const Delivery& b) {
      return std::tie(a.created_at, a.delivery_id) < std::tie(b.created_at, b.delivery_id);
    });
    return absl::OkStatus();
  }));
  return claimed;
}

absl::StatusOr<bool> DeliveryStore::RenewDigest(std::vector<Delivery>& items, Time now,
                                                std::chrono::milliseconds lease) {
  bool renewed = true;
  const absl::Status status = pool_.InTransaction([&](Tx& tx) {
    renewed = true;
    for (const Delivery& d : items) {
      if (tx.exec_params(
                "UPDATE deliveries SET lease_until = " + At("$3") +
                    " WHERE delivery_id = $1 AND status = 'digested' AND lease_until = " + At("$2"),
                d.delivery_id, Ms(d.lease_until), Ms(now + lease))
              .affected_rows() != 1) {
        renewed = false;
        // Rolls back the renewals already made: the digest is no longer this claim's.
        return absl::FailedPreconditionError("digest claim lost");
      }
    }
    return absl::OkStatus();
  });
  if (!renewed) return false;
  HC_RETURN_IF_ERROR(status);
  for (Delivery& d : items) d.lease_until = now + lease;
  return true;
}

absl::Status DeliveryStore::FinishDigest(const std::vector<DigestOutcome>& outcomes, Time now) {
  return pool_.InTransaction([&](Tx& tx) {
    for (const DigestOutcome& o : outcomes) {
      tx.exec_params("UPDATE deliveries SET status = $2, due_at = " + At("$3") +
                         ", attempts = $4, lease_until = NULL, updated_at = " + At("$5") +
                         ", sent_at = CASE WHEN $2 = 'digest_sent' THEN " + At("$5") +
                         " ELSE sent_at END WHERE delivery_id = $1 AND status = 'digested' AND "
                         "lease_until = " +
                         At("$6"),
                     o.delivery_id, std::string(DeliveryStatusName(o.status)), Ms(o.due_at),
                     o.attempts, Ms(now), Ms(o.lease_until));
    }
    return absl::OkStatus();
  });
}

absl::Status DeliveryStore::PostponeDigest(const std::string& member_id, Time now,
                                           Time next_digest) {
  return pool_.InTransaction([&](Tx& tx) {
    tx.exec_params("UPDATE deliveries SET due_at = " + At("$3") +
                       " WHERE member_id = $1 AND channel = 'email' AND status = 'digested' AND "
                       "due_at <= " +
                       At("$2") + " AND (lease_until IS NULL OR lease_until <= " + At("$2") + ")",
                   member_id, Ms(now), Ms(next_digest));
    return absl::OkStatus();
  });
}

absl::StatusOr<int> DeliveryStore::SentSince(const std::string& member_id, domain::Channel channel,
                                             Time since) {
  int count = 0;
  HC_RETURN_IF_ERROR(pool_.InTransaction([&](Tx& tx) {
    count = tx.exec_params1(
                  "SELECT count(*) FROM deliveries WHERE member_id = $1 AND channel = "
                  "$2 AND status = 'sent' AND sent_at > " +
                      At("$3"),
                  member_id, ChannelText(channel), Ms(since))[0]
                .as<int>();
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<int> DeliveryStore::CountByStatus(domain::Channel channel, DeliveryStatus status) {
  int count = 0;
  HC_RETURN_IF_ERROR(pool_.InTransaction([&](Tx& tx) {
    count = tx.exec_params1("SELECT count(*) FROM deliveries WHERE channel = $1 AND status = $2",
                            ChannelText(channel), std::string(DeliveryStatusName(status)))[0]
                .as<int>();
    return absl::OkStatus();
  }));
  return count;
}
}  // namespace notifications::storage
