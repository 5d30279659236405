#include "services/edge/src/session/sign_in.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "libs/auth/auth.h"
#include "libs/ids/ids.h"
#include "libs/postgres/migrations.h"
#include "libs/smtp/settings.h"
#include "libs/status/status.h"
#include "nlohmann/json.hpp"
#include "services/edge/src/http/address_key.h"
#include "services/edge/src/http/origin.h"
#include "services/edge/src/session/secrets.h"

namespace edge::session {
namespace {

namespace pb = alumni::membership::v1;

constexpr char kLinkSent[] = "If that address belongs to a member, a sign-in link is on its way.";
constexpr char kLinkRefused[] = "This sign-in link has expired or was already used";
// Pending email-link requests beyond this are dropped (the answer is the same either way);
// the rate limits keep the queue far below it.
constexpr size_t kMaxQueued = 1000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void ConnectError(httplib::Response& res, int status, std::string_view code,
                  std::string_view message) {
  res.status = status;
  res.set_content(nlohmann::json{{"code", code}, {"message", message}}.dump(), "application/json");
}

// A server-rendered page: no script, no inline style (the CSP forbids both).
void Page(httplib::Response& res, int status, const std::string& title, const std::string& body) {
  res.status = status;
  res.set_content(absl::StrCat("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                               "<meta name=\"viewport\" content=\"width=device-width, "
                               "initial-scale=1\"><title>",
                               title, " · Homecoming</title></head><body><main>", body,
                               "</main><footer><a href=\"tel:988\">In crisis? Call or text "
                               "988</a></footer></body></html>"),
                  "text/html; charset=utf-8");
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::vector<std::string> RoleNames(const google::protobuf::RepeatedField<int>& roles) {
  std::vector<std::string> out;
  for (int role : roles) {
    switch (role) {
      case pb::ROLE_ALUMNUS:
        out.emplace_back(hc::auth::kRoleAlumnus);
        break;
      case pb::ROLE_PEER_MENTOR:
        out.emplace_back(hc::auth::kRolePeerMentor);
        break;
      case pb::ROLE_COORDINATOR:
        out.emplace_back(hc::auth::kRoleCoordinator);
        break;
      case pb::ROLE_ADMIN:
        out.emplace_back(hc::auth::kRoleAdmin);
        break;
      default:
        break;
    }
  }
  return out;
}

absl::StatusOr<SignInSettings> ReadSignInSettings(hc::config::Env& env) {
  SignInSettings s;
  s.database_url = env.Required("HC_DATABASE_URL");
  s.session_ttl = std::chrono::hours(env.Int("HC_EDGE_SESSION_TTL_HOURS", 12, 1, 24 * 30));
  s.access_token_ttl =
      std::chrono::seconds(env.Int("HC_EDGE_ACCESS_TOKEN_TTL_SECONDS", 300, 90, 3600));
  s.jwt_algorithm = env.String("HC_JWT_ALG", s.jwt_algorithm);
  s.jwt_issuer = env.String("HC_JWT_ISSUER", s.jwt_issuer);
  s.jwt_audience = env.String("HC_JWT_AUDIENCE", s.jwt_audience);
  const std::string key_file = env.Required("HC_JWT_SIGNING_KEY_FILE");
  if (!key_file.empty()) {
    s.jwt_signing_key = ReadFile(key_file);
    if (s.jwt_algorithm == "HS256") {
      while (!s.jwt_signing_key.empty() &&
             absl::ascii_isspace(static_cast<unsigned char>(s.jwt_signing_key.back()))) {
        s.jwt_signing_key.pop_back();
      }
    }
  }
  s.purge_interval = std::chrono::seconds(
      env.Int("HC_EDGE_PURGE_INTERVAL_SECONDS", s.purge_interval.count(), 1, 7 * 24 * 3600));
  s.session_cache_ttl = std::chrono::milliseconds(
      env.Int("HC_EDGE_SESSION_CACHE_MS", s.session_cache_ttl.count(), 0, 60000));
  s.service_token_file = env.String("HC_SERVICE_TOKEN_FILE", "");
  s.dev_users_file = env.String("HC_EDGE_DEV_USERS_FILE", "");
  absl::StatusOr<hc::smtp::SmtpSettings> smtp = hc::smtp::ReadSmtpSettings(env, "HC_SMTP_FROM");
  if (!smtp.ok()) return smtp.status();
  s.smtp = *std::move(smtp);
  return s;
}

absl::Status MigrateSessionStore(const std::string& database_url) {
  return hc::postgres::Migrate(database_url, Migrations());
}

SignIn::SignIn(SignInSettings settings, http::RateLimiter& limiter,
               std::shared_ptr<grpc::Channel> membership,
               std::unique_ptr<hc::smtp::EmailSender> sender)
    : settings_(std::move(settings)),
      secure_(settings_.secure_cookies),
      origin_(http::OriginOf(settings_.public_url)),
      limiter_(limiter),
      membership_(pb::MembershipService::NewStub(std::move(membership))),
      sender_(sender ? std::move(sender) : std::make_unique<hc::smtp::SmtpSender>(settings_.smtp)),
      pool_({.url = settings_.database_url, .size = 8}),
      store_(pool_) {
  if (!settings_.service_token_file.empty() || settings_.jwt_algorithm == "HS256") {
    service_token_ = std::make_unique<hc::grpc_client::ServiceToken>(
        hc::grpc_client::ServiceToken::Options{.service = "edge",
                                               .token_file = settings_.service_token_file,
                                               .jwt = {.algorithm = settings_.jwt_algorithm,
                                                       .key = settings_.jwt_signing_key,
                                                       .issuer = settings_.jwt_issuer,
                                                       .audience = settings_.jwt_audience}});
  }
  if (settings_.profile == "local" && !settings_.dev_users_file.empty()) {
    nlohmann::json users = nlohmann::json::parse(ReadFile(settings_.dev_users_file), nullptr,
                                                 /*allow_exceptions=*/false);
    if (users.is_array()) {
      for (const auto& u : users) {
        if (u.is_object()) dev_users_.emplace_back(u.value("memberId", ""), u.value("label", ""));
      }
    } else {
      spdlog::warn("HC_EDGE_DEV_USERS_FILE is not a JSON array; the dev page lists nobody");
    }
  }
  worker_ = std::thread([this] { Worker(); });
  purger_ = std::thread([this] { Purger(); });
}

SignIn::~SignIn() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  purge_cv_.notify_all();
  worker_.join();
  purger_.join();
}

absl::StatusOr<int64_t> SignIn::Purge() { return store_.Purge(settings_.purge_grace); }

void SignIn::Purger() {
  std::unique_lock lock(queue_mu_);
  while (!stopping_) {
    lock.unlock();
    auto purged = Purge();
    if (!purged.ok()) {
      spdlog::warn("edge: purging old sessions and links failed: {}", purged.status().ToString());
    } else if (*purged > 0) {
      spdlog::info("edge: purged {} old sessions and sign-in links", *purged);
    }
    lock.lock();
    purge_cv_.wait_for(lock, settings_.purge_interval, [this] { return stopping_; });
  }
}

absl::Status SignIn::EndMemberSessions(const std::string& member_id) {
  DropCachedSessions([&](const Session& s) { return s.member_id == member_id; });
  HC_RETURN_IF_ERROR(store_.DeleteMemberSessions(member_id));
  return absl::OkStatus();
}

absl::StatusOr<std::string> SignIn::ServiceTokenNow() {
  if (service_token_) return service_token_->Get();
  // RS256 without a token file: the edge is the token issuer, so it signs its own service
  // identity with its private key.
  std::lock_guard lock(token_mu_);
  const auto now = std::chrono::system_clock::now();
  if (!self_token_.token.empty() && self_token_.expires_at - now > std::chrono::minutes(2)) {
    return self_token_.token;
  }
  HC_ASSIGN_OR_RETURN(std::string token,
                      hc::auth::Mint({.algorithm = settings_.jwt_algorithm,
                                      .key = settings_.jwt_signing_key,
                                      .issuer = settings_.jwt_issuer,
                                      .audience = settings_.jwt_audience,
                                      .subject = "edge",
                                      .roles = {std::string(hc::auth::kRoleService)},
                                      .ttl = std::chrono::minutes(10)}));
  self_token_ = {token, now + std::chrono::minutes(10)};
  return token;
}

absl::StatusOr<SignIn::Identity> SignIn::Resolve(const pb::ResolveSignInRequest& request) {
  HC_ASSIGN_OR_RETURN(std::string token, ServiceTokenNow());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ctx.AddMetadata("authorization", "Bearer " + token);
  pb::ResolveSignInResponse resp;
  grpc::Status s = membership_->ResolveSignIn(&ctx, request, &resp);
  if (!s.ok()) {
    return absl::UnavailableError("membership ResolveSignIn: " + s.error_message());
  }
  Identity id;
  id.found = resp.found();
  id.member_id = resp.member_id();
  id.display_name = resp.display_name();
  id.roles = RoleNames(resp.roles());
  return id;
}

absl::StatusOr<Session> SignIn::Find(std::string_view cookie_value) {
  if (!LooksLikeSecret(cookie_value)) return absl::UnauthenticatedError("no session");
  const std::string hash = HashSecret(cookie_value);
  const auto now = std::chrono::steady_clock::now();
  if (settings_.session_cache_ttl.count() > 0) {
    std::lock_guard lock(session_mu_);
    auto it = sessions_.find(hash);
    if (it != sessions_.end() && now - it->second.fetched < settings_.session_cache_ttl) {
      // The store's own rule, applied to the cached copy: an expired session is no session.
      if (it->second.session.expires_at <= std::chrono::system_clock::now()) {
        sessions_.erase(it);
        return absl::UnauthenticatedError("no session");
      }
      return it->second.session;
    }
  }
  HC_ASSIGN_OR_RETURN(auto session, store_.FindSession(hash));
  if (!session) {
    DropCachedSession(hash);
    return absl::UnauthenticatedError("no session");
  }
  if (settings_.session_cache_ttl.count() > 0) {
    std::lock_guard lock(session_mu_);
    // Bounded: when full, start again (every entry is at most a TTL from stale anyway).
    if (sessions_.size() >= settings_.session_cache_size) sessions_.clear();
    sessions_[hash] = {*session, now};
  }
  return *session;
}

void SignIn::DropCachedSession(const std::string& secret_hash) {
  std::lock_guard lock(session_mu_);
  sessions_.erase(secret_hash);
}

void SignIn::DropCachedSessions(const std::function<bool(const Session&)>& which) {
  std::lock_guard lock(session_mu_);
  std::erase_if(sessions_, [&](const auto& entry) { return which(entry.second.session); });
}

absl::StatusOr<std::string> SignIn::AccessToken(const Session& session) {
  const auto now = std::chrono::system_clock::now();
  {
    std::lock_guard lock(token_mu_);
    auto it = tokens_.find(session.id);
    if (it != tokens_.end() && it->second.expires_at - now > settings_.access_token_reuse_margin) {
      return it->second.token;
    }
  }
  pb::ResolveSignInRequest request;
  request.set_member_id(session.member_id);
  HC_ASSIGN_OR_RETURN(Identity id, Resolve(request));
  if (!id.found) {
    // Erased or no longer active: every session of theirs ends here, not when its cookie
    // expires.
    HC_RETURN_IF_ERROR(EndMemberSessions(session.member_id));
    std::lock_guard lock(token_mu_);
    tokens_.erase(session.id);
    return absl::UnauthenticatedError("the member no longer exists");
  }
  if (id.roles != session.roles) {
    HC_RETURN_IF_ERROR(store_.UpdateRoles(session.id, id.roles));
    // The gateway's staff check reads the session's roles: not from a stale cached copy.
    DropCachedSessions([&](const Session& s) { return s.id == session.id; });
  }
  auto issued_at = now;
  {
    std::lock_guard lock(token_mu_);
    auto refused = issue_not_before_.find(session.id);
    if (refused != issue_not_before_.end()) {
      // Within the verifiers' leeway for an `iat` in the future (60 s).
      issued_at = std::max(now, refused->second);
      issue_not_before_.erase(refused);
    }
  }
  HC_ASSIGN_OR_RETURN(std::string token, hc::auth::Mint({.algorithm = settings_.jwt_algorithm,
                                                         .key = settings_.jwt_signing_key,
                                                         .issuer = settings_.jwt_issuer,
                                                         .audience = settings_.jwt_audience,
                                                         .subject = id.member_id,
                                                         .roles = id.roles,
                                                         .ttl = settings_.access_token_ttl,
                                                         .issued_at = issued_at}));
  std::lock_guard lock(token_mu_);
  // Bounded by live sessions in practice; cleared whole if it ever grows past that.
  if (tokens_.size() > 100000) tokens_.clear();
  tokens_[session.id] = {token, issued_at + settings_.access_token_ttl};
  return token;
}

void SignIn::ForgetToken(const Session& session) {
  // The refused token was issued at or before the revocation's second, which is at or before
  // now: the next second is after both.
  const auto next_second =
      std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
      std::chrono::seconds(1);
  std::lock_guard lock(token_mu_);
  tokens_.erase(session.id);
  if (issue_not_before_.size() > 100000) issue_not_before_.clear();
  issue_not_before_[session.id] = next_second;
}

bool SignIn::SameOrigin(const httplib::Request& req) const {
  return http::IsSameOrigin(req, origin_);
}

void SignIn::Register(httplib::Server& server) {
  server.Get("/auth/session",
             [this](const httplib::Request& q, httplib::Response& r) { HandleSession(q, r); });
  server.Post("/auth/email-link",
              [this](const httplib::Request& q, httplib::Response& r) { HandleEmailLink(q, r); });
  server.Get("/auth/link",
             [this](const httplib::Request& q, httplib::Response& r) { HandleLinkPage(q, r); });
  server.Post("/auth/link",
              [this](const httplib::Request& q, httplib::Response& r) { HandleLinkPost(q, r); });
  server.Get("/auth/dev",
             [this](const httplib::Request& q, httplib::Response& r) { HandleDevPage(q, r); });
  server.Post("/auth/dev",
              [this](const httplib::Request& q, httplib::Response& r) { HandleDevPost(q, r); });
  server.Post("/auth/sign-out",
              [this](const httplib::Request& q, httplib::Response& r) { HandleSignOut(q, r); });
}

void SignIn::HandleSession(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Cache-Control", "no-store");
  auto session = Find(SessionCookieValue(req.get_header_value("Cookie"), secure_));
  if (!session.ok()) {
    if (absl::IsUnauthenticated(session.status())) {
      ConnectError(res, 401, "unauthenticated", "no session");
    } else {
      ConnectError(res, 503, "unavailable", "sessions are unavailable; try again");
    }
    return;
  }
  pb::ResolveSignInRequest request;
  request.set_member_id(session->member_id);
  auto id = Resolve(request);
  if (!id.ok()) {
    ConnectError(res, 503, "unavailable", "membership is unavailable; try again");
    return;
  }
  if (!id->found) {
    (void)EndMemberSessions(session->member_id);
    ConnectError(res, 401, "unauthenticated", "no session");
    return;
  }
  res.set_content(nlohmann::json{{"memberId", id->member_id},
                                 {"displayName", id->display_name},
                                 {"roles", id->roles},
                                 {"csrfToken", session->csrf_token},
                                 {"expiresAt", Rfc3339(session->expires_at)}}
                      .dump(),
                  "application/json");
}

void SignIn::HandleEmailLink(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req)) return ConnectError(res, 403, "permission_denied", "cross-site request");
  nlohmann::json body = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  std::string email;
  if (body.is_object() && body.contains("email") && body["email"].is_string()) {
    const std::string given = body["email"].get<std::string>();
    email = absl::AsciiStrToLower(absl::StripAsciiWhitespace(given));
  }
  if (!LooksLikeEmail(email)) {
    return ConnectError(res, 400, "invalid_argument", "email: must be an email address");
  }
  // Keyed hashes: the limiter's keys (Redis) never hold an email or an IP address. Both
  // buckets in one round trip; the address is not counted when the IP is over its limit.
  const std::string ip_key = http::AddressKey(settings_.rate_key, req.remote_addr);
  const std::string address_key = http::AddressKey(settings_.rate_key, email);
  const http::Limit limits[] = {{.bucket = "signin-ip",
                                 .key = ip_key,
                                 .limit = settings_.links_per_ip,
                                 .window = settings_.link_ttl},
                                {.bucket = "signin-address",
                                 .key = address_key,
                                 .limit = settings_.links_per_address,
                                 .window = settings_.link_ttl}};
  if (limiter_.FirstRefused(limits).has_value()) {
    res.set_header("Retry-After", std::to_string(settings_.link_ttl.count()));
    return ConnectError(res, 429, "resource_exhausted",
                        "too many sign-in requests; try again later");
  }
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() < kMaxQueued) queue_.push_back(std::move(email));
  }
  queue_cv_.notify_one();
  res.status = 202;
  res.set_content(nlohmann::json{{"message", kLinkSent}}.dump(), "application/json");
}

