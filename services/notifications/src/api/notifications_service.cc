#include "services/notifications/src/api/notifications_service.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "libs/convert/time.h"
#include "libs/fieldmask/field_mask.h"
#include "libs/ids/ids.h"
#include "libs/paging/paging.h"
#include "libs/status/status.h"
#include "services/notifications/src/api/inbox_stream.h"

namespace notifications::api {
namespace {

using domain::Category;
using domain::Channel;
constexpr auto Ts = hc::convert::TimeToProto;
constexpr int kMaxMarkRead = 100;

// Every RPC acts for the token's subject: a member, never a service identity or someone else.
absl::StatusOr<std::string> Self(const hc::auth::Principal& caller, const std::string& member_id) {
  if (caller.IsService()) {
    return absl::PermissionDeniedError("only the member themself may do this");
  }
  if (!member_id.empty() && hc::ids::Canonical(member_id) != hc::ids::Canonical(caller.subject)) {
    return absl::PermissionDeniedError("only the member themself may do this");
  }
  return hc::ids::Canonical(caller.subject);
}

const pb::ChannelChoices& Choices(const pb::Preferences& p, Category c) {
  switch (c) {
    case Category::kEvents:
      return p.events();
    case Category::kReminders:
      return p.reminders();
    case Category::kVolunteering:
      return p.volunteering();
    case Category::kMilestones:
      return p.milestones();
    case Category::kCommunityNews:
      return p.community_news();
    case Category::kMentorship:
      return p.mentorship();
  }
  return p.events();
}

pb::ChannelChoices* MutableChoices(pb::Preferences& p, Category c) {
  switch (c) {
    case Category::kEvents:
      return p.mutable_events();
    case Category::kReminders:
      return p.mutable_reminders();
    case Category::kVolunteering:
      return p.mutable_volunteering();
    case Category::kMilestones:
      return p.mutable_milestones();
    case Category::kCommunityNews:
      return p.mutable_community_news();
    case Category::kMentorship:
      return p.mutable_mentorship();
  }
  return p.mutable_events();
}

bool ChannelChoice(const pb::ChannelChoices& choices, Channel ch) {
  switch (ch) {
    case Channel::kEmail:
      return choices.email();
    case Channel::kSms:
      return choices.sms();
    case Channel::kInApp:
      return choices.in_app();
  }
  return false;
}

void ToProto(const domain::Preferences& d, pb::Preferences& out) {
  out.set_time_zone(d.time_zone);
  for (int c = 0; c < domain::kCategories; ++c) {
    const auto category = static_cast<Category>(c);
    pb::ChannelChoices* choices = MutableChoices(out, category);
    choices->set_email(d.Enabled(category, Channel::kEmail));
    choices->set_sms(d.Enabled(category, Channel::kSms));
    choices->set_in_app(d.Enabled(category, Channel::kInApp));
    choices->set_digest(d.Digest(category));
  }
  out.mutable_quiet_hours()->set_start_minute(d.quiet.start_minute);
  out.mutable_quiet_hours()->set_end_minute(d.quiet.end_minute);
  out.set_role_suggestions(d.role_suggestions);
}

// The setters of UpdatePreferences' mask, each copying one field of `from` into `to`.
hc::field_mask::Setters PreferenceSetters(const pb::Preferences& from, domain::Preferences& to) {
  auto set = [](std::function<void()> f) -> hc::field_mask::Setter {
    return [f = std::move(f)] {
      f();
      return absl::OkStatus();
    };
  };
  hc::field_mask::Setters setters;
  setters["time_zone"] = set([&] { to.time_zone = from.time_zone(); });
  setters["quiet_hours"] = set([&] {
    to.quiet.start_minute = from.quiet_hours().start_minute();
    to.quiet.end_minute = from.quiet_hours().end_minute();
  });
  setters["role_suggestions"] = set([&] { to.role_suggestions = from.role_suggestions(); });
  for (int c = 0; c < domain::kCategories; ++c) {
    const auto category = static_cast<Category>(c);
    const std::string name(domain::CategoryName(category));
    setters[name] = set([&, category, c] {
      const pb::ChannelChoices& choices = Choices(from, category);
      for (int ch = 0; ch < domain::kChannels; ++ch) {
        to.Set(category, static_cast<Channel>(ch),
               ChannelChoice(choices, static_cast<Channel>(ch)));
      }
      to.digest[c] = choices.digest();
    });
    for (int ch = 0; ch < domain::kChannels; ++ch) {
      const auto channel = static_cast<Channel>(ch);
      setters[name + "." + std::string(domain::ChannelName(channel))] = set([&, category, channel] {
        to.Set(category, channel, ChannelChoice(Choices(from, category), channel));
      });
    }
    setters[name + ".digest"] =
        set([&, category, c] { to.digest[c] = Choices(from, category).digest(); });
  }
  return setters;
}

pb::Category CategoryToProto(Category c) {
  return static_cast<pb::Category>(static_cast<int>(c) + 1);
}

pb::InboxItemKind KindToProto(domain::InboxKind kind) {
  switch (kind) {
    case domain::InboxKind::kRsvpConfirmed:
      return pb::INBOX_ITEM_KIND_RSVP_CONFIRMED;
    case domain::InboxKind::kRsvpWaitlisted:
      return pb::INBOX_ITEM_KIND_RSVP_WAITLISTED;
    case domain::InboxKind::kWaitlistPromoted:
      return pb::INBOX_ITEM_KIND_WAITLIST_PROMOTED;
    case domain::InboxKind::kVolunteerConfirmed:
      return pb::INBOX_ITEM_KIND_VOLUNTEER_CONFIRMED;
    case domain::InboxKind::kVolunteerWaitlisted:
      return pb::INBOX_ITEM_KIND_VOLUNTEER_WAITLISTED;
    case domain::InboxKind::kVolunteerPendingApproval:
      return pb::INBOX_ITEM_KIND_VOLUNTEER_PENDING_APPROVAL;
    case domain::InboxKind::kSignupApproved:
      return pb::INBOX_ITEM_KIND_SIGNUP_APPROVED;
    case domain::InboxKind::kSignupApprovedWaitlisted:
      return pb::INBOX_ITEM_KIND_SIGNUP_APPROVED_WAITLISTED;
    case domain::InboxKind::kSignupDeclined:
      return pb::INBOX_ITEM_KIND_SIGNUP_DECLINED;
    case domain::InboxKind::kVolunteerPromoted:
      return pb::INBOX_ITEM_KIND_VOLUNTEER_PROMOTED;
    case domain::InboxKind::kShiftCancelled:
      return pb::INBOX_ITEM_KIND_SHIFT_CANCELLED;
    case domain::InboxKind::kShiftMoved:
      return pb::INBOX_ITEM_KIND_SHIFT_MOVED;
    case domain::InboxKind::kEventMoved:
      return pb::INBOX_ITEM_KIND_EVENT_MOVED;
    case domain::InboxKind::kEventCancelled:
      return pb::INBOX_ITEM_KIND_EVENT_CANCELLED;
    case domain::InboxKind::kEventReminder:
      return pb::INBOX_ITEM_KIND_EVENT_REMINDER;
    case domain::InboxKind::kShiftReminder:
      return pb::INBOX_ITEM_KIND_SHIFT_REMINDER;
    case domain::InboxKind::kWelcome:
      return pb::INBOX_ITEM_KIND_WELCOME;
    case domain::InboxKind::kMilestone:
      return pb::INBOX_ITEM_KIND_MILESTONE;
    case domain::InboxKind::kRoleSuggested:
      return pb::INBOX_ITEM_KIND_ROLE_SUGGESTED;
    case domain::InboxKind::kMentorChosen:
      return pb::INBOX_ITEM_KIND_MENTOR_CHOSEN;
    case domain::InboxKind::kMentorChoiceLapsed:
      return pb::INBOX_ITEM_KIND_MENTOR_CHOICE_LAPSED;
    case domain::InboxKind::kMentorshipIntroduction:
      return pb::INBOX_ITEM_KIND_MENTORSHIP_INTRODUCTION;
    case domain::InboxKind::kMentorCheckInDue:
      return pb::INBOX_ITEM_KIND_MENTOR_CHECK_IN_DUE;
    case domain::InboxKind::kMentorshipEnded:
      return pb::INBOX_ITEM_KIND_MENTORSHIP_ENDED;
    case domain::InboxKind::kMentorshipAttention:
      return pb::INBOX_ITEM_KIND_MENTORSHIP_ATTENTION;
    case domain::InboxKind::kMentorshipEndConfirmed:
      return pb::INBOX_ITEM_KIND_MENTORSHIP_END_CONFIRMED;
  }
  return pb::INBOX_ITEM_KIND_UNSPECIFIED;
}

void ToProto(const storage::InboxItem& item, pb::InboxItem& out) {
  out.set_item_id(item.item_id);
  out.set_category(CategoryToProto(domain::CategoryOf(item.kind)));
  out.set_kind(KindToProto(item.kind));
  if (!item.event_id.empty()) out.set_event_id(item.event_id);
  if (!item.shift_id.empty()) out.set_shift_id(item.shift_id);
  if (!item.role_id.empty()) out.set_role_id(item.role_id);
  out.set_text(std::string(domain::InboxText(item.kind)));
  *out.mutable_created_at() = Ts(item.created_at);
  if (item.read_at) *out.mutable_read_at() = Ts(*item.read_at);
}

// A fresh generation of a member's cached pages. Random, not a counter: a generation that
// expired and started again from the same number would bring back pages cached under it.
std::string RandomGeneration() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return std::to_string(rng());
}

// "<created_at ms>|<item_id>": where the next page starts.
std::string EncodeCursor(const storage::InboxItem& last) {
  return std::to_string(last.created_at.time_since_epoch().count()) + "|" + last.item_id;
}

std::optional<storage::InboxCursor> DecodeCursor(const std::string& cursor) {
  const size_t bar = cursor.find('|');
  if (bar == std::string::npos) return std::nullopt;
  storage::InboxCursor out;
  if (!absl::SimpleAtoi(absl::string_view(cursor.data(), bar), &out.created_at_ms)) {
    return std::nullopt;
  }
  out.item_id = cursor.substr(bar + 1);
  if (!hc::ids::IsUuid(out.item_id)) return std::nullopt;
  return out;
}

}  // namespace

