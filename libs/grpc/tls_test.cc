// TLS and mTLS on the server runner, with certificates made by openssl for this test.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "libs/grpc/server.h"

namespace hc::grpc_server {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::filesystem::temp_directory_path() / ("hc-tls-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    const std::string d = dir_.string();
    // A CA, a server certificate for localhost and a client certificate, all signed by it.
    const std::string script =
        "set -e; cd " + d +
        "; exec >openssl.log 2>&1;"
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=hc-test-ca "
        "  -keyout ca.key -out ca.pem;"
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > san.ext;"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out "
        "server.csr;"
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "  -extfile san.ext -out server.pem;"
        "openssl req -newkey rsa:2048 -nodes -subj /CN=notifications -keyout client.key "
        "  -out client.csr;"
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 "
        "  -out client.pem;";
    ASSERT_EQ(std::system(("bash -c '" + script + "'").c_str()), 0) << Read(d + "/openssl.log");
  }
  static void TearDownTestSuite() { std::filesystem::remove_all(dir_); }

  static std::string File(const std::string& name) { return Read((dir_ / name).string()); }

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

  static std::filesystem::path dir_;
};

std::filesystem::path TlsTest::dir_;

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
