#include "services/membership/src/storage/member_store.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/numbers.h"
#include "libs/identity/identity.h"
#include "libs/outbox/outbox.h"
#include "libs/status/status.h"
#include "services/membership/src/messaging/member_events.h"

namespace membership::storage {
namespace {

using domain::Member;
using hc::postgres::Tx;

constexpr char kColumns[] =
    "m.member_id::text, m.first_name, m.last_name, m.display_name, m.email_sealed, "
    "m.phone_sealed, m.program_sealed, m.sobriety_sealed, array_to_json(m.interests)::text, "
    "m.time_zone, array_to_json(m.roles)::text, m.status, "
    "(extract(epoch FROM m.created_at) * 1000)::bigint, "
    "(extract(epoch FROM m.updated_at) * 1000)::bigint, m.version, m.directory_visibility, "
    "array_to_json(m.visible_fields)::text, m.celebrate_milestones, m.hide_name_in_lists";

// Associated data binding a sealed value to its row and column.
std::string Ad(const std::string& member_id, const char* column) {
  return member_id + ":" + column;
}

std::string DateText(const std::optional<domain::Date>& d) {
  if (!d) return "";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d->year, d->month, d->day);
  return buf;
}

// Program values are sealed as their enum number; kUnspecified is stored as NULL.
std::string ProgramText(domain::Program program) {
  return program == domain::Program::kUnspecified ? "" : std::to_string(static_cast<int>(program));
}

domain::Program ParseProgram(const std::string& text) {
  int value = 0;
  if (text.empty() || !absl::SimpleAtoi(text, &value)) return domain::Program::kUnspecified;
  return static_cast<domain::Program>(value);
}

std::optional<domain::Date> ParseDate(const std::string& text) {
  if (text.empty()) return std::nullopt;
  domain::Date d;
  if (std::sscanf(text.c_str(), "%d-%d-%d", &d.year, &d.month, &d.day) != 3) return std::nullopt;
  return d;
}

// A PostgreSQL array literal of text values, quoted and escaped.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

template <typename Int>
std::string IntArray(const std::vector<Int>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(static_cast<int>(values[i]));
  }
  return out + "}";
}

std::string Bytes(const pqxx::field& f) {
  if (f.is_null()) return "";
  pqxx::binarystring b(f);
  return b.str();
}

pqxx::binarystring Binary(const std::string& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

std::vector<domain::Consent> LoadConsents(Tx& tx, const std::string& member_id) {
  std::vector<domain::Consent> out;
  for (const auto& row :
       tx.exec_params("SELECT channel, granted, (extract(epoch FROM changed_at) * 1000)::bigint "
                      "FROM member_consents WHERE member_id = $1 ORDER BY channel",
                      member_id)) {
    out.push_back(
        {static_cast<domain::Channel>(row[0].as<int>()), row[1].as<bool>(), row[2].as<int64_t>()});
  }
  return out;
}

// `min_sober_days` 0: not an eligibility check.
void Audit(Tx& tx, const std::string& member_id, const std::string& by, const std::string& purpose,
           const char* what, int min_sober_days = 0) {
  tx.exec_params(
      "INSERT INTO access_audit (member_id, accessed_by, purpose, what, min_sober_days) "
      "VALUES ($1, $2, $3, $4, NULLIF($5, 0))",
      member_id, by, purpose, what, min_sober_days);
}

// Every tag of `wanted` must be active in the catalogue, or one the member holds already
// (`held`), so retiring a tag never makes a profile impossible to save.
absl::Status CheckCatalogue(Tx& tx, const std::vector<std::string>& wanted,
                            const std::vector<std::string>& held) {
  if (wanted.empty()) return absl::OkStatus();
  std::set<std::string> active;
  for (const auto& row : tx.exec_params(
           "SELECT tag FROM interest_tags WHERE tag = ANY($1::text[]) AND retired_at IS NULL",
           TextArray(wanted))) {
    active.insert(row[0].as<std::string>());
  }
  for (size_t i = 0; i < wanted.size(); ++i) {
    if (!active.contains(wanted[i]) &&
        std::find(held.begin(), held.end(), wanted[i]) == held.end()) {
      // The tag itself is not echoed: it is whatever the member typed.
      return hc::InvalidField("interests", "item " + std::to_string(i + 1) +
                                               " is not in the catalogue (see ListInterestTags)");
    }
  }
  return absl::OkStatus();
}

// A directory key: the name folded by ICU (as the search matches it) in byte order.
std::string NameKey(const char* column) {
  return std::string("(lower(m.") + column + " COLLATE \"und-x-icu\") COLLATE \"C\")";
}

}  // namespace

