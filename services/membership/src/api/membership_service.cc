#include "services/membership/src/api/membership_service.h"

#include <google/protobuf/util/time_util.h>
#include <spdlog/spdlog.h>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "libs/fieldmask/field_mask.h"
#include "libs/ids/ids.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"
#include "services/membership/src/domain/directory.h"
#include "services/membership/src/domain/sobriety.h"

namespace membership::api {
namespace {

namespace pb = alumni::membership::v1;
using google::protobuf::util::TimeUtil;

std::optional<domain::Date> DateFromProto(const pb::Date& d, bool present) {
  if (!present) return std::nullopt;
  return domain::Date{d.year(), d.month(), d.day()};
}

void PrivacyToProto(const domain::Privacy& p, pb::Privacy& out) {
  out.set_directory_visibility(static_cast<pb::DirectoryVisibility>(p.visibility));
  for (auto f : p.visible_fields) out.add_visible_fields(static_cast<pb::DirectoryField>(f));
  out.set_celebrate_milestones(p.celebrate_milestones);
  out.set_hide_name_in_lists(p.hide_name_in_lists);
}

void ConsentToProto(const domain::Consent& c, pb::Consent& out) {
  out.set_channel(static_cast<pb::ContactChannel>(c.channel));
  out.set_granted(c.granted);
  *out.mutable_changed_at() = TimeUtil::MillisecondsToTimestamp(c.changed_at_ms);
}

absl::StatusOr<domain::Channel> ChannelFromProto(pb::ContactChannel channel) {
  switch (channel) {
    case pb::CONTACT_CHANNEL_EMAIL:
      return domain::Channel::kEmail;
    case pb::CONTACT_CHANNEL_SMS:
      return domain::Channel::kSms;
    case pb::CONTACT_CHANNEL_PUSH:
      return domain::Channel::kPush;
    default:
      return hc::InvalidField("channel", "must be EMAIL, SMS or PUSH");
  }
}

absl::StatusOr<domain::Privacy> PrivacyFromProto(const pb::Privacy& p) {
  domain::Privacy out;
  switch (p.directory_visibility()) {
    case pb::DIRECTORY_VISIBILITY_HIDDEN:
      out.visibility = domain::DirectoryVisibility::kHidden;
      break;
    case pb::DIRECTORY_VISIBILITY_ALUMNI:
      out.visibility = domain::DirectoryVisibility::kAlumni;
      break;
    default:
      return hc::InvalidField("privacy.directory_visibility", "must be HIDDEN or ALUMNI");
  }
  for (int f : p.visible_fields()) {
    if (f < pb::DIRECTORY_FIELD_FULL_NAME || f > pb::DIRECTORY_FIELD_TIME_ZONE) {
      return hc::InvalidField("privacy.visible_fields", "unknown field");
    }
    out.visible_fields.insert(static_cast<domain::DirectoryField>(f));
  }
  out.celebrate_milestones = p.celebrate_milestones();
  out.hide_name_in_lists = p.hide_name_in_lists();
  return out;
}

void ToProto(const domain::Member& m, pb::Member& out) {
  out.set_member_id(m.member_id);
  out.set_first_name(m.first_name);
  out.set_last_name(m.last_name);
  out.set_display_name(m.display_name);
  out.set_email(m.email);
  out.set_phone(m.phone);
  out.set_program(static_cast<pb::Program>(m.program));
  if (m.sobriety_date) {
    out.mutable_sobriety_date()->set_year(m.sobriety_date->year);
    out.mutable_sobriety_date()->set_month(m.sobriety_date->month);
    out.mutable_sobriety_date()->set_day(m.sobriety_date->day);
  }
  for (const auto& i : m.interests) out.add_interests(i);
  out.set_time_zone(m.time_zone);
  for (auto r : m.roles) out.add_roles(static_cast<pb::Role>(r));
  out.set_status(static_cast<pb::MemberStatus>(m.status));
  PrivacyToProto(m.privacy, *out.mutable_privacy());
  for (const auto& c : m.consents) ConsentToProto(c, *out.add_consents());
  *out.mutable_created_at() = TimeUtil::MillisecondsToTimestamp(m.created_at_ms);
  *out.mutable_updated_at() = TimeUtil::MillisecondsToTimestamp(m.updated_at_ms);
  out.set_version(m.version);
}

absl::Status CheckMemberId(const std::string& id) {
  if (id.empty()) return hc::InvalidField("member_id", "must not be empty");
  if (!domain::IsUuid(id)) return hc::InvalidField("member_id", "must be a UUID");
  return absl::OkStatus();
}

absl::StatusOr<domain::ProfileChanges> ChangesFromMask(const pb::UpdateProfileRequest& req) {
  using hc::field_mask::Assign;
  const pb::Member& m = req.member();
  domain::ProfileChanges c;
  HC_RETURN_IF_ERROR(hc::field_mask::Apply(
      req.update_mask(),
      {{"first_name", Assign(c.first_name, m.first_name())},
       {"last_name", Assign(c.last_name, m.last_name())},
       {"display_name", Assign(c.display_name, m.display_name())},
       {"phone", Assign(c.phone, m.phone())},
       {"program", Assign(c.program, static_cast<domain::Program>(m.program()))},
       {"sobriety_date",
        Assign(c.sobriety_date, DateFromProto(m.sobriety_date(), m.has_sobriety_date()))},
       {"interests",
        Assign(c.interests, std::vector<std::string>(m.interests().begin(), m.interests().end()))},
       {"time_zone", Assign(c.time_zone, m.time_zone())}},
      {{"email", "email cannot be changed through UpdateProfile"}}));
  return c;
}

}  // namespace

MembershipService::MembershipService(hc::grpc_server::UnaryRunner& runner,
                                     storage::MemberStore& store, hc::redis::Cache& cache,
                                     const hc::crypto::DataKeys& keys,
                                     const domain::TimeZoneCatalog& zones,
                                     std::chrono::seconds cache_ttl, Clock clock)
    : runner_(runner),
      store_(store),
      cache_(cache),
      keys_(keys),
      zones_(zones),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)) {}

