#pragma once

#include <spdlog/spdlog.h>

#include "libs/config/config.h"
#include "libs/grpc/server.h"
#include "libs/log/log.h"

namespace hc::service {

// The whole main() of a service: settings from HC_* variables (a bad one exits non-zero with a
// message), JSON logs, start, then a graceful shutdown on SIGTERM or SIGINT.
// `App` has App(Settings), Start() and Shutdown(); `Settings` has FromEnv(Env&) and `service`.
// `--list-settings` prints the settings Settings::FromEnv reads (config::PrintSettingsList) and
// exits 0 without starting anything.
template <typename App, typename Settings>
int RunMain(const char* name, int argc, char** argv) {
  if (config::ListSettingsRequested(argc, argv)) {
    config::Env env = config::Env::ForListing();
    auto settings = Settings::FromEnv(env);
    config::PrintSettingsList(env, settings.status());
    return 0;
  }
  grpc_server::SkipMutexDeadlockDetection();
  grpc_server::BlockTerminationSignals();
  config::Env env;
  auto settings = Settings::FromEnv(env);
  config::ExitIfInvalid(settings.status(), name);
  log::Init(name, settings->service.log_level);

  App app(*settings);
  if (absl::Status started = app.Start(); !started.ok()) {
    spdlog::critical("{} failed to start: {}", name, started.ToString());
    return 1;
  }
  int signal_number = grpc_server::WaitForTerminationSignal();
  spdlog::info("{} received signal {}, shutting down", name, signal_number);
  app.Shutdown();
  spdlog::info("{} stopped", name);
  return 0;
}

template <typename App, typename Settings>
int RunMain(const char* name) {
  return RunMain<App, Settings>(name, 0, nullptr);
}

}  // namespace hc::service
