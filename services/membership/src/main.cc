// membership: wiring only. Settings come from HC_* environment variables (see README.md).
#include <spdlog/spdlog.h>

#include "libs/config/config.h"
#include "libs/grpc/server.h"
#include "libs/log/log.h"
#include "services/membership/src/app.h"

int main() {
  hc::grpc_server::BlockTerminationSignals();
  hc::config::Env env;
  auto settings = membership::Settings::FromEnv(env);
  hc::config::ExitIfInvalid(settings.status(), "membership");
  hc::log::Init("membership", settings->service.log_level);

  membership::App app(*settings);
  if (absl::Status started = app.Start(); !started.ok()) {
    spdlog::critical("membership failed to start: {}", started.ToString());
    return 1;
  }
  int signal_number = hc::grpc_server::WaitForTerminationSignal();
  spdlog::info("membership received signal {}, shutting down", signal_number);
  app.Shutdown();
  spdlog::info("membership stopped");
  return 0;
}