std::string DirectorySearchSql(bool by_name) {
  // Names are matched only where the member shows them (1 = FULL_NAME): searching must not
  // reveal a hidden last name. Names are not sealed, so PostgreSQL matches them. Case is
  // folded with ICU's root locale ("und-x-icu"), not the database's: under the C locale
  // lower() folds ASCII only, and "ó" would not find "Óscar". Each key is the folded name in
  // COLLATE "C", the expression of an index of migration 0009, so a prefix is an index range.
  const std::string pattern = "(lower($1 COLLATE \"und-x-icu\") COLLATE \"C\")";
  // "key >= $3" is implied by the row comparison and is there for the planner: it estimates a
  // plain range from the keys' statistics, a row comparison it guesses (tests/explain saw a Seq
  // Scan of members for an interest's next page at 50,000 members without it).
  const std::string common =
      " AND ($2 = '' OR ($2 = ANY(m.interests) AND 2 = ANY(m.visible_fields)))"
      " AND ($3 = '' OR (" +
      NameKey("display_name") + " >= $3 AND (" + NameKey("display_name") +
      ", m.member_id) > ($3, NULLIF($4, '')::uuid)))";
  const std::string listed = " FROM members m WHERE m.status = 1 AND m.directory_visibility = 2";
  // Two branches, each at most a page: display-name matches walk the display-name key from the
  // prefix (cost independent of the community's size); shown first/last-name matches are found
  // through their keys and sorted (the planner walks the display-name key instead when they are
  // many). An empty prefix matches every display name: the first branch is the whole listing.
  std::string branches = "(SELECT " + NameKey("display_name") + " AS k, m.member_id" + listed +
                         " AND " + NameKey("display_name") + " LIKE " + pattern + common +
                         " ORDER BY k, m.member_id LIMIT $5)";
  if (by_name) {
    branches += " UNION (SELECT " + NameKey("display_name") + " AS k, m.member_id" + listed +
                " AND 1 = ANY(m.visible_fields) AND (" + NameKey("first_name") + " LIKE " +
                pattern + " OR " + NameKey("last_name") + " LIKE " + pattern + ")" + common +
                " ORDER BY k, m.member_id LIMIT $5)";
  }
  return std::string("SELECT ") + kColumns + ", p.k FROM (SELECT k, member_id FROM (" + branches +
         ") u ORDER BY k, member_id LIMIT $5) p"
         " JOIN members m USING (member_id) ORDER BY p.k, p.member_id";
}

std::string MemberStore::SealOrEmpty(const std::string& value, const std::string& member_id,
                                     const char* column) const {
  if (value.empty()) return "";
  return keys_.Seal(value, Ad(member_id, column));
}

