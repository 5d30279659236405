#include "libs/testing/testing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace {

using std::chrono::seconds;

// A log file name, the file removed with it.
struct Log {
  std::string path = "/tmp/" + hc::testing::UniqueName("hc-serving") + ".log";
  ~Log() { std::filesystem::remove(path); }
};

TEST(WaitForServing, ReadsThePortsTheServiceReported) {
  hc::testing::ChildProcess process;
  const Log log_file;
  const std::string& log = log_file.path;
  process.Start({"sh", "-c",
                 "echo starting; sleep 0.2; echo '{\"msg\":\"x serving gRPC on port 40123 and "
                 "metrics on port 40124\"}'; sleep 30"},
                log);
  auto ports = hc::testing::WaitForServing(process, log, seconds(10));
  ASSERT_TRUE(ports.ok()) << ports.status();
  EXPECT_EQ(ports->grpc, 40123);
  EXPECT_EQ(ports->metrics, 40124);
  EXPECT_TRUE(process.running());
}

TEST(WaitForServing, AProcessThatExitsFirstFailsAtOnceQuotingItsLog) {
  hc::testing::ChildProcess process;
  const Log log_file;
  const std::string& log = log_file.path;
  process.Start({"sh", "-c", "echo 'HC_GRPC_ADDR: address in use'; exit 1"}, log);
  const auto started = std::chrono::steady_clock::now();
  auto ports = hc::testing::WaitForServing(process, log, seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(10));
  ASSERT_FALSE(ports.ok());
  EXPECT_EQ(ports.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(ports.status().message().find("address in use"), std::string::npos) << ports.status();
  EXPECT_FALSE(process.running());
}

TEST(WaitForServing, SilenceUntilTheDeadlineIsAnError) {
  hc::testing::ChildProcess process;
  const Log log_file;
  const std::string& log = log_file.path;
  process.Start({"sh", "-c", "echo still migrating; sleep 30"}, log);
  auto ports = hc::testing::WaitForServing(process, log, std::chrono::milliseconds(300));
  ASSERT_FALSE(ports.ok());
  EXPECT_EQ(ports.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_NE(ports.status().message().find("still migrating"), std::string::npos);
}

}  // namespace