void SignIn::Worker() {
  while (true) {
    std::string email;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      email = std::move(queue_.front());
      queue_.pop_front();
    }
    SendLink(email);
    ++processed_;
  }
}

void SignIn::SendLink(const std::string& email) {
  pb::ResolveSignInRequest request;
  request.set_email(email);
  auto id = Resolve(request);
  if (!id.ok()) {
    spdlog::warn("sign-in link not sent: {}", std::string(id.status().message()));
    return;
  }
  if (!id->found) return;  // nobody to write to; the answer was the same
  const std::string secret = NewSecret();
  if (absl::Status s = store_.CreateLink(HashSecret(secret), id->member_id, settings_.link_ttl);
      !s.ok()) {
    spdlog::warn("sign-in link for member {} not stored: {}", id->member_id,
                 std::string(s.message()));
    return;
  }
  const std::string url = absl::StrCat(settings_.public_url, "/auth/link?token=", secret);
  hc::smtp::SendResult sent =
      sender_->Send({.to = email,
                     .subject = "Your Homecoming sign-in link",
                     .text = absl::StrCat(
                         "Hi ", id->display_name,
                         ",\n\nTo sign in to Homecoming, open this link within 15 minutes:\n\n",
                         url, "\n\nIt works once. If you didn't ask for it, ignore this email.\n"),
                     .message_id = absl::StrCat("signin.", hc::ids::NewUuid())});
  if (sent.outcome != hc::smtp::SendResult::Outcome::kSent) {
    spdlog::warn("sign-in link for member {} not sent: {}", id->member_id, sent.detail);
  }
}