HC_UNARY_RPC(MembershipService, RegisterMember, DoRegister(caller, rq, rs))
HC_UNARY_RPC_RAW(MembershipService, GetMember, FastGet(caller, rq, bytes), DoGet(caller, rq, rs))
HC_UNARY_RPC(MembershipService, UpdateProfile, DoUpdate(caller, rq, rs))
HC_UNARY_RPC(MembershipService, UpdatePrivacy, DoUpdatePrivacy(caller, rq, rs))
HC_UNARY_RPC(MembershipService, UpdateConsent, DoUpdateConsent(caller, rq, rs))
HC_UNARY_RPC(MembershipService, SearchDirectory, DoSearch(caller, rq, rs))
HC_UNARY_RPC(MembershipService, AssignRole,
             DoChangeRole(caller, rq.member_id(), rq.role(), true, *rs.mutable_roles()))
HC_UNARY_RPC(MembershipService, RevokeRole,
             DoChangeRole(caller, rq.member_id(), rq.role(), false, *rs.mutable_roles()))
HC_UNARY_RPC(MembershipService, DeleteMember, ((void)rs, DoDelete(caller, rq)))
HC_UNARY_RPC(MembershipService, ListDisclosures, DoListDisclosures(caller, rq, rs))
HC_UNARY_RPC(MembershipService, ListInterestTags, ((void)rq, DoListInterestTags(caller, rs)))
HC_UNARY_RPC(MembershipService, AddInterestTag,
             ((void)rs, DoChangeInterestTag(caller, rq.tag(), true)))
HC_UNARY_RPC(MembershipService, RetireInterestTag,
             ((void)rs, DoChangeInterestTag(caller, rq.tag(), false)))
