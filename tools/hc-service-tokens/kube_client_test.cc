// The write to the Kubernetes API, against a local HTTPS server standing in for the API server
// (no kube-apiserver runs here): the request must be what the API expects, and failures must
// be retried or reported as documented.
#include "tools/hc-service-tokens/kube_client.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "libs/testing/testing.h"
#include "nlohmann/json.hpp"

namespace hc::service_tokens {
namespace {

constexpr char kBearer[] = "sa-token-from-the-projected-volume";
constexpr char kValue[] = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJldmVudHMifQ.signature";

struct Seen {
  std::string method;
  std::string path;
  std::string authorization;
  std::string content_type;
  std::string body;
};

// An HTTPS server on 127.0.0.1 answering PATCHes with the statuses in `answers`, in order
// (the last one repeats), recording each request.
class FakeApiServer {
 public:
  explicit FakeApiServer(std::vector<int> answers)
      : server_(certs_.path("server.pem").c_str(), certs_.path("server.key").c_str()),
        answers_(std::move(answers)) {
    server_.Patch(".*", [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard lock(mu_);
      seen_.push_back({request.method, request.path, request.get_header_value("Authorization"),
                       request.get_header_value("Content-Type"), request.body});
      const int status = answers_[std::min(seen_.size(), answers_.size()) - 1];
      response.status = status;
      if (status == 200) {
        // The API answers with the whole Secret, token included: it must not reach the log.
        response.set_content(
            R"({"kind":"Secret","data":{"token":")" + absl::Base64Escape(kValue) + R"("}})",
            "application/json");
      } else {
        response.set_content(R"({"kind":"Status","reason":"Because)" + std::to_string(status) +
                                 R"(","message":"the server said )" + std::to_string(status) +
                                 R"("})",
                             "application/json");
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    EXPECT_TRUE(
        testing::WaitFor([this] { return server_.is_running(); }, std::chrono::seconds(10)));
  }
  ~FakeApiServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string ca_file() const { return certs_.path("ca.pem"); }
  std::vector<Seen> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  testing::TestCertificates certs_;
  httplib::SSLServer server_;
  std::vector<int> answers_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  int port_ = 0;
  std::thread thread_;
};

class KubeClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

  KubeClientTest() {
    token_file_ =
        (std::filesystem::temp_directory_path() / ("hc-sa-token-" + std::to_string(::getpid())))
            .string();
    std::ofstream(token_file_) << kBearer << "\n";
  }
  ~KubeClientTest() override { std::filesystem::remove(token_file_); }

  KubeOptions Options(int port, const std::string& ca_file) {
    KubeOptions options;
    options.api_url = "https://127.0.0.1:" + std::to_string(port);
    options.namespace_name = "homecoming";
    options.token_file = token_file_;
    options.ca_file = ca_file;
    options.attempts = 4;
    options.first_backoff = std::chrono::milliseconds(100);
    options.timeout = std::chrono::seconds(5);
    return options;
  }

  std::string token_file_;
  std::ostringstream log_;
  std::vector<std::chrono::milliseconds> waits_;
  KubeClient::Sleep record_ = [this](std::chrono::milliseconds wait) { waits_.push_back(wait); };
};

TEST_F(KubeClientTest, PatchesTheSecretsKeyWithTheServiceAccountToken) {
  FakeApiServer api({200});
  KubeClient client(Options(api.port(), api.ca_file()), log_, record_);
  ASSERT_TRUE(client.Write("events-service-token", "token", kValue).ok()) << log_.str();

  const auto seen = api.seen();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "PATCH");
  EXPECT_EQ(seen[0].path, "/api/v1/namespaces/homecoming/secrets/events-service-token");
  EXPECT_EQ(seen[0].authorization, std::string("Bearer ") + kBearer);
  EXPECT_EQ(seen[0].content_type, "application/merge-patch+json");
  // Only the one key, base64 as Secret data is: the patch keeps any other key.
  const auto body = nlohmann::json::parse(seen[0].body);
  EXPECT_EQ(body, (nlohmann::json{{"data", {{"token", absl::Base64Escape(kValue)}}}}));
  EXPECT_TRUE(waits_.empty());
  EXPECT_EQ(log_.str().find(kValue), std::string::npos);
  EXPECT_EQ(log_.str().find(kBearer), std::string::npos);
}

TEST_F(KubeClientTest, RetriesServerErrorsWithGrowingWaits) {
  FakeApiServer api({503, 500, 200});
  KubeClient client(Options(api.port(), api.ca_file()), log_, record_);
  ASSERT_TRUE(client.Write("events-service-token", "token", kValue).ok()) << log_.str();
  EXPECT_EQ(api.seen().size(), 3u);
  EXPECT_EQ(waits_, (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(100),
                                                            std::chrono::milliseconds(200)}));
  EXPECT_NE(log_.str().find("HTTP 503"), std::string::npos) << log_.str();
}

TEST_F(KubeClientTest, GivesUpAfterTheLastAttemptNamingTheSecret) {
  FakeApiServer api({503});
  KubeClient client(Options(api.port(), api.ca_file()), log_, record_);
  const absl::Status status = client.Write("volunteering-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("homecoming/volunteering-service-token"), std::string::npos)
      << status;
  EXPECT_EQ(api.seen().size(), 4u);
  EXPECT_EQ(waits_.size(), 3u);
}

TEST_F(KubeClientTest, ForbiddenAndMissingAreFinalAndSaySo) {
  FakeApiServer forbidden({403});
  KubeClient client(Options(forbidden.port(), forbidden.ca_file()), log_, record_);
  absl::Status status = client.Write("events-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied) << status;
  EXPECT_NE(status.message().find("the server said 403"), std::string::npos) << status;
  EXPECT_EQ(forbidden.seen().size(), 1u);

  FakeApiServer missing({404});
  KubeClient to_missing(Options(missing.port(), missing.ca_file()), log_, record_);
  status = to_missing.Write("events-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_NE(status.message().find("Secret homecoming/events-service-token does not exist"),
            std::string::npos)
      << status;
  EXPECT_EQ(missing.seen().size(), 1u);
  EXPECT_TRUE(waits_.empty());
}

TEST_F(KubeClientTest, RetriesWhenNothingListens) {
  const int port = testing::FreePort();
  testing::TestCertificates certs;
  KubeClient client(Options(port, certs.path("ca.pem")), log_, record_);
  const absl::Status status = client.Write("events-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("events-service-token"), std::string::npos);
  EXPECT_EQ(waits_.size(), 3u);
}

TEST_F(KubeClientTest, RefusesAnApiServerItsCaDidNotSign) {
  FakeApiServer api({200});
  testing::TestCertificates other;
  KubeClient client(Options(api.port(), other.path("ca.pem")), log_, record_);
  const absl::Status status = client.Write("events-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_TRUE(api.seen().empty()) << "the token went to an unverified server";
  EXPECT_TRUE(waits_.empty());
}

TEST_F(KubeClientTest, NoServiceAccountTokenIsAClearFailure) {
  FakeApiServer api({200});
  KubeOptions options = Options(api.port(), api.ca_file());
  options.token_file = "/nonexistent/token";
  KubeClient client(options, log_, record_);
  const absl::Status status = client.Write("events-service-token", "token", kValue);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("/nonexistent/token"), std::string::npos);
  EXPECT_TRUE(api.seen().empty());
}

}  // namespace
}  // namespace hc::service_tokens
