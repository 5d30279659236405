#include "services/edge/src/http/edge_server.h"

#include <httplib.h>
#include <prometheus/text_serializer.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/edge/src/gateway/allow_list.h"
#include "services/edge/src/gateway/connect.h"
#include "services/edge/src/http/address_key.h"
#include "services/edge/src/http/origin.h"
#include "services/edge/src/http/peer_socket.h"

namespace edge::http {
namespace {

using gateway::ConnectError;
using gateway::MakeConnectError;
using gateway::ToConnectError;

constexpr char kJson[] = "application/json";
constexpr char kCsp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// What the cross-cutting hooks know about the request being served. httplib runs the
// pre-routing handler, the route's handler and the post-routing handler of one request on
// the same worker thread, one request at a time, so a thread-local is that request's.
struct RequestState {
  std::chrono::steady_clock::time_point started;
  // The metrics label: a route pattern or an RPC's full name, never a raw path.
  std::string route;
  std::string method;      // as the client sent it (a refused request's is changed)
  int refused_status = 0;  // the pre-routing handler refused the request with this status
  std::string request_id;
  // Set by the pre-routing handler. A response httplib writes without it (414 for an
  // over-long URI, 400 for a malformed request line) must not reuse the previous request's
  // state, so the post-routing handler resets the whole struct when it is done.
  bool active = false;
  // The pre-routing handler counted this request's session bucket (with its address bucket,
  // in one round trip) and it is over its limit: the handler answers 429 once it has found
  // the session valid, where the session limit has always applied.
  bool session_over_limit = false;
};
thread_local RequestState current;

void Answer(httplib::Response& res, const ConnectError& error) {
  res.status = error.http_status;
  res.set_content(error.body, kJson);
}

// Seconds until the current one-minute window ends, for Retry-After.
int SecondsToNextMinute() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return static_cast<int>(60 - now % 60);
}

void TooManyRequests(httplib::Response& res) {
  Answer(res, MakeConnectError(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "too many requests; try again in a minute"));
  res.set_header("Retry-After", std::to_string(SecondsToNextMinute()));
}

bool IsStateChanging(const std::string& method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

std::string_view ContentTypeOf(std::string_view path) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

// Whether `path` (the URL path) may name a file of the web app: plain characters, no `..`.
bool SafeFilePath(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '.' && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return path.find("..") == std::string_view::npos && path.find("//") == std::string_view::npos;
}

std::optional<std::string> ReadWebFile(const std::string& dir, std::string_view path) {
  std::ifstream in(dir + std::string(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Refuses `req` with the answer already in the response. For a request with a body, returning
// Handled from the pre-routing handler would leave the body unread on a keep-alive connection,
// where httplib 0.11 parses it as the next request (it ignores a response's
// `Connection: close`). So such a request goes on as a PATCH, which httplib reads (or skips)
// the body of and for which the edge has no route; the refusal in the response is then sent as
// it stands (the error handler restores its status). httplib's Request is a non-const object
// it passes on as const, so changing it here is defined.
httplib::Server::HandlerResponse Refuse(const httplib::Request& req, httplib::Response& res) {
  current.refused_status = res.status;
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") {
    return httplib::Server::HandlerResponse::Handled;  // no body to read
  }
  const_cast<httplib::Request&>(req).method = "PATCH";
  return httplib::Server::HandlerResponse::Unhandled;
}

// /healthz counts like any request (its answer is cached, but a flood still costs a thread);
// /metrics is only on the main port in the local profile.
bool SkipsAddressLimit(const std::string& path) { return path == "/metrics"; }

// The routes whose handlers apply the session limit (the Connect API and the inbox stream), so
// the pre-routing handler counts the session bucket with the address one. Loose on purpose: a
// path it takes for a Connect one that no route matches only costs that cookie a count.
bool TakesSessionLimit(const httplib::Request& req) {
  if (req.method == "GET") return req.path == "/stream/inbox";
  if (req.method != "POST" || req.path.size() < 4 || req.path[0] != '/') return false;
  const size_t slash = req.path.find('/', 1);
  return slash != std::string::npos && req.path.find('.') < slash &&
         req.path.find('/', slash + 1) == std::string::npos;
}

}  // namespace

std::string CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = std::min(header.find(';'), header.size());
    std::string_view part = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return "";
}

std::string RequestId(std::string_view header) {
  if (!header.empty() && header.size() <= 64) {
    bool plain = true;
    for (char c : header) {
      plain = plain && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-');
    }
    if (plain) return std::string(header);
  }
  unsigned char bytes[12];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

EdgeServer::EdgeServer(const Settings& settings, session::SessionAuthority& sessions,
                       RateLimiter& rate_limiter, gateway::Backends backends,
                       prometheus::Registry& registry)
    : settings_(settings),
      sessions_(sessions),
      rate_limiter_(rate_limiter),
      backends_(backends),
      registry_(registry),
      client_metrics_(registry),
      transcoder_(backends, &client_metrics_),
      inbox_(backends.notifications, settings.max_streams, settings.max_streams_per_member,
             settings.stream_heartbeat, &client_metrics_),
      requests_(prometheus::BuildCounter()
                    .Name("http_requests_total")
                    .Help("HTTP requests by route pattern, method and status code")
                    .Register(registry)),
      durations_(prometheus::BuildHistogram()
                     .Name("http_request_duration_seconds")
                     .Help("HTTP request latency (to the response headers) by route pattern")
                     .Register(registry)) {
  if (sodium_init() < 0) spdlog::critical("edge: libsodium did not initialise");
  public_origin_ = OriginOf(settings_.public_url);
  if (settings_.tls()) {
    server_ = std::make_unique<httplib::SSLServer>(settings_.tls_cert_file.c_str(),
                                                   settings_.tls_key_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  httplib::Server& server = *server_;
  const int threads = settings_.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // Without it every response with a body waits for the client's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(static_cast<size_t>(settings_.keep_alive_requests));
  server.set_keep_alive_timeout(30);
  server.set_payload_max_length(settings_.max_body_bytes);

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    current.active = true;
    current.started = std::chrono::steady_clock::now();
    current.route = "unmatched";
    current.method = req.method;
    current.refused_status = 0;
    current.request_id = RequestId(req.get_header_value("X-Request-Id"));
    if (!SkipsAddressLimit(req.path)) {
      // Every limit the request is subject to in one round trip. The session bucket is keyed
      // by a keyed hash of the cookie (known here without looking the session up), so a
      // session's requests count together and the key holds no secret.
      const std::string address_key = AddressKey(settings_.rate_key, req.remote_addr);
      std::string session_key;
      Limit limits[2] = {{.bucket = "ip",
                          .key = address_key,
                          .limit = settings_.ip_rate_per_minute,
                          .window = std::chrono::seconds(60)}};
      size_t count = 1;
      if (TakesSessionLimit(req)) {
        const std::string cookie = CookieValue(req.get_header_value("Cookie"), CookieName());
        if (!cookie.empty()) {
          session_key = AddressKey(settings_.rate_key, cookie);
          limits[count++] = {.bucket = "session",
                             .key = session_key,
                             .limit = settings_.session_rate_per_minute,
                             .window = std::chrono::seconds(60)};
        }
      }
      const std::optional<size_t> refused =
          rate_limiter_.FirstRefused(std::span<const Limit>(limits, count));
      if (refused == size_t{0}) {
        current.route = "rate_limited";
        TooManyRequests(res);
        return Refuse(req, res);
      }
      current.session_over_limit = refused == size_t{1};
    }
    if (IsStateChanging(req.method) && !IsSameOrigin(req, public_origin_)) {
      current.route = "cross_site";
      Answer(res, MakeConnectError(grpc::StatusCode::PERMISSION_DENIED,
                                   "cross-site requests are refused"));
      return Refuse(req, res);
    }
    // Bodies over HC_EDGE_MAX_BODY_BYTES: httplib answers 413 itself (set_payload_max_length)
    // and skips the body; the error handler below gives the answer its JSON.
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Errors httplib produces itself (no route, a body over the limit) get a body in the same
  // shape as ours.
  server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&,
                                                                   httplib::Response& res) {
    // Handled (even when the body is ours already) makes httplib add the Content-Length of a
    // response that took its unrouted path.
    if (current.refused_status != 0) {
      res.status = current.refused_status;
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;
    if (res.content_length_ > 0) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      current.route = "too_large";
      Answer(res, MakeConnectError(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                   "the request body is too large"));
      res.status = 413;
    } else if (current.method == "POST") {
      Answer(res, MakeConnectError(grpc::StatusCode::UNIMPLEMENTED, "no such method"));
      res.status = 404;
    } else {
      res.set_content(res.status == 404 ? "not found\n" : "error\n", "text/plain; charset=utf-8");
    }
    return httplib::Server::HandlerResponse::Handled;
  }));

  server.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!current.active) {
      // httplib answered before routing (414, 400): this response's own state.
      current.started = std::chrono::steady_clock::now();
      current.route = "unrouted";
      current.method = req.method.empty() ? "unknown" : req.method;
      current.request_id = RequestId("");
    }
    res.set_header("Content-Security-Policy", kCsp);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    // The sign-in pages that carry a secret in their URL set no-referrer themselves.
    if (!res.has_header("Referrer-Policy")) res.set_header("Referrer-Policy", "same-origin");
    if (settings_.tls()) {
      res.set_header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
    res.set_header("X-Request-Id", current.request_id);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - current.started).count();
    requests_
        .Add({{"route", current.route},
              {"method", current.method},
              {"code", std::to_string(res.status)}})
        .Increment();
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    durations_.Add({{"route", current.route}}, kBuckets).Observe(seconds);
    current = RequestState{};
  });

  // Connect unary: /<package>.<Service>/<Method>. The dot keeps /auth/... out of it.
  server.Post(
      R"(/([a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+)/([A-Za-z0-9_]+))",
      [this](const httplib::Request& req, httplib::Response& res) { HandleUnary(req, res); });
  server.Get("/stream/inbox", [this](const httplib::Request& req, httplib::Response& res) {
    HandleInboxStream(req, res);
  });
  server.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    current.route = "/healthz";
    HandleHealth(res);
  });
  if (settings_.profile == Profile::kLocal) {
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      current.route = "/metrics";
      std::ostringstream out;
      prometheus::TextSerializer().Serialize(out, registry_.Collect());
      res.set_content(out.str(), "text/plain; version=0.0.4");
    });
  }
}

