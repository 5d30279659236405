#include "tools/hc-service-tokens/settings.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace hc::service_tokens {
namespace {

// A service name as Secret names and token subjects use it: lowercase letters, digits and '-',
// starting with a letter (a DNS label, so `<name>-service-token` is a valid Secret name).
bool ValidService(const std::string& name) {
  if (name.empty() || name.size() > 48 || name[0] < 'a' || name[0] > 'z') return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return name.back() != '-';
}

}  // namespace

std::optional<std::string> ReadFileContent(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return content.str();
}

absl::StatusOr<Settings> ReadSettings(config::Env& env) {
  Settings s;
  s.signing_key_file = env.Required("HC_JWT_SIGNING_KEY_FILE");
  s.algorithm = env.String("HC_JWT_ALG", s.algorithm);
  s.issuer = env.Required("HC_JWT_ISSUER");
  s.audience = env.String("HC_JWT_AUDIENCE", s.audience);
  const std::string services = env.Required("HC_SERVICE_TOKEN_SERVICES");
  s.ttl = std::chrono::seconds(env.Int("HC_SERVICE_TOKEN_TTL_SECONDS", s.ttl.count(), 300, 86400));
  s.kube.api_url = env.String("HC_KUBE_API_URL", "");
  s.kube.namespace_name = env.String("HC_KUBE_NAMESPACE", "");
  s.kube.token_file = env.String("HC_KUBE_TOKEN_FILE", s.kube.token_file);
  s.kube.ca_file = env.String("HC_KUBE_CA_FILE", s.kube.ca_file);
  s.kube.attempts = static_cast<int>(env.Int("HC_KUBE_ATTEMPTS", s.kube.attempts, 1, 20));
  s.kube.timeout =
      std::chrono::seconds(env.Int("HC_KUBE_TIMEOUT_SECONDS", s.kube.timeout.count(), 1, 300));
  s.kubernetes_service_host = env.String("KUBERNETES_SERVICE_HOST", "");
  s.kubernetes_service_port = env.String("KUBERNETES_SERVICE_PORT", "443");
  if (auto status = env.Check(); !status.ok()) return status;

  std::vector<std::string> problems;
  for (absl::string_view part : absl::StrSplit(services, ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(part));
    if (!ValidService(name)) {
      problems.push_back("HC_SERVICE_TOKEN_SERVICES: '" + name +
                         "' is not a service name (lowercase letters, digits, '-')");
    }
    s.services.push_back(std::move(name));
  }
  if (s.services.empty()) problems.push_back("HC_SERVICE_TOKEN_SERVICES names no service");
  if (s.algorithm != "RS256" && s.algorithm != "HS256") {
    problems.push_back("HC_JWT_ALG=" + s.algorithm + " must be RS256 or HS256");
  }
  if (!problems.empty()) {
    return absl::InvalidArgumentError("invalid configuration: " + absl::StrJoin(problems, "; "));
  }
  return s;
}

absl::Status ResolveInCluster(Settings& settings) {
  KubeOptions& kube = settings.kube;
  if (kube.api_url.empty()) {
    if (settings.kubernetes_service_host.empty()) {
      return absl::FailedPreconditionError(
          "no Kubernetes API: KUBERNETES_SERVICE_HOST is unset (not in a pod) and so is "
          "HC_KUBE_API_URL");
    }
    // An IPv6 service address needs brackets in a URL.
    const std::string& host = settings.kubernetes_service_host;
    kube.api_url = "https://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) +
                   ":" + settings.kubernetes_service_port;
  }
  if (kube.namespace_name.empty()) {
    auto name = ReadFileContent(std::string(kServiceAccountDir) + "/namespace");
    if (!name || absl::StripAsciiWhitespace(*name).empty()) {
      return absl::FailedPreconditionError(
          "no namespace: HC_KUBE_NAMESPACE is unset and the ServiceAccount's namespace file is "
          "not readable");
    }
    kube.namespace_name = std::string(absl::StripAsciiWhitespace(*name));
  }
  return absl::OkStatus();
}

}  // namespace hc::service_tokens
