#include "services/notifications/src/storage/interest_store.h"

namespace notifications::storage {
namespace {

// A PostgreSQL text[] literal: every element quoted, so commas, braces and spaces in a tag can't
// change the array's shape.
std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

void InterestStore::ReplaceIn(hc::postgres::Tx& tx, const std::string& member_id,
                              const std::vector<std::string>& tags) {
  tx.exec_params("DELETE FROM member_interests WHERE member_id = $1", member_id);
  if (tags.empty()) return;
  tx.exec_params(
      "INSERT INTO member_interests (member_id, tag) SELECT $1, t FROM unnest($2::text[]) AS t "
      "WHERE t <> '' ON CONFLICT DO NOTHING",
      member_id, TextArray(tags));
}

std::vector<std::string> InterestStore::TagsIn(hc::postgres::Tx& tx, const std::string& member_id) {
  std::vector<std::string> tags;
  for (const auto& row : tx.exec_params(
           "SELECT tag FROM member_interests WHERE member_id = $1 ORDER BY tag", member_id)) {
    tags.push_back(row[0].as<std::string>());
  }
  return tags;
}

std::vector<std::string> InterestStore::RoleSuggestionRecipientsIn(
    hc::postgres::Tx& tx, const std::vector<std::string>& tags) {
  std::vector<std::string> members;
  if (tags.empty()) return members;
  for (const auto& row :
       tx.exec_params("SELECT DISTINCT i.member_id FROM member_interests i "
                      "JOIN preferences p ON p.member_id = i.member_id AND p.role_suggestions "
                      "WHERE i.tag = ANY($1::text[]) ORDER BY i.member_id",
                      TextArray(tags))) {
    members.push_back(row[0].as<std::string>());
  }
  return members;
}

}  // namespace notifications::storage
