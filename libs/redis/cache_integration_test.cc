#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <atomic>
#include <chrono>
#include <future>
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
  // Every cache here has its near-cache on for keys starting with "k" (all of them), so the
  // tests below hold with it; `after_read` is CacheOptions::after_read_for_test.
  std::unique_ptr<Cache> NewCache(
      const std::string& name = "test",
      std::chrono::milliseconds command_timeout = std::chrono::milliseconds(50),
      size_t local_bytes = 1 << 20, std::function<void(const std::string&)> after_read = nullptr) {
    auto cache = std::make_unique<Cache>(
        CacheOptions{
            .connection = {.address = redis_.address(), .command_timeout = command_timeout},
            .retry_after = std::chrono::milliseconds(100),
            .local_bytes = local_bytes,
            .local_prefixes = {"k"},
            .after_read_for_test = std::move(after_read)},
        registry_, name);
    // Subscribed before the test starts, so what it checks is not a startup race.
    if (local_bytes > 0) {
      EXPECT_TRUE(testing::WaitFor([&] { return cache->local_ready(); }, std::chrono::seconds(5)));
    }
    return cache;
  }

  // Reads `key` until this replica's near-cache holds it, and returns what it holds. (A fill
  // is skipped while an invalidation, even of our own store, is still on its way.)
  std::optional<std::string> ReadUntilLocal(Cache& cache, const std::string& key) {
    std::optional<std::string> kept;
    testing::WaitFor(
        [&] {
          kept = cache.GetIfCached(key);
          if (!kept) {
            EXPECT_TRUE(Read(cache, key).ok());
          }
          return kept.has_value();
        },
        std::chrono::seconds(5));
    return kept;
  }

  // Waits until `cache` applied an invalidation message it had not yet when `applied` was read.
  static void WaitForMessage(const Cache& cache, uint64_t applied) {
    EXPECT_TRUE(testing::WaitFor([&] { return cache.local_messages_applied() > applied; },
                                 std::chrono::seconds(5)));
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

TEST_F(CacheTest, InvalidatingSeveralKeysAtOnceDropsEachEvenAfterRedisForgotItsScripts) {
  auto cache = NewCache();
  ASSERT_EQ(*Read(*cache, "k1"), "v1");
  ASSERT_EQ(*Read(*cache, "k2"), "v1");
  // What a Redis restart does to EVALSHA: the script is unknown (NOSCRIPT) and must be sent.
  Raw({"SCRIPT", "FLUSH"});
  version_ = 2;
  cache->Invalidate(std::vector<std::string>{"k1", "k2"});
  EXPECT_EQ(cache->pending_invalidations(), 0u);
  EXPECT_EQ(Raw({"GET", "k1"}), "");
  EXPECT_EQ(Raw({"GET", "k2"}), "");
  EXPECT_EQ(*Read(*cache, "k1"), "v2");
  EXPECT_EQ(*Read(*cache, "k2"), "v2");
  // Loaded again by that fallback, the script now runs by its SHA-1.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return Read(*cache, "k1").ok() && !Raw({"GET", "k1"}).empty();
      },
      std::chrono::seconds(5)));
  version_ = 3;
  cache->Invalidate(std::vector<std::string>{"k1", "k2"});
  EXPECT_EQ(cache->pending_invalidations(), 0u);
  EXPECT_EQ(Raw({"GET", "k1"}), "");
  EXPECT_EQ(*Read(*cache, "k1"), "v3");
  EXPECT_EQ(*Read(*cache, "k2"), "v3");
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

TEST_F(CacheTest, GetIfCachedServesTheNearCacheOnlyAfterARedisHitFilledIt) {
  auto cache = NewCache();
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);  // nothing cached
  const uint64_t applied = cache->local_messages_applied();
  ASSERT_TRUE(Read(*cache, "k").ok());  // a miss: loaded and stored in Redis
  WaitForMessage(*cache, applied);      // Redis reports our own store too
  // Our own load never fills the near-cache: only what Redis answered does.
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  ASSERT_TRUE(Read(*cache, "k").ok());  // a Redis hit: fills it
  EXPECT_EQ(cache->GetIfCached("k"), "v1");
  EXPECT_EQ(*Read(*cache, "k"), "v1");  // GetOrLoad serves it too
  EXPECT_EQ(loads_, 1);
  const std::string text = Scrape();
  EXPECT_NE(text.find("result=\"hit\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("result=\"miss\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("result=\"local_hit\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("hc_cache_local_entries{cache=\"test\"} 1"), std::string::npos) << text;
}

