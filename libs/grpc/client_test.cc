// Channels to other services (TLS, mTLS, plaintext only on loopback) and the service token.
#include "libs/grpc/client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/grpc/server.h"
#include "libs/testing/testing.h"

namespace hc::grpc_client {
namespace {

const std::string kSecret = "client-test-secret-0123456789abcdef0123";

grpc::Status Check(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::health::v1::HealthCheckResponse response;
  return stub->Check(&ctx, {}, &response);
}

TEST(MakeChannel, SpeaksMutualTlsToAServerThatRequiresIt) {
  testing::TestCertificates certs("events");
  grpc_server::Server server({.tls_cert_pem = certs.server_cert_pem(),
                              .tls_key_pem = certs.server_key_pem(),
                              .tls_client_ca_pem = certs.ca_pem()},
                             {});
  ASSERT_TRUE(server.Start().ok());
  const std::string address = "127.0.0.1:" + std::to_string(server.port());
  auto mtls = MakeChannel({.address = address,
                           .tls_ca_pem = certs.ca_pem(),
                           .tls_cert_pem = certs.client_cert_pem(),
                           .tls_key_pem = certs.client_key_pem()});
  ASSERT_TRUE(mtls.ok()) << mtls.status();
  EXPECT_TRUE(Check(*mtls).ok());
  // Without a client certificate, or in plaintext, the server refuses.
  auto tls_only = MakeChannel({.address = address, .tls_ca_pem = certs.ca_pem()});
  EXPECT_FALSE(Check(*tls_only).ok());
  auto plain = MakeChannel({.address = address});
  EXPECT_FALSE(Check(*plain).ok());
}

TEST(MakeChannel, BalancesCallsRoundRobin) {
  grpc_server::Server server({}, {});
  ASSERT_TRUE(server.Start().ok());
  const std::string port = std::to_string(server.port());
  for (const std::string& address : {"127.0.0.1:" + port, "dns:///127.0.0.1:" + port}) {
    auto channel = MakeChannel({.address = address, .allow_plaintext_non_loopback = true});
    ASSERT_TRUE(channel.ok()) << channel.status();
    // The policy is chosen once the resolver has answered, which a call waits for.
    ASSERT_TRUE(Check(*channel).ok()) << address;
    EXPECT_EQ((*channel)->GetLoadBalancingPolicyName(), "round_robin") << address;
  }
}

TEST(MakeChannel, RefusesPlaintextOffLoopbackAndHalfACertificate) {
  EXPECT_EQ(MakeChannel({.address = "membership.homecoming.svc:17001"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeChannel({.address = "127.0.0.1:1", .tls_ca_pem = "x", .tls_cert_pem = "y"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(MakeChannel({.address = "127.0.0.1:1"}).ok());
  // Behind a mesh whose sidecars do mTLS, and only when the operator says so.
  EXPECT_TRUE(MakeChannel({.address = "membership.homecoming.svc:17001",
                           .allow_plaintext_non_loopback = true})
                  .ok());
}

auth::VerifierOptions Jwt() { return {.algorithm = "HS256", .key = kSecret, .issuer = "hc-test"}; }

TEST(ServiceToken, MintedTokensAreShortLivedServiceIdentitiesRenewedBeforeExpiry) {
  auto now = std::chrono::system_clock::now();
  ServiceToken source({.service = "events",
                       .jwt = Jwt(),
                       .ttl = std::chrono::seconds(600),
                       .refresh_before = std::chrono::seconds(120),
                       .clock = [&] { return now; }});
  auto verifier = *auth::Verifier::Create(Jwt());
  auto first = source.Get();
  ASSERT_TRUE(first.ok()) << first.status();
  auto principal = verifier.Verify(*first);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "events");
  EXPECT_TRUE(principal->IsService());
  now += std::chrono::seconds(400);
  EXPECT_EQ(*source.Get(), *first) << "still fresh: reused";
  now += std::chrono::seconds(90);  // within refresh_before of expiry
  EXPECT_NE(*source.Get(), *first);
}

TEST(ServiceToken, AFileIsReReadSoARotatedTokenIsPickedUp) {
  const std::string path =
      (std::filesystem::temp_directory_path() / testing::UniqueName("svc-token-")).string();
  auto write = [&](const std::string& subject) {
    std::ofstream(path) << *auth::Mint({.algorithm = "HS256",
                                        .key = kSecret,
                                        .issuer = "hc-test",
                                        .subject = subject,
                                        .roles = {"service"},
                                        .ttl = std::chrono::seconds(600)})
                        << "\n";
  };
  write("events");
  auto now = std::chrono::system_clock::now();
  ServiceToken source({.service = "events",
                       .token_file = path,
                       .reread_every = std::chrono::seconds(60),
                       .clock = [&] { return now; }});
  auto verifier = *auth::Verifier::Create(Jwt());
  std::string first = *source.Get();
  EXPECT_TRUE(verifier.Verify(first).ok());
  write("events-rotated");
  EXPECT_EQ(*source.Get(), first);
  now += std::chrono::seconds(61);
  EXPECT_EQ(verifier.Verify(*source.Get())->subject, "events-rotated");
  std::filesystem::remove(path);
  now += std::chrono::seconds(61);
  EXPECT_TRUE(source.Get().ok()) << "the last good token is kept while it is valid";
  now += std::chrono::seconds(600);
  EXPECT_EQ(source.Get().status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace hc::grpc_client