void InboxItemToProto(const storage::InboxItem& item, pb::InboxItem& out) { ToProto(item, out); }

NotificationsService::NotificationsService(hc::grpc_server::UnaryRunner& runner,
                                           storage::NotificationStore& store,
                                           hc::redis::Cache& cache,
                                           const hc::crypto::DataKeys& keys,
                                           const hc::tz::TimeZoneCatalog& zones,
                                           std::chrono::seconds cache_ttl, Clock clock)
    : runner_(runner),
      store_(store),
      cache_(cache),
      keys_(keys),
      zones_(zones),
      cache_ttl_(cache_ttl),
      clock_(std::move(clock)) {}

std::string NotificationsService::InboxGenerationKey(const std::string& member_id) {
  return "notifications:inbox:v1:generation:" + hc::ids::Canonical(member_id);
}

HC_UNARY_RPC(NotificationsService, GetPreferences, DoGetPreferences(caller, rq, rs))
HC_UNARY_RPC(NotificationsService, UpdatePreferences, DoUpdatePreferences(caller, rq, rs))
HC_UNARY_RPC_RAW(NotificationsService, ListInbox, FastListInbox(caller, rq, bytes),
                 DoListInbox(caller, rq, rs))
HC_UNARY_RPC(NotificationsService, MarkRead, DoMarkRead(caller, rq, rs))
HC_UNARY_RPC(NotificationsService, UnreadCount, ((void)rq, DoUnreadCount(caller, rs)))