EdgeServer::~EdgeServer() { Stop(); }

std::optional<session::Session> EdgeServer::SessionOf(const httplib::Request& req,
                                                      httplib::Response& res) {
  const std::string cookie = CookieValue(req.get_header_value("Cookie"), CookieName());
  if (cookie.empty()) {
    Answer(res, MakeConnectError(grpc::StatusCode::UNAUTHENTICATED, "sign in first"));
    return std::nullopt;
  }
  auto found = sessions_.Find(cookie);
  if (!found.ok()) {
    Answer(res, absl::IsUnauthenticated(found.status())
                    ? MakeConnectError(grpc::StatusCode::UNAUTHENTICATED,
                                       "your session has ended; sign in again")
                    : ToConnectError(found.status()));
    return std::nullopt;
  }
  return *std::move(found);
}

std::string_view EdgeServer::CookieName() const {
  // The same decision sign-in made when it set the cookie (Settings::secure_cookies()).
  return settings_.secure_cookies() ? session::kSecureCookieName : session::kCookieName;
}

bool EdgeServer::WithinSessionRate(httplib::Response& res) {
  if (!current.session_over_limit) return true;
  TooManyRequests(res);
  return false;
}

void EdgeServer::HandleUnary(const httplib::Request& req, httplib::Response& res) {
  const gateway::PublicRpc* rpc =
      gateway::FindPublicRpc(req.matches[1].str(), req.matches[2].str());
  if (rpc == nullptr) {
    // 404 rather than Connect's 501: to a browser an RPC that isn't public does not exist.
    current.route = "not_public";
    Answer(res, MakeConnectError(grpc::StatusCode::UNIMPLEMENTED, "no such method"));
    res.status = 404;
    return;
  }
  current.route = std::string(rpc->full_name);
  const std::string content_type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
  if (content_type != "application/json" && !content_type.starts_with("application/json;")) {
    Answer(res, MakeConnectError(grpc::StatusCode::INVALID_ARGUMENT,
                                 "Content-Type must be application/json"));
    res.status = 415;
    return;
  }
  std::optional<session::Session> session = SessionOf(req, res);
  if (!session) return;
  if (!ConstantTimeEquals(req.get_header_value(std::string(session::kCsrfHeader)),
                          session->csrf_token) ||
      session->csrf_token.empty()) {
    return Answer(res, MakeConnectError(grpc::StatusCode::PERMISSION_DENIED,
                                        "missing or wrong X-CSRF-Token"));
  }
  if (!WithinSessionRate(res)) return;
  if (rpc->access == gateway::Access::kStaff) {
    bool staff = false;
    for (const std::string& role : session->roles) {
      staff = staff || role == hc::auth::kRoleCoordinator || role == hc::auth::kRoleAdmin;
    }
    if (!staff) {
      return Answer(res, MakeConnectError(grpc::StatusCode::PERMISSION_DENIED,
                                          "only coordinators and admins may do this"));
    }
  }
  const auto timeout = gateway::CallTimeout(req.get_header_value("Connect-Timeout-Ms"),
                                            settings_.default_timeout, settings_.max_timeout);
  if (!timeout) {
    return Answer(res, MakeConnectError(grpc::StatusCode::INVALID_ARGUMENT,
                                        "Connect-Timeout-Ms must be a positive integer"));
  }
  auto token = sessions_.AccessToken(*session);
  if (!token.ok()) return Answer(res, ToConnectError(token.status()));
  gateway::Transcoder::Result result = transcoder_.Unary({.rpc = rpc,
                                                          .json = req.body,
                                                          .bearer_token = *token,
                                                          .timeout = *timeout,
                                                          .request_id = current.request_id});
  if (result.code == grpc::StatusCode::UNAUTHENTICATED) {
    // The backend refused a token the edge still held (a role revoked since it was minted):
    // mint a fresh one with the member's current roles and try once more. A second refusal is
    // the answer (the session itself may be over).
    sessions_.ForgetToken(*session);
    token = sessions_.AccessToken(*session);
    if (!token.ok()) return Answer(res, ToConnectError(token.status()));
    result = transcoder_.Unary({.rpc = rpc,
                                .json = req.body,
                                .bearer_token = *token,
                                .timeout = *timeout,
                                .request_id = current.request_id});
  }
  res.status = result.http_status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(result.body), kJson);
}