// Services parse their answer in `valid`: a near-cache hit must run it, or the caller would
// answer with an empty message.
TEST_F(CacheTest, ANearCacheHitRunsValidAndDropsWhatItRefuses) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  std::string parsed;
  auto parse = [&](const std::string& v) {
    parsed = v;
    return true;
  };
  EXPECT_EQ(cache->GetIfCached("k", parse), "v1");
  EXPECT_EQ(parsed, "v1");
  auto refuse = [](const std::string&) { return false; };
  EXPECT_EQ(cache->GetIfCached("k", refuse), std::nullopt);
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);  // dropped, not kept for the next caller
}

// The fast steps' form: `use` reads the kept value itself, runs only on a hit, and what it
// refuses is dropped as with `valid`.
TEST_F(CacheTest, UseIfCachedRunsUseOnlyOnAHitAndDropsWhatItRefuses) {
  auto cache = NewCache();
  int runs = 0;
  std::string seen;
  auto take = [&](const std::string& v) {
    ++runs;
    seen = v;
    return true;
  };
  EXPECT_FALSE(cache->UseIfCached("k", take));  // nothing cached: `use` does not run
  EXPECT_EQ(runs, 0);
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  EXPECT_TRUE(cache->UseIfCached("k", take));
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen, "v1");
  EXPECT_FALSE(cache->UseIfCached("k", [](const std::string&) { return false; }));
  EXPECT_FALSE(cache->UseIfCached("k", take));  // dropped, not kept for the next caller
  EXPECT_EQ(runs, 1);
}

TEST_F(CacheTest, GetIfCachedNeverServesWhatAWriteInvalidated) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  cache->Invalidate("k");
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  // An entry another replica stored under an old version: Redis reports the version's change.
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  Raw({"INCR", "cache-version:k"});
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  version_ = 2;
  EXPECT_EQ(*Read(*cache, "k"), "v2");
}

TEST_F(CacheTest, AWriteInOneReplicaIsNeverServedByAnotherOnceItsInvalidateReturned) {
  auto writer = NewCache("writer");
  auto reader = NewCache("reader");
  for (int i = 1; i <= 1000; ++i) {
    version_ = i;
    ASSERT_EQ(ReadUntilLocal(*reader, "k"), "v" + std::to_string(i)) << "round " << i;
    version_ = i + 1;  // the write commits, then its replica invalidates
    writer->Invalidate("k");
    EXPECT_EQ(reader->GetIfCached("k"), std::nullopt) << "round " << i;
    EXPECT_EQ(*Read(*reader, "k"), "v" + std::to_string(i + 1)) << "round " << i;
  }
}

