// events: wiring only. Settings come from HC_* environment variables (see README.md).
#include <spdlog/spdlog.h>

#include "libs/config/config.h"
#include "libs/grpc/server.h"
#include "libs/log/log.h"
#include "services/events/src/app.h"

int main() {
  hc::grpc_server::BlockTerminationSignals();
  hc::config::Env env;
  auto settings = events::Settings::FromEnv(env);
  hc::config::ExitIfInvalid(settings.status(), "events");
  hc::log::Init("events", settings->service.log_level);

  events::App app(*settings);
  if (absl::Status started = app.Start(); !started.ok()) {
    spdlog::critical("events failed to start: {}", started.ToString());
    return 1;
  }
  int signal_number = hc::grpc_server::WaitForTerminationSignal();
  spdlog::info("events received signal {}, shutting down", signal_number);
  app.Shutdown();
  spdlog::info("events stopped");
  return 0;
}