void EdgeServer::HandleInboxStream(const httplib::Request& req, httplib::Response& res) {
  current.route = "/stream/inbox";
  std::optional<session::Session> session = SessionOf(req, res);
  if (!session) return;
  if (!WithinSessionRate(res)) return;
  auto token = sessions_.AccessToken(*session);
  if (!token.ok()) return Answer(res, ToConnectError(token.status()));
  if (absl::Status opened = inbox_.Open(session->member_id, *token, session->expires_at,
                                        current.request_id, PeerSocket(req), res);
      !opened.ok()) {
    // 503 when every stream is taken, 429 when this member has their share open.
    Answer(res, ToConnectError(opened));
    res.set_header("Retry-After", "5");
  }
}

void EdgeServer::HandleHealth(httplib::Response& res) {
  std::lock_guard lock(health_mu_);
  const auto now = std::chrono::steady_clock::now();
  if (health_checked_ == std::chrono::steady_clock::time_point{} ||
      now - health_checked_ >= std::chrono::seconds(1)) {
    health_down_ = CheckBackends();
    health_checked_ = std::chrono::steady_clock::now();
  }
  res.set_header("Cache-Control", "no-store");
  if (health_down_.empty()) {
    res.set_content("ok\n", "text/plain; charset=utf-8");
  } else {
    res.status = 503;
    res.set_content("unavailable: " + health_down_ + "\n", "text/plain; charset=utf-8");
  }
}