absl::StatusOr<Member> MemberStore::FromRow(const pqxx::row& row) const {
  Member m;
  m.member_id = row[0].as<std::string>();
  m.first_name = row[1].as<std::string>();
  m.last_name = row[2].as<std::string>();
  m.display_name = row[3].as<std::string>();
  auto open = [&](const pqxx::field& f, const char* column) -> absl::StatusOr<std::string> {
    std::string sealed = Bytes(f);
    if (sealed.empty()) return std::string();
    auto plain = keys_.Open(sealed, Ad(m.member_id, column));
    if (!plain.ok()) {
      spdlog::error("member {}: {} does not open with the configured data key", m.member_id,
                    column);
    }
    return plain;
  };
  HC_ASSIGN_OR_RETURN(m.email, open(row[4], "email"));
  HC_ASSIGN_OR_RETURN(m.phone, open(row[5], "phone"));
  HC_ASSIGN_OR_RETURN(std::string program, open(row[6], "program"));
  m.program = ParseProgram(program);
  HC_ASSIGN_OR_RETURN(std::string sobriety, open(row[7], "sobriety_date"));
  m.sobriety_date = ParseDate(sobriety);
  m.interests = nlohmann::json::parse(row[8].as<std::string>()).get<std::vector<std::string>>();
  m.time_zone = row[9].as<std::string>();
  for (int role : nlohmann::json::parse(row[10].as<std::string>()).get<std::vector<int>>()) {
    m.roles.push_back(static_cast<domain::Role>(role));
  }
  m.status = static_cast<domain::MemberStatus>(row[11].as<int>());
  m.created_at_ms = row[12].as<int64_t>();
  m.updated_at_ms = row[13].as<int64_t>();
  m.version = row[14].as<int64_t>();
  m.privacy.visibility = static_cast<domain::DirectoryVisibility>(row[15].as<int>());
  for (int f : nlohmann::json::parse(row[16].as<std::string>()).get<std::vector<int>>()) {
    m.privacy.visible_fields.insert(static_cast<domain::DirectoryField>(f));
  }
  m.privacy.celebrate_milestones = row[17].as<bool>();
  m.privacy.hide_name_in_lists = row[18].as<bool>();
  return m;
}

absl::StatusOr<int> MemberStore::SealPlainPrograms() {
  int sealed = 0;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    sealed = 0;
    // FOR UPDATE: a replica starting at the same time waits, then finds these rows at 0 and
    // skips them, so each value is sealed once.
    for (const auto& row :
         tx.exec("SELECT member_id::text, program FROM members WHERE program <> 0 FOR UPDATE")) {
      const std::string id = row[0].as<std::string>();
      const auto program = static_cast<domain::Program>(row[1].as<int>());
      tx.exec_params("UPDATE members SET program_sealed = $2, program = 0 WHERE member_id = $1", id,
                     Binary(keys_.Seal(ProgramText(program), Ad(id, "program"))));
      ++sealed;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return sealed;
}

absl::StatusOr<Member> MemberStore::Register(const domain::NewMember& n) {
  Member created;
  const std::string id = hc::ids::NewUuid();
  const std::string fingerprint = keys_.Fingerprint(domain::NormalizeEmail(n.email));
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    // Checked first for a precise error; the unique index still decides under concurrency.
    if (!tx.exec_params("SELECT 1 FROM members WHERE email_fingerprint = $1", Binary(fingerprint))
             .empty()) {
      return absl::AlreadyExistsError("email: a member with this email already exists");
    }
    HC_RETURN_IF_ERROR(CheckCatalogue(tx, n.interests, {}));
    auto row = tx.exec_params1(
        std::string("INSERT INTO members AS m (member_id, first_name, last_name, display_name, "
                    "email_fingerprint, email_sealed, phone_sealed, program_sealed, "
                    "sobriety_sealed, interests, time_zone) VALUES ($1, $2, $3, $4, $5, $6, "
                    "NULLIF($7, ''::bytea), NULLIF($8, ''::bytea), NULLIF($9, ''::bytea), "
                    "$10::text[], $11) RETURNING ") +
            kColumns,
        id, n.first_name, n.last_name, domain::DefaultDisplayName(n.first_name, n.last_name),
        Binary(fingerprint), Binary(keys_.Seal(domain::NormalizeEmail(n.email), Ad(id, "email"))),
        Binary(SealOrEmpty(n.phone, id, "phone")),
        Binary(SealOrEmpty(ProgramText(n.program), id, "program")),
        Binary(SealOrEmpty(DateText(n.sobriety_date), id, "sobriety_date")), TextArray(n.interests),
        n.time_zone);
    HC_ASSIGN_OR_RETURN(created, FromRow(row));
    events::AppendMemberRegistered(tx, created);
    return absl::OkStatus();
  });
  if (status.code() == absl::StatusCode::kAlreadyExists) {
    return absl::AlreadyExistsError("email: a member with this email already exists");
  }
  if (!status.ok()) return status;
  return created;
}