HC_UNARY_RPC(MembershipService, GetContact, DoGetContact(caller, rq, rs))
HC_UNARY_RPC(MembershipService, CheckEligibility, DoCheckEligibility(caller, rq, rs))
HC_UNARY_RPC(MembershipService, GetDisplayNames, DoGetDisplayNames(caller, rq, rs))
HC_UNARY_RPC(MembershipService, ResolveSignIn, DoResolveSignIn(caller, rq, rs))

std::string MembershipService::CacheKey(const std::string& member_id) {
  return "membership:member:v1:" + hc::ids::Canonical(member_id);
}

absl::Status MembershipService::DoRegister(const hc::auth::Principal& caller,
                                           const pb::RegisterMemberRequest& req,
                                           pb::RegisterMemberResponse& resp) {
  HC_RETURN_IF_ERROR(domain::AuthorizeRegister(caller));
  domain::NewMember n{.first_name = req.first_name(),
                      .last_name = req.last_name(),
                      .email = req.email(),
                      .phone = req.phone(),
                      .program = static_cast<domain::Program>(req.program()),
                      .sobriety_date = DateFromProto(req.sobriety_date(), req.has_sobriety_date()),
                      .interests = {req.interests().begin(), req.interests().end()},
                      .time_zone = req.time_zone()};
  HC_RETURN_IF_ERROR(domain::ValidateNewMember(n, zones_, domain::TodayUtc(clock_())));
  HC_ASSIGN_OR_RETURN(domain::Member created, store_.Register(n));
  ToProto(created, *resp.mutable_member());
  return absl::OkStatus();
}

namespace {
// Staff see who someone is, not how to reach them or since when they are sober: contact goes
// through GetContact (audited), sobriety through CheckEligibility (yes/no). The member sees
// every field of their own profile.
constexpr int kPrivateFields[] = {pb::Member::kEmailFieldNumber, pb::Member::kPhoneFieldNumber,
                                  pb::Member::kSobrietyDateFieldNumber};
bool SeesPrivateFields(const hc::auth::Principal& caller, const std::string& member_id) {
  return caller.subject == member_id;
}
void ShapeForCaller(const hc::auth::Principal& caller, const std::string& member_id,
                    pb::Member& member) {
  if (SeesPrivateFields(caller, member_id)) return;
  const google::protobuf::Reflection* reflection = member.GetReflection();
  for (const int number : kPrivateFields) {
    reflection->ClearField(&member, member.GetDescriptor()->FindFieldByNumber(number));
  }
}
}  // namespace

bool MembershipService::FastGet(const hc::auth::Principal& caller, const pb::GetMemberRequest& req,
                                std::string& bytes) {
  if (!CheckMemberId(req.member_id()).ok() ||
      !domain::AuthorizeRead(caller, req.member_id()).ok()) {
    return false;
  }
  const std::string key = CacheKey(req.member_id());
  // The profile opens (the seal authenticates it as the bytes DoGet sealed, which it parsed in
  // full) and is answered without a parse: the member's own as it is, anyone else's less the
  // private fields, dropped on the wire as ShapeForCaller clears them.
  return cache_.UseIfCached(key, [&](const std::string& sealed) {
    auto opened = keys_.Open(sealed, key);
    if (!opened.ok()) return false;
    std::optional<std::string> member;
    if (SeesPrivateFields(caller, req.member_id())) {
      if (hc::grpc_server::WellFormedWire(*opened)) member = *std::move(opened);
    } else {
      member = hc::grpc_server::WithoutFields(*opened, kPrivateFields);
    }
    if (!member) return false;
    bytes = hc::grpc_server::AsMessageField(pb::GetMemberResponse::kMemberFieldNumber, *member);
    return true;
  });
}