void SignIn::HandleLinkPage(const httplib::Request& req, httplib::Response& res) {
  // A GET never consumes: mail scanners and link previews follow links.
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  const std::string token = req.get_param_value("token");
  Page(res, 200, "Sign in",
       absl::StrCat("<h1>Sign in to Homecoming</h1><form method=\"post\" action=\"/auth/link\">"
                    "<input type=\"hidden\" name=\"token\" value=\"",
                    HtmlEscape(token), "\"><button type=\"submit\">Sign in</button></form>"));
}

void SignIn::StartSession(const std::string& member_id, httplib::Response& res) {
  pb::ResolveSignInRequest request;
  request.set_member_id(member_id);
  auto id = Resolve(request);
  if (!id.ok()) {
    return Page(res, 503, "Try again", "<h1>Homecoming is busy</h1><p>Please try again.</p>");
  }
  if (!id->found) {
    return Page(res, 400, "Sign in",
                absl::StrCat("<h1>", kLinkRefused,
                             "</h1><p><a href=\"/sign-in\">Ask for a new "
                             "link</a></p>"));
  }
  const std::string secret = NewSecret();
  auto session =
      store_.CreateSession(HashSecret(secret), id->member_id, id->roles, settings_.session_ttl);
  if (!session.ok()) {
    return Page(res, 503, "Try again", "<h1>Homecoming is busy</h1><p>Please try again.</p>");
  }
  res.set_header("Set-Cookie", SessionCookie(secret, settings_.session_ttl, secure_));
  res.set_header("Cache-Control", "no-store");
  res.set_redirect("/", 303);
}

