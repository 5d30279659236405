#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <prometheus/text_serializer.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <thread>

#include "libs/redis/cache.h"
#include "libs/testing/testing.h"

namespace hc::redis {
namespace {

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override { redis_.Start(); }

  // Caches made here share one Redis like replicas of a service do; each gets its own
  // metric label.
  std::unique_ptr<Cache> NewCache(
      const std::string& name = "test",
      std::chrono::milliseconds command_timeout = std::chrono::milliseconds(50)) {
    return std::make_unique<Cache>(CacheOptions{.connection = {.address = redis_.address(),
                                                               .command_timeout = command_timeout},
                                                .retry_after = std::chrono::milliseconds(100)},
                                   registry_, name);
  }

  // A command sent straight to Redis, as an operator or another program would; the reply
  // as text ("" for nil).
  std::string Raw(const std::vector<std::string>& args) {
    auto colon = redis_.address().rfind(':');
    redisContext* ctx = redisConnect(redis_.address().substr(0, colon).c_str(),
                                     std::stoi(redis_.address().substr(colon + 1)));
    EXPECT_TRUE(ctx != nullptr && ctx->err == 0);
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data()));
    std::string out;
    if (reply && reply->type == REDIS_REPLY_STRING) out.assign(reply->str, reply->len);
    if (reply) freeReplyObject(reply);
    redisFree(ctx);
    return out;
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
  ASSERT_TRUE(testing::WaitFor([&] { return cache->pending_invalidations() == 0; },
                               std::chrono::seconds(5)));
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

TEST_F(CacheTest, ALoadInOneReplicaDoesNotPutBackWhatAWriteInAnotherInvalidated) {
  auto a = NewCache("replica-a");
  auto b = NewCache("replica-b");
  // B misses and reads the system of record (v1); before B stores it, A commits v2 and
  // invalidates; then B's load returns. B must not store v1.
  auto raced = b->GetOrLoad("k", std::chrono::seconds(60), [&]() -> absl::StatusOr<std::string> {
    ++loads_;
    const std::string read = "v" + std::to_string(version_);
    version_ = 2;
    a->Invalidate("k");
    return read;
  });
  EXPECT_EQ(*raced, "v1");
  EXPECT_EQ(*Read(*a, "k"), "v2");
  EXPECT_EQ(*Read(*b, "k"), "v2");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, AnEntryNotInTheCachesFormatIsDroppedAndLoadedAgain) {
  auto cache = NewCache();
  Raw({"SET", "k", "left by something else"});
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(loads_, 1);
  EXPECT_NE(Raw({"GET", "k"}), "left by something else");
  EXPECT_EQ(*Read(*cache, "k"), "v1");  // what the load stored
  EXPECT_EQ(loads_, 1);
  EXPECT_NE(Scrape().find("result=\"corrupt\"} 1"), std::string::npos);
}

TEST_F(CacheTest, AValueTheCallerCannotParseIsDroppedAndLoadedAgain) {
  auto cache = NewCache();
  auto parses = [](const std::string& v) { return v.rfind("v", 0) == 0; };
  ASSERT_EQ(*cache->GetOrLoad("k", std::chrono::seconds(60),
                              []() -> absl::StatusOr<std::string> { return "garbled"; }),
            "garbled");
  EXPECT_EQ(*cache->GetOrLoad(
                "k", std::chrono::seconds(60),
                [&]() -> absl::StatusOr<std::string> {
                  ++loads_;
                  return std::string("v1");
                },
                parses),
            "v1");
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(loads_, 1);
}

TEST_F(CacheTest, AVersionThatIsNotANumberIsReplacedNotRetriedForever) {
  auto cache = NewCache();
  ASSERT_EQ(*Read(*cache, "k"), "v1");
  Raw({"SET", "cache-version:k", "not a number"});
  version_ = 2;
  cache->Invalidate("k");
  EXPECT_EQ(cache->pending_invalidations(), 0u);
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, ReadsSkipRedisWhileAnInvalidationIsPendingAndNeverReplayIt) {
  // A long command timeout: a read that touched the frozen Redis would take this long.
  auto cache = NewCache("test", std::chrono::milliseconds(3000));
  ASSERT_TRUE(Read(*cache, "k").ok());
  redis_.Pause();
  version_ = 2;
  cache->Invalidate("k");                                       // times out: remembered
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // past retry_after's back-off
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  redis_.Resume();
}

TEST_F(CacheTest, PendingInvalidationsAreKeptOnceAndReplayedWithoutAnyRequest) {
  auto cache = NewCache("pending");
  ASSERT_TRUE(Read(*cache, "k1").ok());
  ASSERT_TRUE(Read(*cache, "k2").ok());
  redis_.Pause();
  for (int i = 0; i < 3; ++i) {
    cache->Invalidate("k1");
    cache->Invalidate("k2");
  }
  EXPECT_NE(Scrape().find("hc_cache_pending_invalidations{cache=\"pending\"} 2"), std::string::npos)
      << Scrape();
  redis_.Resume();
  // Nobody reads: the cache's own thread drops both entries.
  EXPECT_TRUE(testing::WaitFor([&] { return testing::RedisKeys(redis_.address(), "k*").empty(); },
                               std::chrono::seconds(5)))
      << "left: " << testing::RedisKeys(redis_.address(), "k*").size();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Scrape().find("hc_cache_pending_invalidations{cache=\"pending\"} 0") !=
               std::string::npos;
      },
      std::chrono::seconds(5)));
}

TEST_F(CacheTest, GetIfCachedServesACurrentEntryAndCountsOneHit) {
  auto cache = NewCache();
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);  // nothing cached, and no connection yet
  ASSERT_TRUE(Read(*cache, "k").ok());               // a miss: loaded and stored
  EXPECT_EQ(cache->GetIfCached("k"), "v1");
  const std::string text = Scrape();
  EXPECT_NE(text.find("result=\"hit\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("result=\"miss\"} 1"), std::string::npos) << text;
}

TEST_F(CacheTest, GetIfCachedNeverServesWhatAWriteInvalidatedOrTheCallerRefuses) {
  auto cache = NewCache();
  ASSERT_TRUE(Read(*cache, "k").ok());
  EXPECT_EQ(cache->GetIfCached("k", [](const std::string&) { return false; }), std::nullopt);
  cache->Invalidate("k");
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  // An entry stored under an old version (another replica's late store) is not served either.
  ASSERT_TRUE(Read(*cache, "k").ok());
  Raw({"INCR", "cache-version:k"});
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  version_ = 2;
  EXPECT_EQ(*Read(*cache, "k"), "v2");
  EXPECT_EQ(loads_, 3);
}

TEST_F(CacheTest, GetIfCachedGivesUpWithinItsTimeoutWhenRedisHangsAndThenStepsAside) {
  auto cache = NewCache();
  ASSERT_TRUE(Read(*cache, "k").ok());
  ASSERT_EQ(cache->GetIfCached("k"), "v1");
  redis_.Pause();
  // The caller is one of gRPC's own threads: a hung Redis may hold it for the inline timeout
  // (5 ms) once, then the lookup steps aside at once for `retry_after` (100 ms here).
  auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(40));
  started = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(40));
  redis_.Resume();
  // GetIfCached never connects: GetOrLoad reaches Redis again and leaves it a connection.
  ASSERT_TRUE(
      testing::WaitFor([&] { return Read(*cache, "k").ok() && cache->GetIfCached("k") == "v1"; },
                       std::chrono::seconds(5)));
}

}  // namespace
}  // namespace hc::redis