TEST_F(CacheTest, UnderConcurrentWritesNoInvalidateReturnsBeforeItsWriteIsVisibleEverywhere) {
  auto writers = NewCache("writers");
  auto reader = NewCache("reader");
  // The system of record: each key's latest committed version.
  constexpr int kThreads = 16, kEach = 100, kKeys = 4;
  std::array<std::atomic<int>, kKeys> record{};
  auto read = [&](Cache& cache, int k) {
    auto value = cache.GetOrLoad(
        "k" + std::to_string(k), std::chrono::seconds(60),
        [&]() -> absl::StatusOr<std::string> { return std::to_string(record[k].load()); });
    return value.ok() ? std::stoi(*value) : -1;
  };
  std::atomic<int> stale{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int k = (t + i) % kKeys;
        read(*reader, k);  // so there is an old value to serve
        const int committed = ++record[k];
        writers->Invalidate(std::vector<std::string>{"k" + std::to_string(k), "kshared"});
        // Once Invalidate returned, neither replica serves a value from before the write.
        if (read(*reader, k) < committed) ++stale;
        if (read(*writers, k) < committed) ++stale;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(stale.load(), 0);
}

TEST_F(CacheTest, AnInvalidationBetweenTheReadAndTheFillLeavesNothingStale) {
  std::unique_ptr<Cache> writer;
  std::unique_ptr<Cache> reader;
  bool armed = false;
  reader = NewCache("reader", std::chrono::milliseconds(50), 1 << 20, [&](const std::string&) {
    if (!armed) return;
    armed = false;
    // The write lands after Redis answered the MGET, before the value goes in.
    const uint64_t applied = reader->local_messages_applied();
    version_ = 2;
    writer->Invalidate("k");
    EXPECT_TRUE(testing::WaitFor([&] { return reader->local_messages_applied() > applied; },
                                 std::chrono::seconds(5)));
  });
  writer = NewCache("writer");
  const uint64_t applied = reader->local_messages_applied();
  ASSERT_TRUE(Read(*reader, "k").ok());  // stored in Redis
  WaitForMessage(*reader, applied);      // so only the write below can stop the fill
  armed = true;
  EXPECT_EQ(*Read(*reader, "k"), "v1");  // Redis answered before the write: fine to return
  EXPECT_EQ(reader->GetIfCached("k"), std::nullopt);  // but it must not stay
  EXPECT_EQ(*Read(*reader, "k"), "v2");
}

TEST_F(CacheTest, AReadOlderThanAnInvalidationDoesNotFillIntoALaterReadsMark) {
  // R1 reads v1 from Redis; a write invalidates (its message erases R1's mark); R2 marks the
  // key afresh and reads Redis, and waits there while R1 goes on to fill. R2's mark is not
  // R1's: R1's value, older than the write, must not go in under it.
  std::unique_ptr<Cache> writer;
  std::unique_ptr<Cache> reader;
  std::atomic<int> stage{0};
  std::promise<void> parked;
  std::promise<void> go;
  std::shared_future<void> go_now = go.get_future().share();
  std::future<void> r2_parked = parked.get_future();
  std::future<absl::StatusOr<std::string>> r2;
  reader = NewCache("reader", std::chrono::milliseconds(50), 1 << 20, [&](const std::string&) {
    if (stage.load() == 1) {  // R1, after Redis answered v1
      stage = 2;
      const uint64_t applied = reader->local_messages_applied();
      version_ = 2;
      writer->Invalidate("k");
      EXPECT_TRUE(testing::WaitFor([&] { return reader->local_messages_applied() > applied; },
                                   std::chrono::seconds(5)));
      r2 = std::async(std::launch::async, [&] { return Read(*reader, "k"); });
      r2_parked.wait();
    } else if (stage.load() == 2) {  // R2, its mark in, after Redis answered
      stage = 3;
      parked.set_value();
      go_now.wait();
    }
  });
  writer = NewCache("writer");
  const uint64_t applied = reader->local_messages_applied();
  ASSERT_TRUE(Read(*reader, "k").ok());  // v1 stored in Redis
  WaitForMessage(*reader, applied);
  stage = 1;
  EXPECT_EQ(*Read(*reader, "k"), "v1");  // R1: Redis answered before the write
  EXPECT_EQ(reader->GetIfCached("k"), std::nullopt) << "R1's old value went in under R2's mark";
  go.set_value();
  EXPECT_EQ(*r2.get(), "v2");
  EXPECT_EQ(*Read(*reader, "k"), "v2");
  EXPECT_NE(reader->GetIfCached("k"), std::optional<std::string>("v1"));
}

TEST_F(CacheTest, ALostTrackingConnectionFlushesAndBypassesTheNearCacheUntilResubscribed) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  const uint64_t subscriptions = cache->local_subscriptions();
  Raw({"CLIENT", "KILL", "TYPE", "pubsub"});
  ASSERT_TRUE(testing::WaitFor([&] { return cache->local_subscriptions() > subscriptions; },
                               std::chrono::seconds(5)));
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);  // flushed: changes meanwhile went unseen
  EXPECT_EQ(ReadUntilLocal(*cache, "k"), "v1");      // and filled again once subscribed

  redis_.Stop();
  ASSERT_TRUE(testing::WaitFor([&] { return !cache->local_ready(); }, std::chrono::seconds(5)));
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  EXPECT_EQ(*Read(*cache, "k"), "v1");  // from the loader
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  redis_.Start();
  ASSERT_TRUE(testing::WaitFor([&] { return cache->local_ready(); }, std::chrono::seconds(10)));
  version_ = 2;  // the restarted Redis is empty
  EXPECT_TRUE(testing::WaitFor([&] { return ReadUntilLocal(*cache, "k") == "v2"; },
                               std::chrono::seconds(5)));
}

// The tracking connection waits for messages in slices; an idle slice that ends (poll()
// counts whole milliseconds) is not a failure. It was: the connection was dropped and opened
// again every slice, so a quiet service's near-cache was almost never usable. Nor may the
// heartbeat make a healthy idle connection flap: its PINGs are answered and nothing else
// happens.
TEST_F(CacheTest, AnIdleTrackingConnectionStaysSubscribedAndKeepsServing) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  const uint64_t subscriptions = cache->local_subscriptions();
  const uint64_t heartbeats = cache->local_heartbeats();
  // Idle for several heartbeat intervals (each many of the reader's 100 ms slices).
  ASSERT_TRUE(testing::WaitFor([&] { return cache->local_heartbeats() >= heartbeats + 3; },
                               std::chrono::seconds(15)));
  EXPECT_EQ(cache->local_subscriptions(), subscriptions);
  EXPECT_TRUE(cache->local_ready());
  // Still holding what it held: a flush would need a Redis read to fill it again. (A single
  // try could land while a pong sits unread in the socket, which refuses a hit.)
  EXPECT_TRUE(
      testing::WaitFor([&] { return cache->GetIfCached("k") == "v1"; }, std::chrono::seconds(1)));
}