grpc::ServerWriteReactor<pb::StreamInboxResponse>* NotificationsService::StreamInbox(
    grpc::CallbackServerContext* ctx, const pb::StreamInboxRequest*) {
  return streams_->Open(ctx);
}

storage::Time NotificationsService::Now() const {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(clock_());
}

absl::Status NotificationsService::DoGetPreferences(const hc::auth::Principal& caller,
                                                    const pb::GetPreferencesRequest& req,
                                                    pb::GetPreferencesResponse& resp) {
  HC_ASSIGN_OR_RETURN(const std::string member_id, Self(caller, req.member_id()));
  HC_ASSIGN_OR_RETURN(const domain::Preferences preferences, store_.GetPreferences(member_id));
  ToProto(preferences, *resp.mutable_preferences());
  return absl::OkStatus();
}

absl::Status NotificationsService::DoUpdatePreferences(const hc::auth::Principal& caller,
                                                       const pb::UpdatePreferencesRequest& req,
                                                       pb::UpdatePreferencesResponse& resp) {
  HC_ASSIGN_OR_RETURN(const std::string member_id, Self(caller, req.member_id()));
  // The mask is checked before any lookup, against a scratch copy.
  domain::Preferences scratch;
  HC_RETURN_IF_ERROR(
      hc::field_mask::Apply(req.update_mask(), PreferenceSetters(req.preferences(), scratch)));
  HC_ASSIGN_OR_RETURN(const domain::Preferences updated,
                      store_.UpdatePreferences(
                          member_id,
                          [&](domain::Preferences& p) {
                            HC_RETURN_IF_ERROR(hc::field_mask::Apply(
                                req.update_mask(), PreferenceSetters(req.preferences(), p)));
                            return domain::ValidatePreferences(p, zones_);
                          },
                          Now()));
  ToProto(updated, *resp.mutable_preferences());
  return absl::OkStatus();
}

