#include "libs/log/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace hc::log {
namespace {

// Runs `body` with stderr sent to a file and returns what was written.
template <typename Body>
std::string CaptureStderr(Body body) {
  std::fflush(stderr);
  char path[] = "/tmp/hc-log-test-XXXXXX";
  int fd = mkstemp(path);
  int saved = dup(2);
  dup2(fd, 2);
  body();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  std::remove(path);
  return out.str();
}

TEST(Log, WritesOneValidJsonObjectPerLineEvenForAwkwardMessages) {
  std::string out = CaptureStderr([] {
    Init("logtest", "info");
    spdlog::info("plain id {}", "m-1");
    spdlog::warn("quote \" backslash \\ newline \n tab \t bell \x07 end");
    spdlog::debug("below the level");
    spdlog::default_logger()->flush();
  });
  std::istringstream lines(out);
  std::string line;
  std::vector<nlohmann::json> records;
  while (std::getline(lines, line)) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << line;
    records.push_back(record);
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["service"], "logtest");
  EXPECT_EQ(records[0]["level"], "info");
  EXPECT_EQ(records[0]["msg"], "plain id m-1");
  EXPECT_EQ(records[1]["level"], "warning");
  EXPECT_EQ(records[1]["msg"], "quote \" backslash \\ newline \n tab \t bell \x07 end");
}

}  // namespace
}  // namespace hc::log