// A Redis that hangs (SIGSTOP here; a partition alike) closes nothing, so only silence can
// tell. Without the heartbeat the near-cache went on serving what it held until the entries'
// TTL, while changes it would never hear of could be made (by a failover, say).
TEST_F(CacheTest, AHungRedisStopsTheNearCacheWithinTheHeartbeatDeadlineAndItServesAgainOnceBack) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  const uint64_t subscriptions = cache->local_subscriptions();
  const std::chrono::milliseconds deadline = NearCache::Options{}.heartbeat_deadline;
  // Whatever arrived last came no later than this; the deadline runs from it.
  const auto paused = std::chrono::steady_clock::now();
  redis_.Pause();
  // Slack for the reader's wake-up and this thread's polling on a shared machine.
  ASSERT_TRUE(testing::WaitFor([&] { return !cache->local_ready(); },
                               deadline + std::chrono::milliseconds(500)))
      << "still serving "
      << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               paused)
             .count()
      << " ms after Redis hung";
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  const int loads = loads_;
  EXPECT_EQ(*Read(*cache, "k"), "v1");  // from the loader, Redis being silent
  EXPECT_EQ(loads_, loads + 1);
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);

  redis_.Resume();
  ASSERT_TRUE(testing::WaitFor([&] { return cache->local_ready(); }, std::chrono::seconds(10)));
  EXPECT_GT(cache->local_subscriptions(), subscriptions);  // a new connection, not the old one
  EXPECT_EQ(ReadUntilLocal(*cache, "k"), "v1");            // Redis kept its data
}

TEST_F(CacheTest, TheNearCacheStaysWithinItsByteBound) {
  auto cache = NewCache("test", std::chrono::milliseconds(50), 4096);
  const std::string big(1000, 'x');
  auto read = [&](const std::string& key) {
    return cache->GetOrLoad(key, std::chrono::seconds(60),
                            [&]() -> absl::StatusOr<std::string> { return big; });
  };
  for (int i = 0; i < 10; ++i) {
    const std::string key = "k" + std::to_string(i);
    // Filled from a Redis hit, and the newest entry is always kept.
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          if (auto kept = cache->GetIfCached(key)) return *kept == big;
          EXPECT_TRUE(read(key).ok());
          return false;
        },
        std::chrono::seconds(5)))
        << key;
  }
  int kept = 0;
  for (int i = 0; i < 10; ++i) kept += cache->GetIfCached("k" + std::to_string(i)) ? 1 : 0;
  EXPECT_GE(kept, 1);
  EXPECT_LE(kept, 3);  // 4096 bytes hold at most three 1000-byte values with their keys
  const std::string text = Scrape();
  const std::string gauge = "hc_cache_local_bytes{cache=\"test\"} ";
  const size_t at = text.find(gauge);
  ASSERT_NE(at, std::string::npos) << text;
  EXPECT_GT(std::stod(text.substr(at + gauge.size())), 1000.0) << text;
  EXPECT_LE(std::stod(text.substr(at + gauge.size())), 4096.0) << text;
}

TEST_F(CacheTest, FlushAllEmptiesTheNearCache) {
  auto cache = NewCache();
  ASSERT_EQ(ReadUntilLocal(*cache, "k"), "v1");
  // Redis sends FLUSHALL's "everything" message as the command runs, not ordered before the
  // reply the way BCAST key messages are: wait for it, then nothing may be served.
  const uint64_t applied = cache->local_messages_applied();
  Raw({"FLUSHALL"});
  WaitForMessage(*cache, applied);
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(loads_, 2);
}

TEST_F(CacheTest, ANearCacheSizedZeroIsOff) {
  auto cache = NewCache("test", std::chrono::milliseconds(50), 0);
  EXPECT_FALSE(cache->local_ready());
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(*Read(*cache, "k"), "v1");
  EXPECT_EQ(cache->GetIfCached("k"), std::nullopt);
}

}  // namespace
}  // namespace hc::redis
