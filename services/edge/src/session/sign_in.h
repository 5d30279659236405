#pragma once

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "alumni/membership/v1/membership_service.grpc.pb.h"
#include "libs/config/config.h"
#include "libs/grpc/client.h"
#include "libs/postgres/pool.h"
#include "libs/smtp/smtp.h"
#include "services/edge/src/http/rate_limiter.h"
#include "services/edge/src/session/session.h"
#include "services/edge/src/session/store.h"

namespace edge::session {

struct SignInSettings {
  // These three come from edge::Settings (main.cc copies them), so that sign-in and the
  // gateway never disagree: HC_EDGE_PROFILE ("local" or "production"), HC_EDGE_PUBLIC_URL, and
  // whether cookies are Secure with the __Host- name (edge::Settings::secure_cookies()).
  std::string profile = "production";
  std::string public_url = "http://127.0.0.1:17080";
  bool secure_cookies = false;
  // HC_EDGE_RATE_KEY (from edge::Settings too): the key of the hashes in rate-limit keys.
  std::string rate_key = "homecoming-local-rate-key";
  std::string database_url;                     // HC_DATABASE_URL (the `edge` db)
  std::chrono::seconds session_ttl{12 * 3600};  // HC_EDGE_SESSION_TTL_HOURS
  std::chrono::seconds link_ttl{15 * 60};
  std::chrono::seconds access_token_ttl{300};  // HC_EDGE_ACCESS_TOKEN_TTL_SECONDS
  // Tokens are minted again when the held one has less than this left.
  std::chrono::seconds access_token_reuse_margin{60};
  std::string jwt_algorithm = "HS256";          // HC_JWT_ALG
  std::string jwt_issuer = "homecoming-local";  // HC_JWT_ISSUER
  std::string jwt_audience = "homecoming";      // HC_JWT_AUDIENCE
  // HS256: the shared secret; RS256: the PEM private key (HC_JWT_SIGNING_KEY_FILE's content).
  std::string jwt_signing_key;
  std::string service_token_file;  // HC_SERVICE_TOKEN_FILE
  std::string dev_users_file;      // HC_EDGE_DEV_USERS_FILE
  hc::smtp::SmtpSettings smtp;     // HC_SMTP_* and HC_SMTP_FROM (libs/smtp/settings.h)
  // How often the purge runs (HC_EDGE_PURGE_INTERVAL_SECONDS), and how long revoked or
  // expired sessions are kept before it deletes them.
  std::chrono::seconds purge_interval{3600};
  // How long a live session found in the store is trusted without asking it again
  // (HC_EDGE_SESSION_CACHE_MS; 0: ask every time), and how many are kept. Sign-out and a
  // member's end on this replica drop entries at once; other replicas see a revocation within
  // this time.
  std::chrono::milliseconds session_cache_ttl{1000};
  size_t session_cache_size = 10000;
  std::chrono::seconds purge_grace{24 * 3600};
  int links_per_address = 5;  // per link_ttl window
  int links_per_ip = 30;      // per link_ttl window
};

// Reads the settings above from the environment. Problems with single variables are collected
// in `env`; the mail settings are checked here (INVALID_ARGUMENT naming the variable).
absl::StatusOr<SignInSettings> ReadSignInSettings(hc::config::Env& env);

// Applies the `edge` database's migrations (services/edge/migrations).
absl::Status MigrateSessionStore(const std::string& database_url);

// Sign-in (emailed links, the local dev page), sessions and the access tokens minted for them.
// Register() adds the /auth/* routes; the gateway asks it as its SessionAuthority.
//
// Email-link requests are answered before anything is looked up: a worker thread resolves the
// address with membership, stores the link and sends the mail, so neither the answer nor its
// timing tells a member from a stranger.
class SignIn : public SessionAuthority {
 public:
  // `membership` reaches the membership service; `sender` is the SMTP sender (null: one built
  // from settings.smtp).
  SignIn(SignInSettings settings, http::RateLimiter& limiter,
         std::shared_ptr<grpc::Channel> membership,
         std::unique_ptr<hc::smtp::EmailSender> sender = nullptr);
  ~SignIn() override;
  SignIn(const SignIn&) = delete;
  SignIn& operator=(const SignIn&) = delete;