absl::StatusOr<NotificationsService::InboxPage> NotificationsService::PlanInbox(
    const hc::auth::Principal& caller, const pb::ListInboxRequest& req) const {
  InboxPage page;
  HC_ASSIGN_OR_RETURN(page.member_id, Self(caller, ""));
  HC_ASSIGN_OR_RETURN(page.page_size, hc::paging::PageSize(req.page_size()));
  page.filters = req.unread_only() ? "unread" : "all";
  HC_ASSIGN_OR_RETURN(const std::optional<std::string> cursor,
                      hc::paging::DecodePageToken(req.page_token(), page.filters));
  if (cursor) {
    page.after = DecodeCursor(*cursor);
    if (!page.after) return hc::InvalidField("page_token", "is not a token this listing gave out");
  }
  return page;
}

// Per member and generation; the key holds ids and page parameters only, each in one spelling
// (the cursor decoded and its id canonical), so one page is one entry.
std::string NotificationsService::InboxPage::Key(const std::string& generation) const {
  return "notifications:inbox:v1:" + member_id + ":" + generation + ":" + filters +
         ":n=" + std::to_string(page_size) + ":a=" +
         (after ? std::to_string(after->created_at_ms) + "|" + hc::ids::Canonical(after->item_id)
                : std::string("-"));
}

bool NotificationsService::OpenPage(const std::string& sealed, const std::string& key,
                                    pb::ListInboxResponse& resp) const {
  auto bytes = keys_.Open(sealed, key);
  return bytes.ok() && resp.ParseFromString(*bytes);
}

bool NotificationsService::FastListInbox(const hc::auth::Principal& caller,
                                         const pb::ListInboxRequest& req, std::string& bytes) {
  auto page = PlanInbox(caller, req);
  if (!page.ok()) return false;  // the pool path answers with the error
  // The generation and then the page, both from the near-cache: an invalidation of the
  // generation applied before the first lookup sends the call to the pool; one that arrives
  // between the two lookups is a write after this read, as with two reads from Redis.
  std::optional<std::string> generation = cache_.GetIfCached(InboxGenerationKey(page->member_id));
  if (!generation) return false;
  const std::string key = page->Key(*generation);
  // The page opens (the seal authenticates it as the bytes DoListInbox sealed, which it parsed
  // in full) and is answered as it is: no parse into items for gRPC to serialize again.
  return cache_.UseIfCached(key, [&](const std::string& sealed) {
    auto opened = keys_.Open(sealed, key);
    if (!opened.ok() || !hc::grpc_server::WellFormedWire(*opened)) return false;
    bytes = *std::move(opened);
    return true;
  });
}

