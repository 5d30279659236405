// TLS and mTLS on the server runner, with certificates made by openssl for this test.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/grpc/server.h"
#include "libs/testing/testing.h"

namespace hc::grpc_server {
namespace {

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { certs_ = new testing::TestCertificates("notifications"); }
  static void TearDownTestSuite() {
    delete certs_;
    certs_ = nullptr;
  }

  static std::string File(const std::string& name) {
    if (name == "ca.pem") return certs_->ca_pem();
    if (name == "server.pem") return certs_->server_cert_pem();
    if (name == "server.key") return certs_->server_key_pem();
    if (name == "client.pem") return certs_->client_cert_pem();
    return certs_->client_key_pem();
  }

  grpc::Status Check(int port, std::shared_ptr<grpc::ChannelCredentials> credentials) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    auto channel =
        grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), credentials, args);
    auto stub = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&ctx, {}, &response);
  }

  static grpc::SslCredentialsOptions ClientTls(bool with_certificate) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = File("ca.pem");
    if (with_certificate) {
      tls.pem_private_key = File("client.key");
      tls.pem_cert_chain = File("client.pem");
    }
    return tls;
  }

  static testing::TestCertificates* certs_;
};

testing::TestCertificates* TlsTest::certs_ = nullptr;

TEST_F(TlsTest, ServesTlsAndRefusesPlaintextClients) {
  Server server({.tls_cert_pem = File("server.pem"), .tls_key_pem = File("server.key")}, {});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(Check(server.port(), grpc::SslCredentials(ClientTls(false))).ok());
  EXPECT_FALSE(Check(server.port(), grpc::InsecureChannelCredentials()).ok());
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  Server server({.tls_cert_pem = File("server.pem"),
                 .tls_key_pem = File("server.key"),
                 .tls_client_ca_pem = File("ca.pem")},
                {});
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(Check(server.port(), grpc::SslCredentials(ClientTls(true))).ok());
  EXPECT_FALSE(Check(server.port(), grpc::SslCredentials(ClientTls(false))).ok());
}

TEST_F(TlsTest, HalfATlsConfigurationIsRefused) {
  Server no_key({.tls_cert_pem = File("server.pem")}, {});
  EXPECT_EQ(no_key.Start().code(), absl::StatusCode::kInvalidArgument);
  Server ca_only({.tls_client_ca_pem = File("ca.pem")}, {});
  EXPECT_EQ(ca_only.Start().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hc::grpc_server
