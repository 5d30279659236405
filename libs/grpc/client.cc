#include "libs/grpc/client.h"

#include <jwt.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace hc::grpc_client {
namespace {

bool IsLoopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address.rfind("localhost:", 0) == 0 ||
         address.rfind("[::1]:", 0) == 0 || address.rfind("ipv4:127.", 0) == 0;
}

// Every channel balances per call across all the addresses its name resolves to. gRPC's
// default, pick_first, pins a channel to one pod for its whole life, so behind a Kubernetes
// headless Service (`dns:///<svc>:17001`, one A record per ready pod) one replica would take
// all of a client's calls. A default service config applies unless the resolver supplies one
// (DNS TXT service configs are off by default).
constexpr char kDefaultServiceConfig[] = R"({"loadBalancingConfig":[{"round_robin":{}}]})";

grpc::ChannelArguments DefaultArguments() {
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(kDefaultServiceConfig);
  return args;
}

// `exp` of a token, without checking it: the services it is sent to check it.
std::chrono::system_clock::time_point ExpiryOf(const std::string& token) {
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), nullptr, 0) != 0 || raw == nullptr) return {};
  errno = 0;
  const long exp = jwt_get_grant_int(raw, "exp");
  const bool ok = errno == 0 && exp > 0;
  jwt_free(raw);
  return ok ? std::chrono::system_clock::from_time_t(exp) : std::chrono::system_clock::time_point{};
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ChannelOptions& options) {
  if (options.tls_cert_pem.empty() != options.tls_key_pem.empty()) {
    return absl::InvalidArgumentError("a client certificate needs its key, and the other way");
  }
  if (options.tls_ca_pem.empty()) {
    if (!options.tls_cert_pem.empty()) {
      return absl::InvalidArgumentError("a client certificate needs the CA bundle (TLS)");
    }
    if (!IsLoopback(options.address) && !options.allow_plaintext_non_loopback) {
      return absl::InvalidArgumentError(options.address +
                                        ": plaintext to another host; set the TLS CA bundle");
    }
    return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(),
                                     DefaultArguments());
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = options.tls_ca_pem;
  tls.pem_cert_chain = options.tls_cert_pem;
  tls.pem_private_key = options.tls_key_pem;
  grpc::ChannelArguments args = DefaultArguments();
  if (!options.tls_server_name.empty()) args.SetSslTargetNameOverride(options.tls_server_name);
  return grpc::CreateCustomChannel(options.address, grpc::SslCredentials(tls), args);
}

grpc::Status Observed(metrics::GrpcClientMetrics* metrics, std::string_view service,
                      std::string_view method, const std::function<grpc::Status()>& call) {
  const auto started = std::chrono::steady_clock::now();
  grpc::Status status = call();
  if (metrics) {
    metrics->Handled(
        service, method, status.error_code(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  }
  return status;
}

absl::StatusOr<std::string> ServiceToken::Get() {
  std::lock_guard lock(mu_);
  const auto now = options_.clock();
  if (!token_.empty() && now < fresh_until_) return token_;
  if (!options_.token_file.empty()) {
    std::ifstream in(options_.token_file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    std::string token = content.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    const auto expires = ExpiryOf(token);
    // Read again at most once a second, even when the token is close to expiry or the file
    // is bad: not on every call under the lock.
    const auto retry = now + std::chrono::seconds(1);
    if (!in || token.empty() || expires <= now) {
      if (!token_.empty() && ExpiryOf(token_) > now) {  // keep the last good one
        fresh_until_ = retry;
        return token_;
      }
      return absl::FailedPreconditionError("service token file " + options_.token_file +
                                           " has no valid token");
    }
    token_ = token;
    fresh_until_ =
        std::max(retry, std::min(expires - options_.refresh_before, now + options_.reread_every));
    return token_;
  }
  if (options_.jwt.algorithm != "HS256" || options_.jwt.key.empty()) {
    return absl::FailedPreconditionError(
        "no service token: set HC_SERVICE_TOKEN_FILE (tokens are minted here only with HS256)");
  }
  auto token = auth::Mint({.algorithm = "HS256",
                           .key = options_.jwt.key,
                           .issuer = options_.jwt.issuer,
                           .audience = options_.jwt.audience,
                           .subject = options_.service,
                           .roles = {std::string(auth::kRoleService)},
                           .ttl = options_.ttl,
                           .issued_at = now});
  if (!token.ok()) return token.status();
  token_ = *token;
  fresh_until_ = now + options_.ttl - options_.refresh_before;
  return token_;
}

}  // namespace hc::grpc_client
