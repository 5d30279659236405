#include "services/volunteering/src/api/mentorship_service.h"

#include <google/protobuf/util/time_util.h>

#include "libs/ids/ids.h"
#include "libs/status/status.h"
#include "services/volunteering/src/domain/volunteering.h"

namespace volunteering::api {
namespace {

// A mentor needs a year of sobriety, as membership counts it (the date stays there).
constexpr int kMentorSoberDays = 365;
constexpr size_t kMaxIntroduction = 1000;
constexpr size_t kMaxGender = 60;
constexpr size_t kMaxNote = 2000;

google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(absl::ToUnixMillis(t));
}

absl::Status CheckId(const char* field, const std::string& id) {
  if (!hc::ids::IsUuid(id)) return hc::InvalidField(field, "must be a UUID");
  return absl::OkStatus();
}

std::vector<std::string> List(const google::protobuf::RepeatedPtrField<std::string>& from) {
  return {from.begin(), from.end()};
}

absl::Status CheckTags(const char* field, const std::vector<std::string>& values) {
  if (values.size() > mentorship::kMaxTags) return hc::InvalidField(field, "at most 10");
  for (const auto& v : values) {
    if (!mentorship::IsTag(v)) {
      return hc::InvalidField(field, "each must be 1 to 40 of a-z, 0-9 and '-'");
    }
  }
  return absl::OkStatus();
}

mentorship::Availability FromProto(const pb::Availability& a) {
  mentorship::Availability out{.time_zone = a.time_zone()};
  for (const auto& w : a.windows())
    out.windows.push_back({w.day(), w.start_minute(), w.end_minute()});
  return out;
}

void ToProto(const mentorship::Availability& a, pb::Availability& out) {
  out.set_time_zone(a.time_zone);
  for (const auto& w : a.windows) {
    auto* o = out.add_windows();
    o->set_day(w.day);
    o->set_start_minute(w.start_minute);
    o->set_end_minute(w.end_minute);
  }
}

void ToProto(const storage::MentorProfileRecord& p, pb::MentorProfile& out) {
  const auto& m = p.mentor;
  out.set_member_id(m.member_id);
  out.set_capacity(m.capacity);
  out.set_accepting(m.accepting);
  for (const auto& v : m.programs) out.add_programs(v);
  for (const auto& v : m.interests) out.add_interests(v);
  for (const auto& v : m.languages) out.add_languages(v);
  ToProto(m.availability, *out.mutable_availability());
  out.set_introduction(p.introduction);
  out.set_gender(p.gender);
  out.set_active_mentees(m.load);
  *out.mutable_updated_at() = Ts(p.updated_at);
  out.mutable_share_contact()->set_email(p.share_contact.email);
  out.mutable_share_contact()->set_phone(p.share_contact.phone);
}

mentorship::ContactSharing FromProto(const pb::ShareContact& s) {
  return {.email = s.email(), .phone = s.phone()};
}

void ToProto(const mentorship::ScoreBreakdown& s, pb::ScoreBreakdown& out) {
  out.set_shared_programs(s.shared_programs);
  out.set_shared_interests(s.shared_interests);
  out.set_overlap_minutes(s.overlap_minutes);
  out.set_focus_points(s.focus_points);
  out.set_interest_points(s.interest_points);
  out.set_overlap_points(s.overlap_points);
  out.set_load_points(s.load_points);
  out.set_total(s.total);
}

void ToProto(const mentorship::Match& m, pb::Match& out) {
  out.set_match_id(m.match_id);
  out.set_request_id(m.request_id);
  out.set_mentor_id(m.mentor_id);
  out.set_mentee_id(m.mentee_id);
  out.set_status(static_cast<pb::MatchStatus>(m.status));
  *out.mutable_respond_by() = Ts(m.respond_by);
  if (m.started_at != absl::InfinitePast()) *out.mutable_started_at() = Ts(m.started_at);
}

// Proposals with display names when membership answers.
void ProposalsToProto(const std::vector<mentorship::Proposal>& proposals,
                      const absl::StatusOr<std::map<std::string, members::DisplayName>>& names,
                      google::protobuf::RepeatedPtrField<pb::Proposal>& out) {
  for (size_t i = 0; i < proposals.size(); ++i) {
    auto* p = out.Add();
    p->set_rank(static_cast<int>(i + 1));
    p->set_mentor_id(proposals[i].mentor_id);
    ToProto(proposals[i].score, *p->mutable_score());
    if (!names.ok()) continue;
    if (auto found = names->find(proposals[i].mentor_id); found != names->end()) {
      p->set_display_name(found->second.hidden ? "" : found->second.name);
    }
  }
}

absl::StatusOr<std::map<std::string, members::DisplayName>> NamesOf(
    members::DisplayNames& names, const std::vector<mentorship::Proposal>& proposals) {
  std::vector<std::string> ids;
  for (const auto& p : proposals) ids.push_back(p.mentor_id);
  if (ids.empty()) return std::map<std::string, members::DisplayName>{};
  return names.Get(ids);
}

void ToProto(const storage::CheckIn& c, pb::CheckIn& out) {
  out.set_check_in_id(c.check_in_id);
  out.set_match_id(c.match_id);
  out.set_author_id(c.author_id);
  out.set_held_on(absl::FormatCivilTime(c.held_on));
  out.set_note(c.note);
  *out.mutable_created_at() = Ts(c.created_at);
}

}  // namespace

