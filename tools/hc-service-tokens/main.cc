// hc-service-tokens: mints each named service's token with the issuer's key and writes it to
// Secret `<service>-service-token` through the Kubernetes API. Run by the CronJob
// `service-tokens` (k8s/base/service-tokens.yaml). See tools/hc-service-tokens/README.md.
//
// Exit status: 0 every Secret renewed; 1 some were not (each named on stderr); 2 bad settings.
#include <curl/curl.h>

#include <chrono>
#include <iostream>

#include "libs/config/config.h"
#include "tools/hc-service-tokens/kube_client.h"
#include "tools/hc-service-tokens/renew.h"
#include "tools/hc-service-tokens/settings.h"

int main(int argc, char** argv) {
  namespace st = hc::service_tokens;
  if (hc::config::ListSettingsRequested(argc, argv)) {
    hc::config::Env env = hc::config::Env::ForListing();
    // Every variable is read before any is checked, so the list is whole even though the
    // checks refuse the empty values listing reads.
    (void)st::ReadSettings(env);
    hc::config::PrintSettingsList(env, absl::OkStatus());
    return 0;
  }
  if (argc > 1) {
    std::cerr << "usage: hc-service-tokens [--list-settings]  (settings by environment: "
                 "tools/hc-service-tokens/README.md)\n";
    return 2;
  }
  hc::config::Env env;
  auto settings = st::ReadSettings(env);
  hc::config::ExitIfInvalid(settings.status(), "hc-service-tokens");
  hc::config::ExitIfInvalid(st::ResolveInCluster(*settings), "hc-service-tokens");
  auto key = st::ReadFileContent(settings->signing_key_file);
  if (!key || key->empty()) {
    std::cerr << "hc-service-tokens: HC_JWT_SIGNING_KEY_FILE=" << settings->signing_key_file
              << " cannot be read\n";
    return 2;
  }
  // As the edge reads the same file: an HS256 secret without the newline an editor adds.
  if (settings->algorithm == "HS256") {
    while (!key->empty() && (key->back() == '\n' || key->back() == '\r' || key->back() == ' ')) {
      key->pop_back();
    }
  }

  curl_global_init(CURL_GLOBAL_DEFAULT);
  st::KubeClient kube(settings->kube, std::cerr);
  const int failed =
      st::RenewAll(*settings, *key, kube, std::cerr, std::chrono::system_clock::now());
  curl_global_cleanup();
  if (failed > 0) {
    std::cerr << "hc-service-tokens: " << failed << " of " << settings->services.size()
              << " Secrets not renewed\n";
    return 1;
  }
  return 0;
}