absl::StatusOr<std::optional<Member>> MemberStore::LoadActive(Tx& tx,
                                                              const std::string& member_id) const {
  auto rows = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM members m WHERE member_id = $1 AND status = 1",
      member_id);
  if (rows.empty()) return std::optional<Member>();
  HC_ASSIGN_OR_RETURN(Member m, FromRow(rows[0]));
  m.consents = LoadConsents(tx, member_id);
  return std::optional<Member>(std::move(m));
}

absl::StatusOr<Member> MemberStore::Get(const std::string& member_id) {
  std::optional<Member> found;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_ASSIGN_OR_RETURN(found, LoadActive(tx, member_id));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such member");
  return *found;
}

absl::StatusOr<Member> MemberStore::UpdateProfile(const std::string& member_id,
                                                  const domain::ProfileChanges& changes) {
  Member updated;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM members m WHERE member_id = $1 AND status = 1 FOR UPDATE",
                               member_id);
    if (rows.empty()) return absl::NotFoundError("no such member");
    HC_ASSIGN_OR_RETURN(updated, FromRow(rows[0]));
    if (changes.interests) {
      HC_RETURN_IF_ERROR(CheckCatalogue(tx, *changes.interests, updated.interests));
    }
    std::vector<std::string> changed = domain::ApplyChanges(updated, changes);
    if (!changed.empty()) {
      auto row = tx.exec_params1(
          std::string("UPDATE members AS m SET first_name = $2, last_name = $3, "
                      "display_name = $4, phone_sealed = NULLIF($5, ''::bytea), "
                      "program_sealed = NULLIF($6, ''::bytea), "
                      "sobriety_sealed = NULLIF($7, ''::bytea), interests = $8::text[], "
                      "time_zone = $9, updated_at = now(), version = version + 1 "
                      "WHERE member_id = $1 RETURNING ") +
              kColumns,
          member_id, updated.first_name, updated.last_name, updated.display_name,
          Binary(SealOrEmpty(updated.phone, member_id, "phone")),
          Binary(SealOrEmpty(ProgramText(updated.program), member_id, "program")),
          Binary(SealOrEmpty(DateText(updated.sobriety_date), member_id, "sobriety_date")),
          TextArray(updated.interests), updated.time_zone);
      HC_ASSIGN_OR_RETURN(updated, FromRow(row));
      if (std::find(changed.begin(), changed.end(), "sobriety_date") != changed.end()) {
        // A new start date starts the milestones over.
        tx.exec_params("DELETE FROM member_milestones WHERE member_id = $1", member_id);
      }
      // Invariant: the versions MemberProfileUpdated carries for a member are 2, 3, 4, ...
      // without a gap: profile_event_version moves only here, in the transaction that records
      // the event, so a private change that is not announced leaves no trace on the topic.
      if (std::vector<std::string> announced = domain::AnnouncedChanges(changed);
          !announced.empty()) {
        const int64_t version =
            tx.exec_params1(
                  "UPDATE members SET profile_event_version = profile_event_version + 1 "
                  "WHERE member_id = $1 RETURNING profile_event_version",
                  member_id)[0]
                .as<int64_t>();
        events::AppendMemberProfileUpdated(tx, updated, announced, version);
      }
    }
    updated.consents = LoadConsents(tx, member_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return updated;
}

absl::StatusOr<domain::Privacy> MemberStore::UpdatePrivacy(const std::string& member_id,
                                                           const domain::Privacy& privacy) {
  domain::Privacy result;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                   " FROM members m WHERE member_id = $1 AND status = 1 FOR UPDATE",
                               member_id);
    if (rows.empty()) return absl::NotFoundError("no such member");
    HC_ASSIGN_OR_RETURN(Member current, FromRow(rows[0]));
    result = privacy;
    if (current.privacy == privacy) return absl::OkStatus();
    tx.exec_params(
        "UPDATE members SET directory_visibility = $2, visible_fields = $3::smallint[], "
        "celebrate_milestones = $4, hide_name_in_lists = $5, updated_at = now(), "
        "celebrating_since = CASE WHEN $4 THEN coalesce(celebrating_since, now()) END, "
        "version = version + 1 WHERE member_id = $1",
        member_id, static_cast<int>(privacy.visibility),
        IntArray(std::vector<domain::DirectoryField>(privacy.visible_fields.begin(),
                                                     privacy.visible_fields.end())),
        privacy.celebrate_milestones, privacy.hide_name_in_lists);
    events::AppendMemberPrivacyChanged(tx, member_id, privacy);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return result;
}

