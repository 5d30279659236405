// edge: wiring only. Settings come from HC_* environment variables (see README.md).
#include <spdlog/spdlog.h>

#include "libs/config/config.h"
#include "libs/grpc/client.h"
#include "libs/grpc/server.h"
#include "libs/log/log.h"
#include "libs/metrics/metrics.h"
#include "services/edge/src/http/edge_server.h"
#include "services/edge/src/http/redis_rate_limiter.h"
#include "services/edge/src/settings.h"

namespace {

// Until the sign-in library is linked: nobody has a session, so the app is served and every
// API call answers 401. The lead replaces it with edge::session::SignIn (see Serve).
class NoSessions : public edge::session::SessionAuthority {
 public:
  absl::StatusOr<edge::session::Session> Find(std::string_view) override {
    return absl::UnauthenticatedError("sign-in is not wired into this build");
  }
  absl::StatusOr<std::string> AccessToken(const edge::session::Session&) override {
    return absl::UnauthenticatedError("sign-in is not wired into this build");
  }
};

// THE wiring point between the gateway and sign-in: `sessions` answers for every cookie, and
// the sign-in routes go onto edge.server() before Start().
int Serve(const edge::Settings& settings, edge::session::SessionAuthority& sessions,
          edge::http::RateLimiter& rate_limiter, const edge::gateway::Backends& backends,
          prometheus::Registry& registry) {
  edge::http::EdgeServer edge(settings, sessions, rate_limiter, backends, registry);
  // sign_in.Register(edge.server());   <- the sign-in routes (/auth/*), before Start()
  if (absl::Status started = edge.Start(); !started.ok()) {
    spdlog::critical("edge failed to start: {}", started.ToString());
    return 1;
  }
  spdlog::info("edge listening on {} ({} profile)", settings.http_address,
               settings.profile == edge::Profile::kLocal ? "local" : "production");
  const int signal_number = hc::grpc_server::WaitForTerminationSignal();
  spdlog::info("edge received signal {}, shutting down", signal_number);
  edge.Stop();
  spdlog::info("edge stopped");
  return 0;
}

}  // namespace

int main() {
  hc::grpc_server::BlockTerminationSignals();
  hc::config::Env env;
  auto settings = edge::Settings::FromEnv(env);
  hc::config::ExitIfInvalid(settings.status(), "edge");
  hc::log::Init("edge", settings->log_level);

  hc::metrics::Exposer exposer(settings->metrics_address);
  edge::http::RedisRateLimiter rate_limiter(
      {.address = settings->redis_address, .pool_size = static_cast<size_t>(settings->threads)},
      exposer.registry());
  edge::gateway::Backends backends;
  const std::pair<const char*, std::pair<const hc::grpc_client::ChannelOptions*,
                                         std::shared_ptr<grpc::Channel>*>>
      channels[] = {{"HC_MEMBERSHIP_ADDR", {&settings->membership, &backends.membership}},
                    {"HC_EVENTS_ADDR", {&settings->events, &backends.events}},
                    {"HC_VOLUNTEERING_ADDR", {&settings->volunteering, &backends.volunteering}},
                    {"HC_NOTIFICATIONS_ADDR", {&settings->notifications, &backends.notifications}}};
  for (const auto& [variable, target] : channels) {
    auto channel = hc::grpc_client::MakeChannel(*target.first);
    if (!channel.ok()) {
      hc::config::ExitIfInvalid(absl::InvalidArgumentError(std::string(variable) + ": " +
                                                           std::string(channel.status().message())),
                                "edge");
    }
    *target.second = *channel;
  }

  // Sign-in is not linked yet: see Serve for where edge::session::SignIn goes.
  NoSessions sessions;
  return Serve(*settings, sessions, rate_limiter, backends, exposer.registry());
}