  void Register(httplib::Server& server);

  // A live session is cached for session_cache_ttl after the store named it: a revocation on
  // this replica (sign-out, the member gone) holds on the very next request, one on another
  // replica within that time.
  absl::StatusOr<Session> Find(std::string_view cookie_value) override;
  absl::StatusOr<std::string> AccessToken(const Session& session) override;
  void ForgetToken(const Session& session) override;

  // Email-link requests the worker has finished (sent, or found nobody to send to): tests
  // wait on it instead of sleeping.
  size_t links_processed() const { return processed_.load(); }
  // Deletes used and expired links and long-dead sessions (SessionStore::Purge); a thread of
  // SignIn's runs it every purge_interval.
  absl::StatusOr<int64_t> Purge();

 private:
  struct Identity {
    bool found = false;
    std::string member_id;
    std::string display_name;
    std::vector<std::string> roles;
  };
  struct CachedSession {
    Session session;
    std::chrono::steady_clock::time_point fetched;
  };
  struct CachedToken {
    std::string token;
    std::chrono::system_clock::time_point expires_at;
  };

  absl::StatusOr<Identity> Resolve(const alumni::membership::v1::ResolveSignInRequest& request);
  absl::StatusOr<std::string> ServiceTokenNow();
  // Creates a session for `member_id` (roles from membership) and sets its cookie and 303 /.
  void StartSession(const std::string& member_id, httplib::Response& res);
  bool SameOrigin(const httplib::Request& req) const;
  void Worker();
  void Purger();
  // The member is gone: every session of theirs ends, here and in the store.
  absl::Status EndMemberSessions(const std::string& member_id);
  void SendLink(const std::string& email);

  void HandleSession(const httplib::Request& req, httplib::Response& res);
  void HandleEmailLink(const httplib::Request& req, httplib::Response& res);
  void HandleLinkPage(const httplib::Request& req, httplib::Response& res);
  void HandleLinkPost(const httplib::Request& req, httplib::Response& res);
  void HandleDevPage(const httplib::Request& req, httplib::Response& res);
  void HandleDevPost(const httplib::Request& req, httplib::Response& res);
  void HandleSignOut(const httplib::Request& req, httplib::Response& res);

  SignInSettings settings_;
  bool secure_;
  std::string origin_;
  http::RateLimiter& limiter_;
  std::unique_ptr<alumni::membership::v1::MembershipService::Stub> membership_;
  std::unique_ptr<hc::smtp::EmailSender> sender_;
  hc::postgres::Pool pool_;
  SessionStore store_;
  std::unique_ptr<hc::grpc_client::ServiceToken> service_token_;
  // The dev users (local profile only): member id -> label.
  std::vector<std::pair<std::string, std::string>> dev_users_;

  // Drops cached sessions: the one with this secret hash / every one of the member / the one
  // with this id.
  void DropCachedSession(const std::string& secret_hash);
  void DropCachedSessions(const std::function<bool(const Session&)>& which);

  std::mutex session_mu_;
  std::unordered_map<std::string, CachedSession> sessions_;  // by secret hash

  std::mutex token_mu_;
  std::unordered_map<std::string, CachedToken> tokens_;  // by session id
  // Sessions whose token a backend refused: the next token's `iat`, at least one second after
  // the refusal (by session id; erased when that token is minted).
  std::unordered_map<std::string, std::chrono::system_clock::time_point> issue_not_before_;
  CachedToken self_token_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::string> queue_;
  bool stopping_ = false;
  std::atomic<size_t> processed_{0};
  std::thread worker_;
  std::condition_variable purge_cv_;  // with queue_mu_ and stopping_
  std::thread purger_;
};

// "alumnus", "peer_mentor", ... for membership's roles; unknown ones are left out.
std::vector<std::string> RoleNames(const google::protobuf::RepeatedField<int>& roles);

}  // namespace edge::session
