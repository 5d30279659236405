#include "libs/testing/testing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace {

using std::chrono::seconds;

// A shell script run as a service would be, its output in a log file removed afterwards.
class WaitForServing : public ::testing::Test {
 protected:
  ~WaitForServing() override { std::filesystem::remove(log_); }

  absl::StatusOr<hc::testing::ServingPorts> Run(const std::string& script,
                                                std::chrono::milliseconds timeout) {
    process_.Start({"sh", "-c", script}, log_);
    return hc::testing::WaitForServing(process_, log_, timeout);
  }

  hc::testing::ChildProcess process_;
  const std::string log_ = "/tmp/" + hc::testing::UniqueName("hc-serving") + ".log";
};

TEST_F(WaitForServing, ReadsThePortsTheServiceReported) {
  auto ports =
      Run("echo starting; sleep 0.2; echo '{\"msg\":\"x serving gRPC on port 40123 and metrics on "
          "port 40124\"}'; sleep 30",
          seconds(10));
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(ports->grpc, 40123);
  EXPECT_EQ(ports->metrics, 40124);
  EXPECT_TRUE(process_.running());
}

TEST_F(WaitForServing, AProcessThatExitsFirstFailsAtOnceQuotingItsLog) {
  const auto started = std::chrono::steady_clock::now();
  auto ports = Run("echo 'HC_GRPC_ADDR: address in use'; exit 1", seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  ASSERT_FALSE(ports.ok());
  EXPECT_EQ(ports.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(ports.status().message().find("address in use"), std::string::npos) << ports.status();
  EXPECT_FALSE(process_.running());
}

TEST_F(WaitForServing, SilenceUntilTheDeadlineIsAnError) {
  auto ports = Run("echo still migrating; sleep 30", std::chrono::milliseconds(300));
  ASSERT_FALSE(ports.ok());
  EXPECT_EQ(ports.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(ports.status().message().find("still migrating"), std::string::npos);
}

}  // namespace
