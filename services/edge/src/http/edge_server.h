#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "libs/metrics/metrics.h"
#include "services/edge/src/gateway/inbox_stream.h"
#include "services/edge/src/gateway/transcoder.h"
#include "services/edge/src/http/rate_limiter.h"
#include "services/edge/src/session/session.h"
#include "services/edge/src/settings.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace edge::http {

// The edge's HTTP server: the cross-cutting parts every response goes through (security
// headers, same-origin and body-size checks, per-address rate limit, RED metrics, request
// ids), the Connect API, the inbox stream, health, metrics and the web app's files.
//
// Order of use: construct (adds the API, /stream/inbox, /healthz, /metrics), let the sign-in
// side add its routes to server(), then Start(), which adds the web app's catch-all GET last
// (httplib matches routes in the order they were added) and starts listening.
class EdgeServer {
 public:
  EdgeServer(const Settings& settings, session::SessionAuthority& sessions,
             RateLimiter& rate_limiter, gateway::Backends backends, prometheus::Registry& registry);
  ~EdgeServer();

  httplib::Server& server() { return *server_; }

  // Binds HC_EDGE_HTTP_ADDR and serves on a thread of its own.
  absl::Status Start();
  // Graceful: stops accepting, ends the inbox streams, lets in-flight requests finish.
  void Stop();
  int port() const { return port_; }

 private:
  struct Hooks;
  void HandleUnary(const httplib::Request& req, httplib::Response& res);
  void HandleInboxStream(const httplib::Request& req, httplib::Response& res);
  void HandleHealth(httplib::Response& res);
  // The backends that don't answer gRPC health SERVING, space-separated ("" when all do).
  std::string CheckBackends();
  void HandleStatic(const httplib::Request& req, httplib::Response& res);
  // The session named by the request's cookie; on failure the error is written to `res`.
  std::optional<session::Session> SessionOf(const httplib::Request& req, httplib::Response& res);
  // False (429 written to `res`) when the pre-routing handler found the session's bucket full.
  bool WithinSessionRate(httplib::Response& res);
  std::string_view CookieName() const;

  Settings settings_;
  session::SessionAuthority& sessions_;
  RateLimiter& rate_limiter_;
  gateway::Backends backends_;
  prometheus::Registry& registry_;
  hc::metrics::GrpcClientMetrics client_metrics_;
  gateway::Transcoder transcoder_;
  gateway::InboxStreams inbox_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& durations_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = -1;
  // HC_EDGE_PUBLIC_URL's origin: what a same-origin request's Origin header names.
  std::string public_origin_;
  // /healthz asks every backend; its answer is reused for a second, so hammering it costs the
  // backends nothing more. Callers within a check wait for it rather than start their own.
  std::mutex health_mu_;
  std::chrono::steady_clock::time_point health_checked_{};
  std::string health_down_;  // "" when every backend answered SERVING
};

// Helpers of the cross-cutting checks, public for tests.

// The value of cookie `name` in a Cookie header, or "".
std::string CookieValue(std::string_view header, std::string_view name);
// A client-supplied request id when it is short and plain, else a fresh random one.
std::string RequestId(std::string_view header);
// Equal strings, in time independent of where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace edge::http
