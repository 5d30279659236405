#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <sstream>

#include "libs/redis/cache.h"
#include "libs/testing/testing.h"

namespace hc::redis {
namespace {

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_.Start(); }

  std::unique_ptr<Cache> NewCache() {
    return std::make_unique<Cache>(
        CacheOptions{.address = redis_.address(), .retry_after = std::chrono::milliseconds(100)},
        registry_, "test");
  }

  absl::StatusOr<std::string> Read(Cache& cache, const std::string& key) {
    return cache.GetOrLoad(key, std::chrono::seconds(60), [&]() -> absl::StatusOr<std::string> {
      ++loads_;
      return "v" + std::to_string(version_);
    });
  }

  std::string Scrape() {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, registry_.Collect());
    return out.str();
  }

  testing::RedisServer redis_;
  prometheus::Registry registry_;
  int loads_ = 0;
  int version_ = 1;
};

TEST_F(CacheTest, SecondReadIsAHit) {
  auto cache = NewCache();
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(loads_, 1);
  EXPECT_NE(Scrape().find("result=\"hit\"} 1"), std::string::npos);
}

TEST_F(CacheTest, InvalidateMakesTheNextReadLoadAgain) {
  auto cache = NewCache();
  ASSERT_TRUE(Read(*cache, "k").ok());
  version_ = 2;
  cache->Invalidate("k");
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, RedisDownServesFromTheLoader) {
  auto cache = NewCache();
  ASSERT_TRUE(Read(*cache, "k").ok());
  redis_.Stop();
  version_ = 2;
  for (int i = 0; i < 5; ++i) {
    auto v = Read(*cache, "k");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, "v2");
  }
  EXPECT_NE(Scrape().find("result=\"error\""), std::string::npos);
}

TEST_F(CacheTest, AnInvalidationMissedWhileDownIsAppliedWhenRedisReturns) {
  auto cache = NewCache();
  ASSERT_TRUE(Read(*cache, "k").ok());  // cached: v1
  // Redis stops answering without losing data (a network blip): a stopped (SIGSTOP) server.
  redis_.Pause();
  version_ = 2;
  cache->Invalidate("k");  // times out: remembered
  redis_.Resume();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past retry_after
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, AReadThatRacedAWriteDoesNotPutTheOldValueBack) {
  auto cache = NewCache();
  // The read loads v1; meanwhile a write commits v2 and drops the key; then the read would
  // store v1 — it must not.
  auto raced =
      cache->GetOrLoad("k", std::chrono::seconds(60), [&]() -> absl::StatusOr<std::string> {
        ++loads_;
        version_ = 2;
        cache->Invalidate("k");
        return std::string("v1");
      });
  EXPECT_EQ(*raced, "v1");
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, LoaderErrorsAreReturnedAndNotCached) {
  auto cache = NewCache();
  auto failed = cache->GetOrLoad(
      "k", std::chrono::seconds(60),
      []() -> absl::StatusOr<std::string> { return absl::NotFoundError("no such member"); });
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(*Read(*cache, "k"), "v1");
}

}  // namespace
}  // namespace hc::redis