absl::Status MembershipService::DoGet(const hc::auth::Principal& caller,
                                      const pb::GetMemberRequest& req,
                                      pb::GetMemberResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeRead(caller, req.member_id()));
  const std::string key = CacheKey(req.member_id());
  auto load = [&]() -> absl::StatusOr<std::string> {
    HC_ASSIGN_OR_RETURN(domain::Member m, store_.Get(req.member_id()));
    pb::Member proto;
    ToProto(m, proto);
    return proto.SerializeAsString();
  };
  // A cache hit is checked by opening and parsing it into the answer itself, so a hit opens
  // and parses once (`parsed`); a loaded value is opened below.
  bool parsed = false;
  auto opens = [&](const std::string& sealed) {
    auto bytes = keys_.Open(sealed, key);
    parsed = bytes.ok() && resp.mutable_member()->ParseFromString(*bytes);
    return parsed;
  };
  // Cached profiles are sealed like the database columns: Redis never holds them in clear.
  // One sealed under another data key or damaged is dropped by the cache and loaded again.
  HC_ASSIGN_OR_RETURN(std::string sealed, cache_.GetOrLoad(
                                              key, cache_ttl_,
                                              [&]() -> absl::StatusOr<std::string> {
                                                HC_ASSIGN_OR_RETURN(std::string bytes, load());
                                                return keys_.Seal(bytes, key);
                                              },
                                              opens));
  if (!parsed) {
    auto bytes = keys_.Open(sealed, key);
    if (!bytes.ok() || !resp.mutable_member()->ParseFromString(*bytes)) {
      return absl::InternalError("a freshly sealed profile does not open");
    }
  }
  ShapeForCaller(caller, req.member_id(), *resp.mutable_member());
  return absl::OkStatus();
}

absl::Status MembershipService::DoUpdate(const hc::auth::Principal& caller,
                                         const pb::UpdateProfileRequest& req,
                                         pb::UpdateProfileResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeUpdate(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(domain::ProfileChanges changes, ChangesFromMask(req));
  HC_RETURN_IF_ERROR(domain::ValidateChanges(changes, zones_, domain::TodayUtc(clock_())));
  HC_ASSIGN_OR_RETURN(domain::Member updated, store_.UpdateProfile(req.member_id(), changes));
  // After the commit: dropping it before would let a concurrent reader cache the old row
  // again at once. A reader (in any replica) that loaded before the commit can't store it
  // after this: the invalidation moves the key's version (libs/redis/cache.cc).
  cache_.Invalidate(CacheKey(req.member_id()));
  ToProto(updated, *resp.mutable_member());
  return absl::OkStatus();
}

absl::Status MembershipService::DoUpdatePrivacy(const hc::auth::Principal& caller,
                                                const pb::UpdatePrivacyRequest& req,
                                                pb::UpdatePrivacyResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeUpdate(caller, req.member_id()));
  if (!req.has_privacy()) return hc::InvalidField("privacy", "must be set");
  HC_ASSIGN_OR_RETURN(domain::Privacy wanted, PrivacyFromProto(req.privacy()));
  HC_ASSIGN_OR_RETURN(domain::Privacy saved,
                      store_.UpdatePrivacy(hc::ids::Canonical(req.member_id()), wanted));
  cache_.Invalidate(CacheKey(req.member_id()));
  PrivacyToProto(saved, *resp.mutable_privacy());
  return absl::OkStatus();
}