MentorshipService::MentorshipService(hc::grpc_server::UnaryRunner& runner,
                                     storage::MentorshipStore& store,
                                     const hc::tz::SystemTimeZones& zones,
                                     members::Eligibility& eligibility,
                                     members::DisplayNames& names, Options options, Clock clock)
    : runner_(runner),
      store_(store),
      zones_(zones),
      eligibility_(eligibility),
      names_(names),
      options_(options),
      clock_(std::move(clock)) {}

HC_UNARY_RPC(MentorshipService, UpsertMentorProfile, DoUpsert(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, GetMentorProfile, DoGetProfile(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, RequestMentor, DoRequest(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, ChooseMentor, DoChoose(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, RespondToRequest, DoRespond(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, GetMyMentorship, DoMine(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, EndMentorship, DoEnd(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, LogCheckIn, DoLogCheckIn(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, ListCheckIns, DoListCheckIns(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, ReportConcern, DoReportConcern(caller, rq, rs))
HC_UNARY_RPC(MentorshipService, GetMentorshipOverview, DoOverview(caller, rq, rs))

absl::Time MentorshipService::Now() const { return absl::FromChrono(clock_()); }

absl::Status MentorshipService::DoUpsert(const hc::auth::Principal& caller,
                                         const pb::UpsertMentorProfileRequest& req,
                                         pb::UpsertMentorProfileResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  if (!caller.HasRole(hc::auth::kRolePeerMentor)) {
    return absl::PermissionDeniedError("only members holding PEER_MENTOR offer mentorship");
  }
  const pb::MentorProfile& p = req.profile();
  storage::MentorProfileRecord record{.mentor = {.member_id = member_id,
                                                 .capacity = p.capacity(),
                                                 .accepting = p.accepting(),
                                                 .programs = List(p.programs()),
                                                 .interests = List(p.interests()),
                                                 .languages = List(p.languages()),
                                                 .availability = FromProto(p.availability())},
                                      .introduction = p.introduction(),
                                      .gender = p.gender(),
                                      .share_contact = FromProto(p.share_contact())};
  HC_RETURN_IF_ERROR(
      mentorship::ValidateProfileShape(record.mentor.capacity, record.mentor.programs,
                                       record.mentor.interests, record.mentor.languages));
  HC_RETURN_IF_ERROR(
      mentorship::ValidateAvailability(record.mentor.availability, zones_, "availability"));
  if (record.introduction.size() > kMaxIntroduction) {
    return hc::InvalidField("introduction", "at most 1000 characters");
  }
  if (record.gender.size() > kMaxGender) return hc::InvalidField("gender", "at most 60 characters");
  // Asked before the transaction: no lock is held while membership answers.
  HC_RETURN_IF_ERROR(eligibility_.Check(member_id, kMentorSoberDays));
  HC_ASSIGN_OR_RETURN(storage::MentorProfileRecord saved, store_.UpsertProfile(record, Now()));
  ToProto(saved, *resp.mutable_profile());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoGetProfile(const hc::auth::Principal& caller,
                                             const pb::GetMentorProfileRequest&,
                                             pb::GetMentorProfileResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_ASSIGN_OR_RETURN(storage::MentorProfileRecord saved, store_.GetProfile(member_id));
  ToProto(saved, *resp.mutable_profile());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoRequest(const hc::auth::Principal& caller,
                                          const pb::RequestMentorRequest& req,
                                          pb::RequestMentorResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  mentorship::MenteeRequest request{.member_id = member_id,
                                    .programs = List(req.programs()),
                                    .interests = List(req.interests()),
                                    .language = req.language(),
                                    .availability = FromProto(req.availability()),
                                    .same_gender = req.same_gender(),
                                    .share_contact = FromProto(req.share_contact())};
  HC_RETURN_IF_ERROR(CheckTags("programs", request.programs));
  HC_RETURN_IF_ERROR(CheckTags("interests", request.interests));
  if (!mentorship::IsTag(request.language)) {
    return hc::InvalidField("language", "must be a language code such as en");
  }
  HC_RETURN_IF_ERROR(
      mentorship::ValidateAvailability(request.availability, zones_, "availability"));
  if (req.gender().size() > kMaxGender) return hc::InvalidField("gender", "at most 60 characters");
  if (request.same_gender && mentorship::NormaliseGender(req.gender()).empty()) {
    return hc::InvalidField("gender", "is needed to ask for a mentor of your own gender");
  }
  HC_ASSIGN_OR_RETURN(storage::RequestResult result,
                      store_.Request(request, request.same_gender ? req.gender() : "", Now()));
  resp.set_request_id(result.request_id);
  ProposalsToProto(result.proposals, NamesOf(names_, result.proposals), *resp.mutable_proposals());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoChoose(const hc::auth::Principal& caller,
                                         const pb::ChooseMentorRequest& req,
                                         pb::ChooseMentorResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("request_id", req.request_id()));
  HC_RETURN_IF_ERROR(CheckId("mentor_id", req.mentor_id()));
  const absl::Time now = Now();
  HC_ASSIGN_OR_RETURN(mentorship::Match match,
                      store_.Choose(member_id, hc::ids::Canonical(req.request_id()),
                                    hc::ids::Canonical(req.mentor_id()), now,
                                    now + absl::FromChrono(options_.response_window)));
  ToProto(match, *resp.mutable_match());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoRespond(const hc::auth::Principal& caller,
                                          const pb::RespondToRequestRequest& req,
                                          pb::RespondToRequestResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("match_id", req.match_id()));
  HC_ASSIGN_OR_RETURN(
      storage::RespondResult result,
      store_.Respond(member_id, hc::ids::Canonical(req.match_id()), req.accept(), Now()));
  HC_RETURN_IF_ERROR(result.status);
  ToProto(result.match, *resp.mutable_match());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoMine(const hc::auth::Principal& caller,
                                       const pb::GetMyMentorshipRequest&,
                                       pb::GetMyMentorshipResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_ASSIGN_OR_RETURN(storage::MyMentorship mine, store_.Mine(member_id));
  std::vector<std::string> ids;
  for (const auto& m : mine.as_mentee) ids.push_back(m.mentor_id);
  for (const auto& m : mine.as_mentor) ids.push_back(m.mentee_id);
  for (const auto& p : mine.open_proposals) ids.push_back(p.mentor_id);
  absl::StatusOr<std::map<std::string, members::DisplayName>> names =
      std::map<std::string, members::DisplayName>{};
  if (!ids.empty()) names = names_.Get(ids);
  resp.set_names_unavailable(!names.ok());
  const auto name_of = [&](const std::string& id) -> std::string {
    if (!names.ok()) return "";
    auto found = names->find(id);
    return found == names->end() || found->second.hidden ? "" : found->second.name;
  };
  for (const auto& m : mine.as_mentee) {
    auto* out = resp.add_as_mentee();
    ToProto(m, *out);
    out->set_other_display_name(name_of(m.mentor_id));
    if (auto intro = mine.introductions.find(m.mentor_id); intro != mine.introductions.end()) {
      out->set_mentor_introduction(intro->second);
    }
  }
  for (const auto& m : mine.as_mentor) {
    auto* out = resp.add_as_mentor();
    ToProto(m, *out);
    out->set_other_display_name(name_of(m.mentee_id));
  }
  resp.set_open_request_id(mine.open_request_id);
  ProposalsToProto(mine.open_proposals, names, *resp.mutable_open_proposals());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoEnd(const hc::auth::Principal& caller,
                                      const pb::EndMentorshipRequest& req,
                                      pb::EndMentorshipResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("match_id", req.match_id()));
  const int reason = req.reason();
  if (reason < pb::END_REASON_COMPLETED || reason > pb::END_REASON_OTHER) {
    return hc::InvalidField("reason", "must be COMPLETED, NOT_A_FIT, NO_TIME or OTHER");
  }
  HC_ASSIGN_OR_RETURN(mentorship::Match match,
                      store_.End(member_id, hc::ids::Canonical(req.match_id()),
                                 static_cast<mentorship::EndReason>(reason), Now()));
  ToProto(match, *resp.mutable_match());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoLogCheckIn(const hc::auth::Principal& caller,
                                             const pb::LogCheckInRequest& req,
                                             pb::LogCheckInResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("match_id", req.match_id()));
  absl::CivilDay held_on;
  if (!absl::ParseCivilTime(req.held_on(), &held_on)) {
    return hc::InvalidField("held_on", "must be a date YYYY-MM-DD");
  }
  // Whatever the members' zones, a day ahead of UTC is the latest "today" anywhere.
  const absl::Time now = Now();
  const absl::CivilDay latest = absl::ToCivilDay(now, absl::UTCTimeZone()) + 1;
  if (held_on > latest || held_on < latest - 366) {
    return hc::InvalidField("held_on", "must be within the last year and not in the future");
  }
  if (req.note().size() > kMaxNote) return hc::InvalidField("note", "at most 2000 characters");
  HC_ASSIGN_OR_RETURN(
      storage::CheckIn saved,
      store_.LogCheckIn(member_id, hc::ids::Canonical(req.match_id()), held_on, req.note(), now));
  ToProto(saved, *resp.mutable_check_in());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoListCheckIns(const hc::auth::Principal& caller,
                                               const pb::ListCheckInsRequest& req,
                                               pb::ListCheckInsResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("match_id", req.match_id()));
  HC_ASSIGN_OR_RETURN(std::vector<storage::CheckIn> check_ins,
                      store_.ListCheckIns(member_id, hc::ids::Canonical(req.match_id())));
  for (const auto& c : check_ins) ToProto(c, *resp.add_check_ins());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoReportConcern(const hc::auth::Principal& caller,
                                                const pb::ReportConcernRequest& req,
                                                pb::ReportConcernResponse& resp) {
  HC_ASSIGN_OR_RETURN(std::string member_id, domain::MemberOf(caller));
  HC_RETURN_IF_ERROR(CheckId("match_id", req.match_id()));
  const int category = req.category();
  if (category < pb::CONCERN_CATEGORY_UNRESPONSIVE || category > pb::CONCERN_CATEGORY_OTHER) {
    return hc::InvalidField("category", "must be UNRESPONSIVE, BOUNDARIES, SAFETY or OTHER");
  }
  HC_ASSIGN_OR_RETURN(mentorship::Match match,
                      store_.ReportConcern(member_id, hc::ids::Canonical(req.match_id()), category,
                                           req.block(), Now()));
  ToProto(match, *resp.mutable_match());
  return absl::OkStatus();
}

absl::Status MentorshipService::DoOverview(const hc::auth::Principal& caller,
                                           const pb::GetMentorshipOverviewRequest&,
                                           pb::GetMentorshipOverviewResponse& resp) {
  if (!caller.IsStaff()) {
    return absl::PermissionDeniedError("coordinators and admins only");
  }
  HC_ASSIGN_OR_RETURN(storage::MentorshipOverview o, store_.Overview(Now()));
  resp.set_mentors(o.mentors);
  resp.set_accepting_mentors(o.accepting_mentors);
  resp.set_places(o.places);
  resp.set_active_matches(o.active);
  resp.set_paused_matches(o.paused);
  resp.set_awaiting_answer(o.awaiting_answer);
  resp.set_open_requests(o.open_requests);
  resp.set_open_requests_older_than_week(o.open_requests_older_than_week);
  return absl::OkStatus();
}

}  // namespace volunteering::api
