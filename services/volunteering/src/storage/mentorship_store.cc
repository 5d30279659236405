// How mentorship stays right under concurrency, at READ COMMITTED:
//
// Lock order, the same on every path (after role_store.cc's member lock, compatible with it):
//   member (libs/identity: shared for the caller's writes; exclusive for an erasure)
//   -> the mentor's mentor_profiles row (FOR UPDATE: accepting a choice)
//   -> the request row (FOR UPDATE: requesting, choosing)
//   -> match rows (FOR UPDATE).
// Capacity invariant: a mentor's active and paused matches never outnumber their capacity.
// Only an accept makes a match active, and it counts the mentor's active and paused matches
// while holding the mentor's profile row, so accepts for one mentor run one after another and
// each sees the ones before it (50 at once for 10 places give 10). Pausing keeps the place;
// nothing else adds to the count. A lower capacity set later applies to new accepts only.
// Choices (status chosen) hold no place: a mentor may have more choices waiting than places,
// and the ranking counts them as load so they are not proposed to everyone at once.
#include "services/volunteering/src/storage/mentorship_store.h"

#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "libs/identity/identity.h"
#include "libs/ids/ids.h"
#include "libs/status/status.h"

namespace volunteering::storage {
namespace {

using hc::postgres::Tx;
using mentorship::Match;
using mentorship::MatchStatus;

std::string TextArray(const std::vector<std::string>& values) {
  // Values are tags (a-z, 0-9, '-'; checked by mentorship::IsTag): no quoting needed.
  return "{" + absl::StrJoin(values, ",") + "}";
}

std::vector<std::string> Split(const std::string& joined) {
  if (joined.empty()) return {};
  return absl::StrSplit(joined, ',');
}

std::string WindowArray(const std::vector<mentorship::WeeklyWindow>& windows) {
  std::vector<std::string> parts;
  for (const auto& w : windows) {
    parts.push_back(absl::StrCat(w.day, ",", w.start_minute, ",", w.end_minute));
  }
  return "{" + absl::StrJoin(parts, ",") + "}";
}

std::vector<mentorship::WeeklyWindow> Windows(const std::string& joined) {
  std::vector<int> n;
  for (auto part : absl::StrSplit(joined, ',', absl::SkipEmpty())) {
    int v = 0;
    if (absl::SimpleAtoi(part, &v)) n.push_back(v);
  }
  std::vector<mentorship::WeeklyWindow> out;
  for (size_t i = 0; i + 2 < n.size(); i += 3) out.push_back({n[i], n[i + 1], n[i + 2]});
  return out;
}

std::string Bytes(const pqxx::field& f) {
  if (f.is_null()) return "";
  pqxx::binarystring b(f);
  return b.str();
}

pqxx::binarystring Binary(const std::string& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }
absl::Time FromMs(int64_t ms) { return absl::FromUnixMillis(ms); }
std::string Epoch(const std::string& column) {
  return "(extract(epoch FROM " + column + ") * 1000)::bigint";
}
std::string MsToTs(const std::string& param) {
  return "to_timestamp(" + param + "::bigint / 1000.0)";
}

std::string Ad(const std::string& member_id, const char* column) {
  return std::string("mentor_profiles.") + column + ":" + member_id;
}

std::string GenderFingerprint(const hc::crypto::DataKeys& keys, const std::string& gender) {
  const std::string normal = mentorship::NormaliseGender(gender);
  return normal.empty() ? "" : keys.Fingerprint("mentorship.gender:" + normal);
}

const std::string kProfileColumns =
    "p.member_id::text, p.capacity, p.accepting, array_to_string(p.programs, ','), "
    "array_to_string(p.interests, ','), array_to_string(p.languages, ','), p.time_zone, "
    "array_to_string(p.windows, ','), p.gender_fingerprint, ";

mentorship::MentorCandidate CandidateFromRow(const pqxx::row& row) {
  return {.member_id = row[0].as<std::string>(),
          .capacity = row[1].as<int>(),
          .load = row[9].as<int>(),
          .accepting = row[2].as<bool>(),
          .programs = Split(row[3].as<std::string>()),
          .interests = Split(row[4].as<std::string>()),
          .languages = Split(row[5].as<std::string>()),
          .availability = {.time_zone = row[6].as<std::string>(),
                           .windows = Windows(row[7].as<std::string>())},
          .gender_fingerprint = Bytes(row[8])};
}

const std::string kMatchColumns =
    "m.match_id::text, m.request_id::text, m.mentor_id::text, m.mentee_id::text, m.status, " +
    Epoch("m.respond_by") + ", " + Epoch("m.created_at") + ", " + Epoch("m.started_at");

Match MatchFromRow(const pqxx::row& row) {
  Match m{.match_id = row[0].as<std::string>(),
          .request_id = row[1].as<std::string>(),
          .mentor_id = row[2].as<std::string>(),
          .mentee_id = row[3].as<std::string>(),
          .status = static_cast<MatchStatus>(row[4].as<int>()),
          .respond_by = FromMs(row[5].as<int64_t>()),
          .created_at = FromMs(row[6].as<int64_t>())};
  if (!row[7].is_null()) m.started_at = FromMs(row[7].as<int64_t>());
  return m;
}

std::optional<Match> LockMatch(Tx& tx, const std::string& match_id) {
  auto rows = tx.exec_params(
      "SELECT " + kMatchColumns + " FROM mentorship_matches m WHERE m.match_id = $1 FOR UPDATE",
      match_id);
  if (rows.empty()) return std::nullopt;
  return MatchFromRow(rows[0]);
}

std::vector<mentorship::Proposal> LoadProposals(Tx& tx, const std::string& request_id) {
  std::vector<mentorship::Proposal> out;
  for (const auto& row : tx.exec_params(
           "SELECT mentor_id::text, array_to_string(score, ',') FROM mentorship_proposals "
           "WHERE request_id = $1 ORDER BY rank",
           request_id)) {
    std::vector<int> s;
    for (auto part : absl::StrSplit(row[1].as<std::string>(), ',')) {
      int v = 0;
      s.push_back(absl::SimpleAtoi(part, &v) ? v : 0);
    }
    s.resize(8);
    out.push_back({row[0].as<std::string>(),
                   {.shared_programs = s[0],
                    .shared_interests = s[1],
                    .overlap_minutes = s[2],
                    .focus_points = s[3],
                    .interest_points = s[4],
                    .overlap_points = s[5],
                    .load_points = s[6],
                    .total = s[7]}});
  }
  return out;
}

}  // namespace

absl::StatusOr<MentorProfileRecord> MentorshipStore::UpsertProfile(
    const MentorProfileRecord& profile, absl::Time now) {
  const auto& m = profile.mentor;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, m.member_id));
    const std::string intro =
        profile.introduction.empty()
            ? ""
            : keys_.Seal(profile.introduction, Ad(m.member_id, "introduction"));
    const std::string gender =
        profile.gender.empty() ? "" : keys_.Seal(profile.gender, Ad(m.member_id, "gender"));
    tx.exec_params(
        "INSERT INTO mentor_profiles (member_id, capacity, accepting, programs, interests, "
        "languages, time_zone, windows, introduction, gender, gender_fingerprint, updated_at, "
        "share_email, share_phone) "
        "VALUES ($1, $2, $3, $4::text[], $5::text[], $6::text[], $7, $8::integer[], "
        "NULLIF($9, ''::bytea), NULLIF($10, ''::bytea), NULLIF($11, ''::bytea), " +
            MsToTs("$12") +
            ", $13, $14) ON CONFLICT (member_id) DO UPDATE SET capacity = EXCLUDED.capacity, "
            "share_email = EXCLUDED.share_email, share_phone = EXCLUDED.share_phone, "
            "accepting = EXCLUDED.accepting, programs = EXCLUDED.programs, "
            "interests = EXCLUDED.interests, languages = EXCLUDED.languages, "
            "time_zone = EXCLUDED.time_zone, windows = EXCLUDED.windows, "
            "introduction = EXCLUDED.introduction, gender = EXCLUDED.gender, "
            "gender_fingerprint = EXCLUDED.gender_fingerprint, updated_at = EXCLUDED.updated_at",
        m.member_id, m.capacity, m.accepting, TextArray(m.programs), TextArray(m.interests),
        TextArray(m.languages), m.availability.time_zone, WindowArray(m.availability.windows),
        Binary(intro), Binary(gender), Binary(GenderFingerprint(keys_, profile.gender)), Ms(now),
        profile.share_contact.email, profile.share_contact.phone);
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return GetProfile(m.member_id);
}