absl::StatusOr<std::vector<domain::Consent>> MemberStore::UpdateConsent(
    const std::string& member_id, domain::Channel channel, bool granted) {
  std::vector<domain::Consent> consents;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    if (tx.exec_params("SELECT 1 FROM members WHERE member_id = $1 AND status = 1 FOR UPDATE",
                       member_id)
            .empty()) {
      return absl::NotFoundError("no such member");
    }
    // Only a real change moves changed_at and emits an event.
    auto changed = tx.exec_params(
        "INSERT INTO member_consents AS c (member_id, channel, granted) VALUES ($1, $2, $3) "
        "ON CONFLICT (member_id, channel) DO UPDATE SET granted = EXCLUDED.granted, "
        "changed_at = now() WHERE c.granted IS DISTINCT FROM EXCLUDED.granted "
        "RETURNING (extract(epoch FROM changed_at) * 1000)::bigint",
        member_id, static_cast<int>(channel), granted);
    if (!changed.empty()) {
      events::AppendMemberConsentChanged(
          tx, member_id, domain::Consent{channel, granted, changed[0][0].as<int64_t>()});
      tx.exec_params(
          "UPDATE members SET updated_at = now(), version = version + 1 "
          "WHERE member_id = $1",
          member_id);
    }
    consents = LoadConsents(tx, member_id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return consents;
}

absl::StatusOr<DirectoryPage> MemberStore::SearchDirectory(const std::string& name_prefix,
                                                           const std::string& interest,
                                                           int page_size,
                                                           const std::string& after) {
  // The directory is ordered by display-name key (the display name folded by ICU, compared
  // byte by byte), then member_id; the cursor is the last entry's "key\nmember_id". Tokens
  // from before the key (plain lower(), "name\nmember_id") still parse and differ only for
  // names with non-ASCII capitals.
  std::string after_key, after_id;
  if (!after.empty()) {
    auto nl = after.find('\n');
    if (nl == std::string::npos) return hc::InvalidField("page_token", "is not valid");
    after_key = after.substr(0, nl);
    after_id = after.substr(nl + 1);
    if (!domain::IsUuid(after_id)) return hc::InvalidField("page_token", "is not valid");
  }
  std::string like;
  for (char c : domain::NormalizeEmail(name_prefix)) {  // trims (and lower-cases ASCII)
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c;
  }
  like += '%';
  const std::string sql = DirectorySearchSql(like != "%");
  DirectoryPage page;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(sql, like, interest, after_key, after_id, page_size + 1);
    page = DirectoryPage{};  // a retried transaction starts the page again
    std::string last_key;
    for (const auto& row : rows) {
      if (static_cast<int>(page.members.size()) == page_size) break;
      HC_ASSIGN_OR_RETURN(Member m, FromRow(row));
      last_key = row[row.size() - 1].as<std::string>();
      page.members.push_back(std::move(m));
    }
    if (static_cast<int>(rows.size()) > page_size) {
      page.next_after = last_key + "\n" + page.members.back().member_id;
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return page;
}

absl::StatusOr<std::vector<domain::Role>> MemberStore::ChangeRole(
    const std::string& member_id, domain::Role role, bool assign, const std::string& by,
    std::chrono::system_clock::time_point now) {
  std::vector<domain::Role> roles;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT array_to_json(roles)::text FROM members WHERE member_id = $1 AND status = 1 "
        "FOR UPDATE",
        member_id);
    if (rows.empty()) return absl::NotFoundError("no such member");
    auto current = nlohmann::json::parse(rows[0][0].as<std::string>()).get<std::vector<int>>();
    const int value = static_cast<int>(role);
    const bool has = std::find(current.begin(), current.end(), value) != current.end();
    if (assign && !has) current.push_back(value);
    if (!assign && has) current.erase(std::find(current.begin(), current.end(), value));
    std::sort(current.begin(), current.end());
    for (int r : current) roles.push_back(static_cast<domain::Role>(r));
    if (assign == has) return absl::OkStatus();
    tx.exec_params(
        "UPDATE members SET roles = $2::smallint[], updated_at = now(), version = version + 1 "
        "WHERE member_id = $1",
        member_id, IntArray(current));
    events::AppendMemberRoleChanged(tx, member_id, role, assign, by);
    // Tokens minted before carry the old roles: refused from now on, here and (through the
    // fact) in every other service.
    if (!assign) hc::identity::RecordRevocation(tx, member_id, now, /*erased=*/false);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return roles;
}

absl::StatusOr<bool> MemberStore::Delete(const std::string& member_id,
                                         std::chrono::system_clock::time_point now) {
  bool deleted_now = false;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows =
        tx.exec_params("SELECT status FROM members WHERE member_id = $1 FOR UPDATE", member_id);
    if (rows.empty()) return absl::NotFoundError("no such member");
    if (rows[0][0].as<int>() == static_cast<int>(domain::MemberStatus::kDeleted)) {
      return absl::OkStatus();
    }
    // The tombstone keeps the id (so other services' references stay meaningful) and nothing
    // that says who the person was.
    tx.exec_params(
        "UPDATE members SET first_name = '', last_name = '', display_name = '', "
        "email_fingerprint = NULL, email_sealed = NULL, phone_sealed = NULL, program = 0, "
        "program_sealed = NULL, "
        "sobriety_sealed = NULL, interests = '{}', time_zone = '', roles = '{}', "
        "directory_visibility = 1, visible_fields = '{}', celebrate_milestones = false, "
        "celebrating_since = NULL, "
        "hide_name_in_lists = false, status = 2, deleted_at = now(), updated_at = now(), "
        "version = version + 1 WHERE member_id = $1",
        member_id);
    tx.exec_params("DELETE FROM member_consents WHERE member_id = $1", member_id);
    tx.exec_params("DELETE FROM member_milestones WHERE member_id = $1", member_id);
    events::AppendMemberDeleted(tx, member_id);
    // Facts already on Kafka need not be kept here; their payloads (time zone, interests)
    // describe the person. Unsent ones, MemberDeleted included, still go and are deleted then.
    hc::outbox::ForgetSubject(tx, member_id);
    hc::identity::RecordRevocation(tx, member_id, now, /*erased=*/true);
    deleted_now = true;
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return deleted_now;
}

absl::StatusOr<Member> MemberStore::GetContact(const std::string& member_id,
                                               const std::string& accessed_by,
                                               const std::string& purpose) {
  std::optional<Member> found;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_ASSIGN_OR_RETURN(found, LoadActive(tx, member_id));
    if (found) Audit(tx, member_id, accessed_by, purpose, "contact");
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("no such member");
  return *found;
}

absl::StatusOr<domain::Eligibility> MemberStore::CheckEligibility(const std::string& member_id,
                                                                  int min_days,
                                                                  const domain::Date& today,
                                                                  const std::string& accessed_by,
                                                                  const std::string& purpose) {
  domain::Eligibility result = domain::Eligibility::kUnknown;
  bool refused = false;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    refused = false;
    // The row lock serialises the checks of one member, so two replicas can't both let a
    // caller past the distinct-threshold limit (the count and the audit row below commit
    // together under it).
    auto rows = tx.exec_params(
        "SELECT sobriety_sealed FROM members WHERE member_id = $1 AND status = 1 "
        "FOR NO KEY UPDATE",
        member_id);
    if (rows.empty()) return absl::OkStatus();
    std::set<int> asked;
    for (const auto& row : tx.exec_params(
             "SELECT DISTINCT min_sober_days FROM access_audit WHERE member_id = $1 "
             "AND accessed_by = $2 AND what = 'eligibility' AND min_sober_days IS NOT NULL "
             "AND accessed_at > now() - interval '24 hours'",
             member_id, accessed_by)) {
      asked.insert(row[0].as<int>());
    }
    if (!domain::ThresholdAllowed(asked, min_days)) {
      // Refusals are disclosures too: the member sees someone probing in ListDisclosures.
      Audit(tx, member_id, accessed_by, purpose, "eligibility_refused", min_days);
      refused = true;
      return absl::OkStatus();
    }
    std::optional<domain::Date> since;
    if (std::string sealed = Bytes(rows[0][0]); !sealed.empty()) {
      HC_ASSIGN_OR_RETURN(std::string text, keys_.Open(sealed, Ad(member_id, "sobriety_date")));
      since = ParseDate(text);
    }
    result = domain::SoberAtLeast(since, min_days, today);
    Audit(tx, member_id, accessed_by, purpose, "eligibility", min_days);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (refused) {
    spdlog::warn("eligibility of member {}: {} asked about too many thresholds", member_id,
                 accessed_by);
    return absl::ResourceExhaustedError("min_sober_days: at most " +
                                        std::to_string(domain::kMaxDistinctThresholdsPerDay) +
                                        " different thresholds per member in 24 hours");
  }
  return result;
}

absl::StatusOr<std::vector<MemberStore::ListedName>> MemberStore::DisplayNames(
    const std::vector<std::string>& ids) {
  std::vector<ListedName> out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    for (const auto& row :
         tx.exec_params("SELECT member_id::text, display_name, hide_name_in_lists FROM members "
                        "WHERE member_id = ANY($1::uuid[]) AND status = 1",
                        TextArray(ids))) {
      const bool hidden = row[2].as<bool>();
      out.push_back({row[0].as<std::string>(), hidden ? "" : row[1].as<std::string>(), hidden});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::optional<MemberStore::SignInIdentity>> MemberStore::ResolveSignInByEmail(
    const std::string& email) {
  return ResolveSignIn("email_fingerprint = $1", keys_.Fingerprint(domain::NormalizeEmail(email)),
                       true);
}

absl::StatusOr<std::optional<MemberStore::SignInIdentity>> MemberStore::ResolveSignInById(
    const std::string& member_id) {
  return ResolveSignIn("member_id = $1::uuid", member_id, false);
}

absl::StatusOr<std::optional<MemberStore::SignInIdentity>> MemberStore::ResolveSignIn(
    const std::string& where, const std::string& param, bool binary) {
  std::optional<SignInIdentity> found;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    found.reset();
    // status = 1 (active): an erased member keeps a tombstone row but can no longer sign in.
    const std::string sql =
        "SELECT member_id::text, display_name, array_to_json(roles)::text FROM members WHERE " +
        where + " AND status = 1";
    pqxx::result rows = binary ? tx.exec_params(sql, Binary(param)) : tx.exec_params(sql, param);
    if (rows.empty()) return absl::OkStatus();
    SignInIdentity id{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), {}};
    for (int role : nlohmann::json::parse(rows[0][2].as<std::string>()).get<std::vector<int>>()) {
      id.roles.push_back(static_cast<domain::Role>(role));
    }
    found = std::move(id);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return found;
}

absl::Status MemberStore::AuditRefused(const std::vector<std::string>& member_ids,
                                       const std::string& accessed_by, const std::string& what) {
  return pool_.InTransaction([&](Tx& tx) -> absl::Status {
    for (const auto& id : member_ids) Audit(tx, id, accessed_by, "refused", what.c_str());
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<std::string>> MemberStore::ListInterestTags() {
  std::vector<std::string> tags;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    tags.clear();
    for (const auto& row :
         tx.exec("SELECT tag FROM interest_tags WHERE retired_at IS NULL ORDER BY tag")) {
      tags.push_back(row[0].as<std::string>());
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return tags;
}

absl::Status MemberStore::AddInterestTag(const std::string& tag, const std::string& by) {
  return pool_.InTransaction([&](Tx& tx) -> absl::Status {
    // Serialises additions, so the size check below holds under concurrency.
    tx.exec("LOCK TABLE interest_tags IN SHARE ROW EXCLUSIVE MODE");
    auto active = tx.exec1("SELECT count(*) FROM interest_tags WHERE retired_at IS NULL");
    auto existing =
        tx.exec_params("SELECT retired_at IS NULL FROM interest_tags WHERE tag = $1", tag);
    if (!existing.empty() && existing[0][0].as<bool>()) return absl::OkStatus();
    if (active[0].as<size_t>() >= domain::kMaxInterestTags) {
      return absl::FailedPreconditionError("tag: the catalogue holds " +
                                           std::to_string(domain::kMaxInterestTags) +
                                           " tags already; retire some first");
    }
    tx.exec_params(
        "INSERT INTO interest_tags (tag, added_by) VALUES ($1, $2) ON CONFLICT (tag) DO UPDATE "
        "SET retired_at = NULL, added_by = EXCLUDED.added_by, added_at = now()",
        tag, by);
    return absl::OkStatus();
  });
}

absl::Status MemberStore::RetireInterestTag(const std::string& tag) {
  bool found = false;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    found = !tx.exec_params(
                   "UPDATE interest_tags SET retired_at = coalesce(retired_at, now()) "
                   "WHERE tag = $1 RETURNING 1",
                   tag)
                 .empty();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!found) return absl::NotFoundError("tag: no such interest tag");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Disclosure>> MemberStore::ListDisclosures(const std::string& member_id,
                                                                     int page_size,
                                                                     int64_t before_id) {
  std::vector<Disclosure> out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    for (const auto& row : tx.exec_params(
             "SELECT id, accessed_by, purpose, what, "
             "(extract(epoch FROM accessed_at) * 1000)::bigint FROM access_audit "
             "WHERE member_id = $1 AND ($2 = 0 OR id < $2) AND what NOT LIKE 'refused %' "
             "ORDER BY id DESC LIMIT $3",
             member_id, before_id, page_size)) {
      out.push_back({row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                     row[3].as<std::string>(), row[4].as<int64_t>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<int> MemberStore::AnnounceMilestones(std::chrono::system_clock::time_point now) {
  struct Candidate {
    std::string member_id;
    std::string sealed;  // sobriety date, opened here, in the service, never in SQL
    std::string time_zone;
    int64_t celebrating_since_ms = 0;
  };
  std::vector<Candidate> candidates;
  absl::Status status = pool_.InTransaction([&](Tx& tx) {
    candidates.clear();
    for (const auto& row :
         tx.exec("SELECT member_id::text, sobriety_sealed, time_zone, "
                 "(extract(epoch FROM coalesce(celebrating_since, now())) * 1000)::bigint "
                 "FROM members WHERE status = 1 AND celebrate_milestones "
                 "AND sobriety_sealed IS NOT NULL")) {
      candidates.push_back({row[0].as<std::string>(), Bytes(row[1]), row[2].as<std::string>(),
                            row[3].as<int64_t>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  int announced = 0;
  for (const auto& c : candidates) {
    auto text = keys_.Open(c.sealed, Ad(c.member_id, "sobriety_date"));
    if (!text.ok()) continue;
    std::optional<domain::Date> since = ParseDate(*text);
    if (!since) continue;
    // A zone the tz database no longer knows falls back to UTC rather than skipping the member.
    const absl::TimeZone zone = zones_.Load(c.time_zone).value_or(absl::UTCTimeZone());
    const domain::Date opted_in_on = domain::LocalDate(
        std::chrono::system_clock::time_point(std::chrono::milliseconds(c.celebrating_since_ms)),
        zone);
    std::optional<domain::Milestone> due =
        domain::MilestoneDue(*since, opted_in_on, domain::LocalDate(now, zone));
    if (!due) continue;
    status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
      // Still celebrating and still sober since the same day? (A changed date or a changed
      // mind since the scan wins.)
      auto still = tx.exec_params(
          "SELECT 1 FROM members WHERE member_id = $1 AND status = 1 AND "
          "celebrate_milestones AND sobriety_sealed = $2 FOR SHARE",
          c.member_id, Binary(c.sealed));
      if (still.empty()) return absl::OkStatus();
      // The primary key makes each milestone go out once, whatever runs or replicas race.
      auto inserted = tx.exec_params(
          "INSERT INTO member_milestones (member_id, milestone) VALUES ($1, $2) "
          "ON CONFLICT DO NOTHING RETURNING 1",
          c.member_id, due->Key());
      if (inserted.empty()) return absl::OkStatus();
      events::AppendMilestoneReached(tx, c.member_id, *due);
      ++announced;
      return absl::OkStatus();
    });
    if (!status.ok()) return status;
  }
  return announced;
}

}  // namespace membership::storage