void SignIn::HandleLinkPost(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Referrer-Policy", "no-referrer");
  if (!SameOrigin(req)) {
    return Page(res, 403, "Refused", "<h1>This request came from another site</h1>");
  }
  const std::string token = req.get_param_value("token");
  std::optional<std::string> member;
  if (LooksLikeSecret(token)) {
    auto consumed = store_.ConsumeLink(HashSecret(token));
    if (!consumed.ok()) {
      return Page(res, 503, "Try again", "<h1>Homecoming is busy</h1><p>Please try again.</p>");
    }
    member = *consumed;
  }
  if (!member) {
    return Page(res, 400, "Sign in",
                absl::StrCat("<h1>", kLinkRefused,
                             "</h1><p><a href=\"/sign-in\">Ask for a new "
                             "link</a></p>"));
  }
  StartSession(*member, res);
}

void SignIn::HandleDevPage(const httplib::Request& req, httplib::Response& res) {
  (void)req;
  if (settings_.profile != "local") return ConnectError(res, 404, "not_found", "not found");
  std::string body = "<h1>Dev sign-in</h1><p>Local runs only.</p><ul>";
  for (const auto& [id, label] : dev_users_) {
    absl::StrAppend(&body,
                    "<li><form method=\"post\" action=\"/auth/dev\"><input type=\"hidden\" "
                    "name=\"member_id\" value=\"",
                    HtmlEscape(id), "\"><button type=\"submit\">", HtmlEscape(label),
                    "</button></form></li>");
  }
  Page(res, 200, "Dev sign-in", body + "</ul>");
}