absl::StatusOr<MentorProfileRecord> MentorshipStore::GetProfile(const std::string& member_id) {
  MentorProfileRecord out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto rows = tx.exec_params(
        "SELECT " + kProfileColumns +
            "(SELECT count(*) FROM mentorship_matches x WHERE x.mentor_id = p.member_id AND "
            "x.status IN (2, 6))::int, p.introduction, p.gender, " +
            Epoch("p.updated_at") +
            ", p.share_email, p.share_phone FROM mentor_profiles p WHERE p.member_id = $1",
        member_id);
    if (rows.empty()) return absl::NotFoundError("no mentor profile");
    out.mentor = CandidateFromRow(rows[0]);
    if (auto sealed = Bytes(rows[0][10]); !sealed.empty()) {
      HC_ASSIGN_OR_RETURN(out.introduction, keys_.Open(sealed, Ad(member_id, "introduction")));
    }
    if (auto sealed = Bytes(rows[0][11]); !sealed.empty()) {
      HC_ASSIGN_OR_RETURN(out.gender, keys_.Open(sealed, Ad(member_id, "gender")));
    }
    out.updated_at = FromMs(rows[0][12].as<int64_t>());
    out.share_contact = {.email = rows[0][13].as<bool>(), .phone = rows[0][14].as<bool>()};
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<RequestResult> MentorshipStore::Request(mentorship::MenteeRequest request,
                                                       const std::string& gender, absl::Time now) {
  RequestResult out;
  request.gender_fingerprint = GenderFingerprint(keys_, gender);
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    const std::string& mentee = request.member_id;
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, mentee));
    if (!tx.exec_params("SELECT 1 FROM mentorship_matches WHERE mentee_id = $1 AND status IN "
                        "(1, 2, 6)",
                        mentee)
             .empty()) {
      return absl::FailedPreconditionError(
          "you have a mentor or a choice awaiting an answer; end it first");
    }
    tx.exec_params("UPDATE mentorship_requests SET status = 3 WHERE mentee_id = $1 AND status = 1",
                   mentee);
    request.blocked.clear();
    for (const auto& row : tx.exec_params(
             "SELECT blocked_id::text FROM mentorship_blocks WHERE blocker_id = $1 UNION "
             "SELECT blocker_id::text FROM mentorship_blocks WHERE blocked_id = $1",
             mentee)) {
      request.blocked.insert(row[0].as<std::string>());
    }
    // Only what can pass the cheap filters is read: accepting, speaking the language, room.
    std::vector<mentorship::MentorCandidate> candidates;
    for (const auto& row : tx.exec_params(
             "SELECT " + kProfileColumns +
                 "(SELECT count(*) FROM mentorship_matches x WHERE x.mentor_id = p.member_id AND "
                 "x.status IN (1, 2, 6))::int AS load FROM mentor_profiles p WHERE p.accepting "
                 "AND $1 = ANY (p.languages) AND p.member_id <> $2",
             request.language, mentee)) {
      candidates.push_back(CandidateFromRow(row));
    }
    out.proposals = mentorship::Rank(request, candidates, now, zones_);
    out.request_id = hc::ids::NewUuid();
    tx.exec_params(
        "INSERT INTO mentorship_requests (request_id, mentee_id, status, programs, interests, "
        "language, time_zone, windows, same_gender, created_at, share_email, share_phone) "
        "VALUES ($1, $2, 1, $3::text[], $4::text[], $5, $6, $7::integer[], $8, " +
            MsToTs("$9") + ", $10, $11)",
        out.request_id, mentee, TextArray(request.programs), TextArray(request.interests),
        request.language, request.availability.time_zone, WindowArray(request.availability.windows),
        request.same_gender, Ms(now), request.share_contact.email, request.share_contact.phone);
    facts_.Requested(tx, out.request_id, mentee, static_cast<int>(out.proposals.size()), now);
    for (size_t i = 0; i < out.proposals.size(); ++i) {
      const auto& p = out.proposals[i];
      const auto& s = p.score;
      tx.exec_params(
          "INSERT INTO mentorship_proposals (request_id, rank, mentor_id, score) VALUES ($1, $2, "
          "$3, ARRAY[$4, $5, $6, $7, $8, $9, $10, $11]::integer[])",
          out.request_id, static_cast<int>(i + 1), p.mentor_id, s.shared_programs,
          s.shared_interests, s.overlap_minutes, s.focus_points, s.interest_points,
          s.overlap_points, s.load_points, s.total);
      facts_.Proposed(tx, out.request_id, mentee, p, static_cast<int>(i + 1));
    }
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<Match> MentorshipStore::Choose(const std::string& mentee_id,
                                              const std::string& request_id,
                                              const std::string& mentor_id, absl::Time now,
                                              absl::Time respond_by) {
  Match out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, mentee_id));
    auto req = tx.exec_params(
        "SELECT status FROM mentorship_requests WHERE request_id = $1 AND mentee_id = $2 "
        "FOR UPDATE",
        request_id, mentee_id);
    if (req.empty()) return absl::NotFoundError("no such request of yours");
    if (req[0][0].as<int>() != 1) {
      return absl::FailedPreconditionError("the request is no longer open");
    }
    if (auto live = tx.exec_params("SELECT " + kMatchColumns +
                                       " FROM mentorship_matches m WHERE m.request_id = $1 AND "
                                       "m.status IN (1, 2, 6)",
                                   request_id);
        !live.empty()) {
      Match existing = MatchFromRow(live[0]);
      if (existing.mentor_id == mentor_id) {
        out = existing;  // the same choice again
        return absl::OkStatus();
      }
      return absl::FailedPreconditionError(
          "you already chose a mentor for this request; wait for their answer");
    }
    if (tx.exec_params("SELECT 1 FROM mentorship_proposals WHERE request_id = $1 AND "
                       "mentor_id = $2",
                       request_id, mentor_id)
            .empty()) {
      return hc::InvalidField("mentor_id", "is not one of this request's proposals");
    }
    if (!tx.exec_params("SELECT 1 FROM mentorship_matches WHERE request_id = $1 AND "
                        "mentor_id = $2 AND status IN (3, 4)",
                        request_id, mentor_id)
             .empty()) {
      return absl::FailedPreconditionError("this mentor already declined or did not answer");
    }
    out = {.match_id = hc::ids::NewUuid(),
           .request_id = request_id,
           .mentor_id = mentor_id,
           .mentee_id = mentee_id,
           .status = MatchStatus::kChosen,
           .respond_by = respond_by,
           .created_at = now};
    tx.exec_params(
        "INSERT INTO mentorship_matches (match_id, request_id, mentor_id, mentee_id, status, "
        "respond_by, created_at, last_activity_at) VALUES ($1, $2, $3, $4, 1, " +
            MsToTs("$5") + ", " + MsToTs("$6") + ", " + MsToTs("$6") + ")",
        out.match_id, request_id, mentor_id, mentee_id, Ms(respond_by), Ms(now));
    facts_.Chosen(tx, out);
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<RespondResult> MentorshipStore::Respond(const std::string& mentor_id,
                                                       const std::string& match_id, bool accept,
                                                       absl::Time now) {
  RespondResult out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    out.status = absl::OkStatus();
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, mentor_id));
    auto profile = tx.exec_params(
        "SELECT capacity, share_email, share_phone FROM mentor_profiles WHERE member_id = $1 "
        "FOR UPDATE",
        mentor_id);
    auto match = LockMatch(tx, match_id);
    if (!match || match->mentor_id != mentor_id) {
      return absl::NotFoundError("no such request to you");
    }
    out.match = *match;
    if (match->status != MatchStatus::kChosen) {
      const bool same = accept ? match->HoldsPlace() : match->status == MatchStatus::kDeclined;
      if (!same) out.status = absl::FailedPreconditionError("this request was already answered");
      return absl::OkStatus();
    }
    if (now > match->respond_by) {
      tx.exec_params("UPDATE mentorship_matches SET status = 4, ended_at = " + MsToTs("$2") +
                         " WHERE match_id = $1",
                     match_id, Ms(now));
      out.match.status = MatchStatus::kExpired;
      facts_.Lapsed(tx, out.match, /*expired=*/true, now);
      out.status = absl::FailedPreconditionError("the time to answer this request has passed");
      return absl::OkStatus();
    }
    if (!accept) {
      tx.exec_params("UPDATE mentorship_matches SET status = 3, ended_at = " + MsToTs("$2") +
                         " WHERE match_id = $1",
                     match_id, Ms(now));
      out.match.status = MatchStatus::kDeclined;
      facts_.Lapsed(tx, out.match, /*expired=*/false, now);
      return absl::OkStatus();
    }
    if (profile.empty()) {
      out.status = absl::FailedPreconditionError("you have no mentor profile");
      return absl::OkStatus();
    }
    // Counted under the profile row's lock (see the top).
    const int taken = tx.exec_params1(
                            "SELECT count(*)::int FROM mentorship_matches WHERE "
                            "mentor_id = $1 AND status IN (2, 6)",
                            mentor_id)[0]
                          .as<int>();
    if (taken >= profile[0][0].as<int>()) {
      out.status = absl::FailedPreconditionError(
          "all your places are taken; end a mentorship or raise your capacity first");
      return absl::OkStatus();
    }
    tx.exec_params("UPDATE mentorship_matches SET status = 2, started_at = " + MsToTs("$2") +
                       ", last_activity_at = " + MsToTs("$2") + " WHERE match_id = $1",
                   match_id, Ms(now));
    const auto request = tx.exec_params1(
        "UPDATE mentorship_requests SET status = 2 WHERE request_id = $1 RETURNING share_email, "
        "share_phone",
        match->request_id);
    out.match.status = MatchStatus::kActive;
    out.match.started_at = now;
    // Each party's choice as it stands when the match starts (a later change to the profile
    // does not reach an introduction already sent).
    facts_.Started(tx, out.match, {.email = request[0].as<bool>(), .phone = request[1].as<bool>()},
                   {.email = profile[0][1].as<bool>(), .phone = profile[0][2].as<bool>()});
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<MyMentorship> MentorshipStore::Mine(const std::string& member_id) {
  MyMentorship out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    for (const auto& row : tx.exec_params(
             "SELECT " + kMatchColumns +
                 " FROM mentorship_matches m WHERE (m.mentee_id = $1 OR m.mentor_id = $1) AND "
                 "m.status IN (1, 2, 6) ORDER BY m.created_at, m.match_id",
             member_id)) {
      Match m = MatchFromRow(row);
      if (m.mentee_id == member_id) {
        if (m.status == MatchStatus::kActive) {
          auto intro = tx.exec_params(
              "SELECT introduction FROM mentor_profiles WHERE member_id = $1", m.mentor_id);
          if (!intro.empty() && !intro[0][0].is_null()) {
            auto opened = keys_.Open(Bytes(intro[0][0]), Ad(m.mentor_id, "introduction"));
            if (opened.ok()) out.introductions[m.mentor_id] = *opened;
          }
        }
        out.as_mentee.push_back(std::move(m));
      } else {
        out.as_mentor.push_back(std::move(m));
      }
    }
    auto open = tx.exec_params(
        "SELECT request_id::text FROM mentorship_requests WHERE mentee_id = $1 AND status = 1",
        member_id);
    if (!open.empty()) {
      out.open_request_id = open[0][0].as<std::string>();
      out.open_proposals = LoadProposals(tx, out.open_request_id);
    }
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<Match> MentorshipStore::End(const std::string& member_id,
                                           const std::string& match_id,
                                           mentorship::EndReason reason, absl::Time now) {
  Match out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    auto match = LockMatch(tx, match_id);
    if (!match || (match->mentor_id != member_id && match->mentee_id != member_id)) {
      return absl::NotFoundError("no such mentorship of yours");
    }
    out = *match;
    if (!match->Live()) return absl::OkStatus();
    tx.exec_params("UPDATE mentorship_matches SET status = 5, ended_at = " + MsToTs("$2") +
                       ", end_reason = $3 WHERE match_id = $1",
                   match_id, Ms(now), static_cast<int>(reason));
    out.status = MatchStatus::kEnded;
    facts_.Ended(tx, out, reason, now, /*left=*/"", /*ended_by=*/member_id);
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

void MentorshipStore::EraseMemberIn(Tx& tx, const std::string& member_id, absl::Time now) {
  for (const auto& row : tx.exec_params(
           "SELECT " + kMatchColumns +
               " FROM mentorship_matches m WHERE (m.mentee_id = $1 OR m.mentor_id = $1) AND "
               "m.status IN (1, 2, 6) ORDER BY m.match_id FOR UPDATE",
           member_id)) {
    facts_.Ended(tx, MatchFromRow(row), mentorship::EndReason::kMemberLeft, now, member_id);
  }
  // The other party's requests whose match goes may be asked again (status 3 frees nothing
  // else: a new request is always allowed once no match is live).
  tx.exec_params(
      "UPDATE mentorship_requests SET status = 3 WHERE status = 2 AND request_id IN (SELECT "
      "request_id FROM mentorship_matches WHERE mentor_id = $1)",
      member_id);
  tx.exec_params("DELETE FROM mentorship_matches WHERE mentor_id = $1 OR mentee_id = $1",
                 member_id);
  tx.exec_params("DELETE FROM mentorship_requests WHERE mentee_id = $1", member_id);
  tx.exec_params("DELETE FROM mentorship_proposals WHERE mentor_id = $1", member_id);
  tx.exec_params("DELETE FROM mentorship_check_ins WHERE author_id = $1", member_id);
  tx.exec_params("DELETE FROM mentorship_blocks WHERE blocker_id = $1 OR blocked_id = $1",
                 member_id);
  tx.exec_params("DELETE FROM mentor_profiles WHERE member_id = $1", member_id);
}

}  // namespace volunteering::storage

namespace volunteering::storage {
namespace {

std::string NoteAd(const std::string& check_in_id) {
  return "mentorship_check_ins.note:" + check_in_id;
}

absl::CivilDay ParseDay(const std::string& iso) {
  absl::CivilDay day;
  absl::ParseCivilTime(iso, &day);
  return day;
}

}  // namespace

absl::StatusOr<CheckIn> MentorshipStore::LogCheckIn(const std::string& member_id,
                                                    const std::string& match_id,
                                                    absl::CivilDay held_on, const std::string& note,
                                                    absl::Time now) {
  CheckIn out{.check_in_id = hc::ids::NewUuid(),
              .match_id = match_id,
              .author_id = member_id,
              .held_on = held_on,
              .note = note,
              .created_at = now};
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    auto match = LockMatch(tx, match_id);
    if (!match || (match->mentor_id != member_id && match->mentee_id != member_id)) {
      return absl::NotFoundError("no such mentorship of yours");
    }
    if (!match->HoldsPlace()) {
      return absl::FailedPreconditionError("check-ins are logged on a mentorship going on");
    }
    const std::string sealed = note.empty() ? "" : keys_.Seal(note, NoteAd(out.check_in_id));
    tx.exec_params(
        "INSERT INTO mentorship_check_ins (check_in_id, match_id, author_id, held_on, "
        "note, created_at) VALUES ($1, $2, $3, $4::date, NULLIF($5, ''::bytea), " +
            MsToTs("$6") + ")",
        out.check_in_id, match_id, member_id, absl::FormatCivilTime(held_on), Binary(sealed),
        Ms(now));
    // A check-in restarts the quiet spell and allows the next reminder.
    tx.exec_params("UPDATE mentorship_matches SET last_activity_at = greatest(last_activity_at, " +
                       MsToTs("$2") + "), check_in_due_at = NULL WHERE match_id = $1",
                   match_id, Ms(now));
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<std::vector<CheckIn>> MentorshipStore::ListCheckIns(const std::string& member_id,
                                                                   const std::string& match_id) {
  std::vector<CheckIn> out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto match = tx.exec_params(
        "SELECT 1 FROM mentorship_matches WHERE match_id = $1 AND (mentor_id = $2 OR "
        "mentee_id = $2)",
        match_id, member_id);
    if (match.empty()) return absl::NotFoundError("no such mentorship of yours");
    for (const auto& row : tx.exec_params(
             "SELECT check_in_id::text, author_id::text, held_on::text, note, " +
                 Epoch("created_at") +
                 " FROM mentorship_check_ins WHERE match_id = $1 ORDER BY held_on, created_at",
             match_id)) {
      CheckIn c{.check_in_id = row[0].as<std::string>(),
                .match_id = match_id,
                .author_id = row[1].as<std::string>(),
                .held_on = ParseDay(row[2].as<std::string>()),
                .created_at = FromMs(row[4].as<int64_t>())};
      if (c.author_id == member_id && !row[3].is_null()) {
        HC_ASSIGN_OR_RETURN(c.note, keys_.Open(Bytes(row[3]), NoteAd(c.check_in_id)));
      }
      out.push_back(std::move(c));
    }
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<Match> MentorshipStore::ReportConcern(const std::string& member_id,
                                                     const std::string& match_id, int category,
                                                     bool block, absl::Time now) {
  Match out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    HC_RETURN_IF_ERROR(hc::identity::LockMemberForWrite(tx, member_id));
    auto match = LockMatch(tx, match_id);
    if (!match || (match->mentor_id != member_id && match->mentee_id != member_id)) {
      return absl::NotFoundError("no such mentorship of yours");
    }
    out = *match;
    if (match->status == MatchStatus::kActive) {
      tx.exec_params("UPDATE mentorship_matches SET status = 6 WHERE match_id = $1", match_id);
      out.status = MatchStatus::kPaused;
    } else if (match->status == MatchStatus::kChosen) {
      tx.exec_params("UPDATE mentorship_matches SET status = 5, ended_at = " + MsToTs("$2") +
                         ", end_reason = 4 WHERE match_id = $1",
                     match_id, Ms(now));
      out.status = MatchStatus::kEnded;
      facts_.Ended(tx, out, mentorship::EndReason::kOther, now);
    }
    if (block) {
      const std::string& other =
          match->mentor_id == member_id ? match->mentee_id : match->mentor_id;
      tx.exec_params(
          "INSERT INTO mentorship_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, " +
              MsToTs("$3") + ") ON CONFLICT DO NOTHING",
          member_id, other, Ms(now));
    }
    const std::string concern_id = hc::ids::NewUuid();
    tx.exec_params(
        "INSERT INTO mentorship_concerns (concern_id, match_id, category, created_at) "
        "VALUES ($1, $2, $3, " +
            MsToTs("$4") + ")",
        concern_id, match_id, category, Ms(now));
    facts_.ConcernReported(tx, match_id, concern_id, category, block, now);
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<MentorshipOverview> MentorshipStore::Overview(absl::Time now) {
  MentorshipOverview out;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    auto p = tx.exec1(
        "SELECT count(*)::int, count(*) FILTER (WHERE accepting)::int, "
        "coalesce(sum(capacity) FILTER (WHERE accepting), 0)::int FROM mentor_profiles");
    out.mentors = p[0].as<int>();
    out.accepting_mentors = p[1].as<int>();
    out.places = p[2].as<int>();
    auto m = tx.exec1(
        "SELECT count(*) FILTER (WHERE status = 2)::int, count(*) FILTER (WHERE status = 6)::int, "
        "count(*) FILTER (WHERE status = 1)::int FROM mentorship_matches WHERE status IN (1, 2, "
        "6)");
    out.active = m[0].as<int>();
    out.paused = m[1].as<int>();
    out.awaiting_answer = m[2].as<int>();
    auto r = tx.exec_params1("SELECT count(*)::int, count(*) FILTER (WHERE created_at < " +
                                 MsToTs("$1") + ")::int FROM mentorship_requests WHERE status = 1",
                             Ms(now - absl::Hours(24 * 7)));
    out.open_requests = r[0].as<int>();
    out.open_requests_older_than_week = r[1].as<int>();
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return out;
}

absl::StatusOr<int> MentorshipStore::ExpireChoices(absl::Time now, int batch) {
  int n = 0;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    n = 0;
    for (const auto& row : tx.exec_params(
             "SELECT " + kMatchColumns + " FROM mentorship_matches m WHERE m.status = 1 AND " +
                 "m.respond_by < " + MsToTs("$1") +
                 " ORDER BY m.respond_by LIMIT $2 FOR UPDATE SKIP LOCKED",
             Ms(now), batch)) {
      Match m = MatchFromRow(row);
      tx.exec_params("UPDATE mentorship_matches SET status = 4, ended_at = " + MsToTs("$2") +
                         " WHERE match_id = $1",
                     m.match_id, Ms(now));
      m.status = MatchStatus::kExpired;
      facts_.Lapsed(tx, m, /*expired=*/true, now);
      ++n;
    }
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return n;
}

absl::StatusOr<int> MentorshipStore::MarkCheckInsDue(absl::Time now, absl::Duration quiet,
                                                     int batch) {
  int n = 0;
  absl::Status status = pool_.InTransaction([&](Tx& tx) -> absl::Status {
    n = 0;
    for (const auto& row : tx.exec_params(
             "SELECT " + kMatchColumns + ", " + Epoch("m.last_activity_at") +
                 " FROM mentorship_matches m WHERE m.status = 2 AND m.check_in_due_at IS NULL "
                 "AND m.last_activity_at < " +
                 MsToTs("$1") + " ORDER BY m.last_activity_at LIMIT $2 FOR UPDATE SKIP LOCKED",
             Ms(now - quiet), batch)) {
      Match m = MatchFromRow(row);
      tx.exec_params("UPDATE mentorship_matches SET check_in_due_at = " + MsToTs("$2") +
                         " WHERE match_id = $1",
                     m.match_id, Ms(now));
      facts_.CheckInDue(tx, m, FromMs(row[8].as<int64_t>()));
      ++n;
    }
    return absl::OkStatus();
  });
  HC_RETURN_IF_ERROR(status);
  return n;
}

}  // namespace volunteering::storage