std::string EdgeServer::CheckBackends() {
  std::string down;
  const std::pair<const char*, std::shared_ptr<grpc::Channel>> backends[] = {
      {"membership", backends_.membership},
      {"events", backends_.events},
      {"volunteering", backends_.volunteering},
      {"notifications", backends_.notifications}};
  // Asked all at once: one slow backend must not add its wait to the others'.
  std::vector<std::future<bool>> serving;
  for (const auto& backend : backends) {
    serving.push_back(std::async(std::launch::async, [channel = backend.second] {
      auto stub = grpc::health::v1::Health::NewStub(channel);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      grpc::health::v1::HealthCheckResponse response;
      const grpc::Status status =
          stub->Check(&context, grpc::health::v1::HealthCheckRequest(), &response);
      return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
    }));
  }
  for (size_t i = 0; i < serving.size(); ++i) {
    if (!serving[i].get()) absl::StrAppend(&down, down.empty() ? "" : " ", backends[i].first);
  }
  return down;
}

void EdgeServer::HandleStatic(const httplib::Request& req, httplib::Response& res) {
  const std::string& path = req.path;
  const std::string_view last = std::string_view(path).substr(path.rfind('/') + 1);
  const bool names_file = last.find('.') != std::string_view::npos;
  if (names_file) {
    current.route = "static";
    std::optional<std::string> content;
    if (SafeFilePath(path)) content = ReadWebFile(settings_.web_dir, path);
    if (!content) {
      res.status = 404;
      return;
    }
    // Vite names every file under /assets by its content hash: it never changes.
    res.set_header("Cache-Control", path.starts_with("/assets/")
                                        ? "public, max-age=31536000, immutable"
                                        : "public, max-age=300");
    res.set_content(std::move(*content), std::string(ContentTypeOf(path)));
    return;
  }
  // Anything else without a dot is a route of the app (it routes on the path), except the
  // edge's own prefixes, whose unknown paths are simply not found.
  for (std::string_view own : {"/auth", "/stream", "/healthz", "/metrics"}) {
    if (path == own || path.starts_with(std::string(own) + "/")) {
      current.route = "not_found";
      res.status = 404;
      return;
    }
  }
  current.route = "app";
  std::optional<std::string> index = ReadWebFile(settings_.web_dir, "/index.html");
  if (!index) {
    res.status = 404;
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::move(*index), "text/html; charset=utf-8");
}

absl::Status EdgeServer::Start() {
  if (absl::Status checked = gateway::Transcoder::CheckAllowList(); !checked.ok()) return checked;
  // Last: httplib tries routes in the order they were added, and this one matches any GET.
  server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    HandleStatic(req, res);
  });
  const std::string& address = settings_.http_address;
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return absl::InvalidArgumentError("HC_EDGE_HTTP_ADDR=" + address + " must be host:port");
  }
  const std::string host = address.substr(0, colon);
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
  } else {
    port_ = server_->bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0 || !server_->is_valid()) {
    return absl::UnavailableError("HC_EDGE_HTTP_ADDR=" + address + ": cannot listen");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return absl::OkStatus();
}

void EdgeServer::Stop() {
  inbox_.Shutdown();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edge::http