absl::Status MembershipService::DoUpdateConsent(const hc::auth::Principal& caller,
                                                const pb::UpdateConsentRequest& req,
                                                pb::UpdateConsentResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeUpdate(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(domain::Channel channel, ChannelFromProto(req.channel()));
  HC_ASSIGN_OR_RETURN(auto consents, store_.UpdateConsent(hc::ids::Canonical(req.member_id()),
                                                          channel, req.granted()));
  cache_.Invalidate(CacheKey(req.member_id()));
  for (const auto& c : consents) ConsentToProto(c, *resp.add_consents());
  return absl::OkStatus();
}

absl::Status MembershipService::DoSearch(const hc::auth::Principal& caller,
                                         const pb::SearchDirectoryRequest& req,
                                         pb::SearchDirectoryResponse& resp) {
  (void)caller;  // any signed-in member may search; the privacy rules decide what they see
  HC_RETURN_IF_ERROR(domain::ValidateNamePrefix(req.name_prefix()));
  if (req.interest().size() > domain::kMaxInterestLength) {
    return hc::InvalidField("interest", "must be at most 32 characters");
  }
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  const std::string filters = "n=" + req.name_prefix() + ":i=" + req.interest();
  HC_ASSIGN_OR_RETURN(std::optional<std::string> after,
                      hc::paging::DecodePageToken(req.page_token(), filters));
  HC_ASSIGN_OR_RETURN(auto page, store_.SearchDirectory(req.name_prefix(), req.interest(),
                                                        page_size, after.value_or("")));
  for (const auto& m : page.members) {
    if (!domain::IsListed(m)) continue;  // the query already filters; never trust one layer
    domain::DirectoryEntry e = domain::ToDirectoryEntry(m);
    auto* out = resp.add_entries();
    out->set_member_id(e.member_id);
    out->set_display_name(e.display_name);
    out->set_first_name(e.first_name);
    out->set_last_name(e.last_name);
    for (const auto& i : e.interests) out->add_interests(i);
    out->set_program(static_cast<pb::Program>(e.program));
    out->set_time_zone(e.time_zone);
  }
  resp.set_next_page_token(hc::paging::EncodePageToken(page.next_after, filters));
  return absl::OkStatus();
}

absl::Status MembershipService::DoChangeRole(const hc::auth::Principal& caller,
                                             const std::string& member_id, int role, bool assign,
                                             google::protobuf::RepeatedField<int>& roles_out) {
  HC_RETURN_IF_ERROR(CheckMemberId(member_id));
  HC_RETURN_IF_ERROR(domain::AuthorizeAdmin(caller));
  if (role < pb::ROLE_ALUMNUS || role > pb::ROLE_ADMIN) {
    return hc::InvalidField("role", "must be ALUMNUS, PEER_MENTOR, COORDINATOR or ADMIN");
  }
  const auto now = clock_();
  HC_ASSIGN_OR_RETURN(
      auto roles, store_.ChangeRole(hc::ids::Canonical(member_id), static_cast<domain::Role>(role),
                                    assign, caller.subject, now));
  if (!assign) runner_.RevokeTokens(hc::ids::Canonical(member_id), now);
  cache_.Invalidate(CacheKey(member_id));
  for (auto r : roles) roles_out.Add(static_cast<int>(r));
  return absl::OkStatus();
}

absl::Status MembershipService::DoDelete(const hc::auth::Principal& caller,
                                         const pb::DeleteMemberRequest& req) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::AuthorizeDelete(caller, req.member_id()));
  const auto now = clock_();
  HC_ASSIGN_OR_RETURN(bool deleted_now, store_.Delete(hc::ids::Canonical(req.member_id()), now));
  runner_.RevokeTokens(hc::ids::Canonical(req.member_id()), now);
  cache_.Invalidate(CacheKey(req.member_id()));
  if (deleted_now) spdlog::info("member {} deleted", req.member_id());
  return absl::OkStatus();
}