absl::Status NotificationsService::DoListInbox(const hc::auth::Principal& caller,
                                               const pb::ListInboxRequest& req,
                                               pb::ListInboxResponse& resp) {
  HC_ASSIGN_OR_RETURN(const InboxPage page, PlanInbox(caller, req));
  const std::string& member_id = page.member_id;
  HC_ASSIGN_OR_RETURN(
      const std::string generation,
      cache_.GetOrLoad(InboxGenerationKey(member_id), cache_ttl_,
                       []() -> absl::StatusOr<std::string> { return RandomGeneration(); }));
  const std::string key = page.Key(generation);
  auto load = [&]() -> absl::StatusOr<std::string> {
    HC_ASSIGN_OR_RETURN(
        std::vector<storage::InboxItem> items,
        store_.ListInbox(member_id, req.unread_only(), page.after, page.page_size + 1));
    const bool more = static_cast<int>(items.size()) > page.page_size;
    if (more) items.resize(page.page_size);
    pb::ListInboxResponse out;
    for (const auto& item : items) ToProto(item, *out.add_items());
    if (more) {
      out.set_next_page_token(
          hc::paging::EncodePageToken(EncodeCursor(items.back()), page.filters));
    }
    return out.SerializeAsString();
  };
  // Inbox items are personal: pages are sealed like membership's profiles, bound to the key
  // (and so to the member), and Redis and the near-cache never hold them in clear. A hit is
  // opened and parsed into the answer once (`parsed`); one that doesn't open is dropped and
  // loaded again.
  bool parsed = false;
  auto opens = [&](const std::string& sealed) {
    parsed = OpenPage(sealed, key, resp);
    return parsed;
  };
  HC_ASSIGN_OR_RETURN(const std::string sealed, cache_.GetOrLoad(
                                                    key, cache_ttl_,
                                                    [&]() -> absl::StatusOr<std::string> {
                                                      HC_ASSIGN_OR_RETURN(std::string bytes,
                                                                          load());
                                                      return keys_.Seal(bytes, key);
                                                    },
                                                    opens));
  if (!parsed && !OpenPage(sealed, key, resp)) {
    return absl::InternalError("a freshly sealed inbox page does not open");
  }
  return absl::OkStatus();
}

absl::Status NotificationsService::DoMarkRead(const hc::auth::Principal& caller,
                                              const pb::MarkReadRequest& req,
                                              pb::MarkReadResponse& resp) {
  HC_ASSIGN_OR_RETURN(const std::string member_id, Self(caller, ""));
  if (req.item_ids().empty() || req.item_ids_size() > kMaxMarkRead) {
    return hc::InvalidField("item_ids",
                            "must name 1 to " + std::to_string(kMaxMarkRead) + " items");
  }
  std::vector<std::string> ids;
  for (const auto& id : req.item_ids()) {
    if (!hc::ids::IsUuid(id)) return hc::InvalidField("item_ids", "must be UUIDs");
    ids.push_back(hc::ids::Canonical(id));
  }
  HC_ASSIGN_OR_RETURN(const int unread, store_.MarkRead(member_id, ids, Now()));
  // After the commit: a reader that loaded before it can't store its page after this, in any
  // replica (libs/redis/cache.cc).
  cache_.Invalidate(InboxGenerationKey(member_id));
  resp.set_unread_count(unread);
  return absl::OkStatus();
}

absl::Status NotificationsService::DoUnreadCount(const hc::auth::Principal& caller,
                                                 pb::UnreadCountResponse& resp) {
  HC_ASSIGN_OR_RETURN(const std::string member_id, Self(caller, ""));
  HC_ASSIGN_OR_RETURN(const int unread, store_.UnreadCount(member_id));
  resp.set_unread_count(unread);
  return absl::OkStatus();
}

}  // namespace notifications::api