void SignIn::HandleDevPost(const httplib::Request& req, httplib::Response& res) {
  if (settings_.profile != "local") return ConnectError(res, 404, "not_found", "not found");
  if (!SameOrigin(req)) {
    return Page(res, 403, "Refused", "<h1>This request came from another site</h1>");
  }
  const std::string member_id = req.get_param_value("member_id");
  bool listed = false;
  for (const auto& [id, label] : dev_users_) listed = listed || id == member_id;
  if (!listed || !hc::ids::IsUuid(member_id)) {
    return Page(res, 400, "Dev sign-in", "<h1>Not a dev user</h1>");
  }
  StartSession(member_id, res);
}

void SignIn::HandleSignOut(const httplib::Request& req, httplib::Response& res) {
  if (!SameOrigin(req)) return ConnectError(res, 403, "permission_denied", "cross-site request");
  auto session = Find(SessionCookieValue(req.get_header_value("Cookie"), secure_));
  if (!session.ok()) {
    if (absl::IsUnauthenticated(session.status())) {
      return ConnectError(res, 401, "unauthenticated", "no session");
    }
    return ConnectError(res, 503, "unavailable", "sessions are unavailable; try again");
  }
  const std::string csrf = req.get_header_value(std::string(kCsrfHeader));
  if (csrf.size() != session->csrf_token.size() ||
      sodium_memcmp(csrf.data(), session->csrf_token.data(), csrf.size()) != 0) {
    return ConnectError(res, 403, "permission_denied", "missing or wrong CSRF token");
  }
  DropCachedSessions([&](const Session& s) { return s.id == session->id; });
  if (!store_.Revoke(session->id).ok()) {
    return ConnectError(res, 503, "unavailable", "sessions are unavailable; try again");
  }
  {
    std::lock_guard lock(token_mu_);
    tokens_.erase(session->id);
  }
  res.status = 204;
  res.set_header("Set-Cookie", ClearedSessionCookie(secure_));
}

}  // namespace edge::session