absl::Status MembershipService::DoListDisclosures(const hc::auth::Principal& caller,
                                                  const pb::ListDisclosuresRequest& req,
                                                  pb::ListDisclosuresResponse& resp) {
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  if (caller.subject != req.member_id()) {
    return absl::PermissionDeniedError("members may see only their own disclosures");
  }
  HC_ASSIGN_OR_RETURN(int page_size, hc::paging::PageSize(req.page_size()));
  const std::string filters = "m=" + hc::ids::Canonical(req.member_id());
  HC_ASSIGN_OR_RETURN(std::optional<std::string> cursor,
                      hc::paging::DecodePageToken(req.page_token(), filters));
  int64_t before = 0;
  if (cursor && (!absl::SimpleAtoi(*cursor, &before) || before <= 0)) {
    return hc::InvalidField("page_token", "is not a token this listing gave out");
  }
  HC_ASSIGN_OR_RETURN(auto rows, store_.ListDisclosures(req.member_id(), page_size + 1, before));
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
    auto* d = resp.add_disclosures();
    d->set_accessed_by(rows[i].accessed_by);
    d->set_purpose(rows[i].purpose);
    d->set_what(rows[i].what);
    *d->mutable_accessed_at() = TimeUtil::MillisecondsToTimestamp(rows[i].accessed_at_ms);
  }
  if (static_cast<int>(rows.size()) > page_size) {
    resp.set_next_page_token(
        hc::paging::EncodePageToken(std::to_string(rows[page_size - 1].id), filters));
  }
  return absl::OkStatus();
}

absl::Status MembershipService::RequireCaller(const hc::auth::Principal& caller,
                                              std::span<const std::string_view> allowed,
                                              const std::vector<std::string>& member_ids,
                                              const char* rpc) {
  absl::Status allowed_status = hc::auth::RequireService(caller, allowed);
  if (allowed_status.ok()) return allowed_status;
  std::vector<std::string> named;
  for (const auto& id : member_ids) {
    if (domain::IsUuid(id)) named.push_back(id);
  }
  if (!named.empty() && named.size() <= 500) {
    if (absl::Status audited =
            store_.AuditRefused(named, caller.subject, std::string("refused ") + rpc);
        !audited.ok()) {
      return audited;
    }
  }
  return allowed_status;
}

absl::Status MembershipService::DoListInterestTags(const hc::auth::Principal& caller,
                                                   pb::ListInterestTagsResponse& resp) {
  (void)caller;  // anyone signed in: the catalogue is what every profile form offers
  HC_ASSIGN_OR_RETURN(auto tags, store_.ListInterestTags());
  for (auto& tag : tags) resp.add_tags(std::move(tag));
  return absl::OkStatus();
}

absl::Status MembershipService::DoChangeInterestTag(const hc::auth::Principal& caller,
                                                    const std::string& tag, bool add) {
  HC_RETURN_IF_ERROR(domain::AuthorizeCatalogue(caller));
  HC_RETURN_IF_ERROR(domain::ValidateInterestTag(tag));
  if (add) return store_.AddInterestTag(tag, caller.subject);
  return store_.RetireInterestTag(tag);
}

absl::Status MembershipService::DoGetContact(const hc::auth::Principal& caller,
                                             const pb::GetContactRequest& req,
                                             pb::GetContactResponse& resp) {
  HC_RETURN_IF_ERROR(RequireCaller(caller, kGetContactCallers, {req.member_id()}, "GetContact"));
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::ValidatePurpose(req.purpose()));
  HC_ASSIGN_OR_RETURN(domain::Member m,
                      store_.GetContact(req.member_id(), caller.subject, req.purpose()));
  resp.set_member_id(m.member_id);
  resp.set_display_name(m.display_name);
  resp.set_time_zone(m.time_zone);
  auto consent_of = [&](domain::Channel channel) -> const domain::Consent* {
    for (const auto& c : m.consents) {
      if (c.channel == channel) return &c;
    }
    return nullptr;
  };
  // Consent is enforced here, at the source: an address leaves the service only for a channel
  // whose consent is granted now, so no caller can contact a member who said no by mistake.
  auto add = [&](domain::Channel channel, const std::string& address) {
    auto* point = resp.add_contact_points();
    point->set_channel(static_cast<pb::ContactChannel>(channel));
    if (const domain::Consent* c = consent_of(channel)) {
      point->set_consent_granted(c->granted);
      *point->mutable_consent_changed_at() = TimeUtil::MillisecondsToTimestamp(c->changed_at_ms);
      if (c->granted) point->set_address(address);
    }
  };
  add(domain::Channel::kEmail, m.email);
  if (!m.phone.empty()) add(domain::Channel::kSms, m.phone);
  add(domain::Channel::kPush, "");
  return absl::OkStatus();
}

