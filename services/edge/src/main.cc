// edge: wiring only. Settings come from HC_* environment variables (see README.md).
#include <spdlog/spdlog.h>

#include "libs/config/config.h"
#include "libs/grpc/client.h"
#include "libs/grpc/server.h"
#include "libs/log/log.h"
#include "libs/metrics/metrics.h"
#include "services/edge/src/http/edge_server.h"
#include "services/edge/src/http/redis_rate_limiter.h"
#include "services/edge/src/session/sign_in.h"
#include "services/edge/src/settings.h"

namespace {

// The gateway and sign-in meet here: `sign_in` answers for every cookie, and its routes
// (/auth/*) go onto the server before Start() adds the app's catch-all GET (httplib matches
// routes in the order they were added).
int Serve(const edge::Settings& settings, edge::session::SignIn& sign_in,
          edge::http::RateLimiter& rate_limiter, const edge::gateway::Backends& backends,
          prometheus::Registry& registry) {
  edge::http::EdgeServer edge(settings, sign_in, rate_limiter, backends, registry);
  sign_in.Register(edge.server());
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

int main(int argc, char** argv) {
  if (hc::config::ListSettingsRequested(argc, argv)) {
    hc::config::Env env = hc::config::Env::ForListing();
    auto sign_in_settings = edge::session::ReadSignInSettings(env);
    auto settings = edge::Settings::FromEnv(env);
    hc::config::PrintSettingsList(env,
                                  settings.ok() ? sign_in_settings.status() : settings.status());
    return 0;
  }
  hc::grpc_server::SkipMutexDeadlockDetection();
  hc::grpc_server::BlockTerminationSignals();
  hc::config::Env env;
  // Read first: Settings::FromEnv checks every variable read so far, sign-in's included.
  absl::StatusOr<edge::session::SignInSettings> read_sign_in =
      edge::session::ReadSignInSettings(env);
  auto settings = edge::Settings::FromEnv(env);
  hc::config::ExitIfInvalid(settings.status(), "edge");
  hc::config::ExitIfInvalid(read_sign_in.status(), "edge");
  edge::session::SignInSettings sign_in_settings = *std::move(read_sign_in);
  hc::log::Init("edge", settings->log_level);
  // One decision for both halves: the gateway reads the cookie sign-in sets.
  sign_in_settings.profile = settings->profile == edge::Profile::kLocal ? "local" : "production";
  sign_in_settings.public_url = settings->public_url;
  sign_in_settings.secure_cookies = settings->secure_cookies();
  sign_in_settings.rate_key = settings->rate_key;
  hc::config::ExitIfInvalid(edge::session::MigrateSessionStore(sign_in_settings.database_url),
                            "edge");

  hc::metrics::Exposer exposer(settings->metrics_address);
  edge::http::RedisRateLimiter rate_limiter({.connection = settings->redis_connection(),
                                             .pool_size = static_cast<size_t>(settings->threads)},
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

  edge::session::SignIn sign_in(std::move(sign_in_settings), rate_limiter, backends.membership);
  return Serve(*settings, sign_in, rate_limiter, backends, exposer.registry());
}