absl::Status MembershipService::DoGetDisplayNames(const hc::auth::Principal& caller,
                                                  const pb::GetDisplayNamesRequest& req,
                                                  pb::GetDisplayNamesResponse& resp) {
  HC_RETURN_IF_ERROR(RequireCaller(caller, kGetDisplayNamesCallers,
                                   {req.member_ids().begin(), req.member_ids().end()},
                                   "GetDisplayNames"));
  if (req.member_ids().empty() || req.member_ids_size() > 500) {
    return hc::InvalidField("member_ids", "must hold 1 to 500 ids");
  }
  for (const auto& id : req.member_ids()) {
    if (!domain::IsUuid(id)) return hc::InvalidField("member_ids", "must be UUIDs");
  }
  HC_ASSIGN_OR_RETURN(auto names,
                      store_.DisplayNames({req.member_ids().begin(), req.member_ids().end()}));
  for (const auto& n : names) {
    auto* out = resp.add_names();
    out->set_member_id(n.member_id);
    out->set_display_name(n.display_name);
    out->set_hidden(n.hidden);
  }
  return absl::OkStatus();
}

absl::Status MembershipService::DoResolveSignIn(const hc::auth::Principal& caller,
                                                const pb::ResolveSignInRequest& req,
                                                pb::ResolveSignInResponse& resp) {
  // No member ids to audit a refusal against when asked by address; the refusal is enough.
  HC_RETURN_IF_ERROR(hc::auth::RequireService(caller, kResolveSignInCallers));
  std::optional<storage::MemberStore::SignInIdentity> found;
  switch (req.who_case()) {
    case pb::ResolveSignInRequest::kEmail: {
      if (req.email().empty() || req.email().size() > domain::kMaxEmailLength) {
        return hc::InvalidField("email", "must be 1 to 254 characters");
      }
      HC_ASSIGN_OR_RETURN(found, store_.ResolveSignInByEmail(req.email()));
      break;
    }
    case pb::ResolveSignInRequest::kMemberId: {
      HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
      HC_ASSIGN_OR_RETURN(found, store_.ResolveSignInById(req.member_id()));
      break;
    }
    default:
      return hc::InvalidField("who", "must name an email or a member_id");
  }
  resp.set_found(found.has_value());
  if (!found) return absl::OkStatus();
  resp.set_member_id(found->member_id);
  resp.set_display_name(found->display_name);
  for (domain::Role role : found->roles) resp.add_roles(static_cast<pb::Role>(role));
  return absl::OkStatus();
}

absl::Status MembershipService::DoCheckEligibility(const hc::auth::Principal& caller,
                                                   const pb::CheckEligibilityRequest& req,
                                                   pb::CheckEligibilityResponse& resp) {
  HC_RETURN_IF_ERROR(
      RequireCaller(caller, kCheckEligibilityCallers, {req.member_id()}, "CheckEligibility"));
  HC_RETURN_IF_ERROR(CheckMemberId(req.member_id()));
  HC_RETURN_IF_ERROR(domain::ValidateMinSoberDays(req.min_sober_days()));
  HC_RETURN_IF_ERROR(domain::ValidatePurpose(req.purpose()));
  HC_ASSIGN_OR_RETURN(
      domain::Eligibility e,
      store_.CheckEligibility(req.member_id(), req.min_sober_days(), domain::TodayUtc(clock_()),
                              caller.subject, req.purpose()));
  resp.set_eligibility(static_cast<pb::Eligibility>(e));
  return absl::OkStatus();
}

}  // namespace membership::api
