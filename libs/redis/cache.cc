#include "libs/redis/cache.h"

#include <hiredis/hiredis.h>

#include <random>

namespace hc::redis {
namespace {
constexpr size_t kMaxPendingInvalidations = 100000;

timeval ToTimeval(std::chrono::milliseconds ms) {
  return timeval{.tv_sec = static_cast<time_t>(ms.count() / 1000),
                 .tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}
}  // namespace

struct Cache::Reply {
  int type = 0;
  std::string str;
};

Cache::Cache(CacheOptions options, prometheus::Registry& registry, const std::string& name)
    : options_(std::move(options)),
      hits_(prometheus::BuildCounter()
                .Name("hc_cache_requests_total")
                .Help("Cache lookups by result (hit, miss, error).")
                .Register(registry)
                .Add({{"cache", name}, {"result", "hit"}})),
      misses_(prometheus::BuildCounter()
                  .Name("hc_cache_requests_total")
                  .Help("Cache lookups by result (hit, miss, error).")
                  .Register(registry)
                  .Add({{"cache", name}, {"result", "miss"}})),
      errors_(prometheus::BuildCounter()
                  .Name("hc_cache_requests_total")
                  .Help("Cache lookups by result (hit, miss, error).")
                  .Register(registry)
                  .Add({{"cache", name}, {"result", "error"}})) {
  auto colon = options_.address.rfind(':');
  host_ = options_.address.substr(0, colon);
  port_ = std::stoi(options_.address.substr(colon + 1));
}

Cache::~Cache() {
  for (auto* ctx : idle_) redisFree(ctx);
}

redisContext* Cache::Borrow(bool always) {
  {
    std::lock_guard lock(mu_);
    if (!always && std::chrono::steady_clock::now() < down_until_) return nullptr;
    if (!idle_.empty()) {
      auto* ctx = idle_.back();
      idle_.pop_back();
      return ctx;
    }
  }
  redisContext* ctx =
      redisConnectWithTimeout(host_.c_str(), port_, ToTimeval(options_.connect_timeout));
  if (ctx == nullptr || ctx->err) {
    if (ctx) redisFree(ctx);
    std::lock_guard lock(mu_);
    down_until_ = std::chrono::steady_clock::now() + options_.retry_after;
    return nullptr;
  }
  redisSetTimeout(ctx, ToTimeval(options_.command_timeout));
  return ctx;
}

void Cache::Return(redisContext* ctx, bool healthy) {
  std::lock_guard lock(mu_);
  if (healthy && idle_.size() < options_.pool_size) {
    idle_.push_back(ctx);
    return;
  }
  redisFree(ctx);
  if (!healthy) down_until_ = std::chrono::steady_clock::now() + options_.retry_after;
}

std::optional<Cache::Reply> Cache::Command(const std::vector<std::string>& args, bool always) {
  redisContext* ctx = Borrow(always);
  if (!ctx) return std::nullopt;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* raw = static_cast<redisReply*>(
      redisCommandArgv(ctx, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (raw == nullptr || raw->type == REDIS_REPLY_ERROR) {
    if (raw) freeReplyObject(raw);
    Return(ctx, false);
    return std::nullopt;
  }
  Reply reply{.type = raw->type, .str = {}};
  if (raw->type == REDIS_REPLY_STRING) reply.str.assign(raw->str, raw->len);
  freeReplyObject(raw);
  Return(ctx, true);
  return reply;
}

bool Cache::FlushPendingInvalidations(bool always) {
  for (;;) {
    std::string key;
    {
      std::lock_guard lock(mu_);
      if (pending_invalidations_.empty()) return true;
      key = pending_invalidations_.front();
    }
    if (!Command({"DEL", key}, always)) return false;
    std::lock_guard lock(mu_);
    if (!pending_invalidations_.empty() && pending_invalidations_.front() == key) {
      pending_invalidations_.pop_front();
    }
  }
}

absl::StatusOr<std::string> Cache::GetOrLoad(
    const std::string& key, std::chrono::seconds ttl,
    const std::function<absl::StatusOr<std::string>()>& load) {
  const uint64_t generation = invalidations_.load();
  bool usable = FlushPendingInvalidations(/*always=*/false);
  if (usable) {
    auto cached = Command({"GET", key});
    if (cached && cached->type == REDIS_REPLY_STRING) {
      hits_.Increment();
      return cached->str;
    }
    usable = cached.has_value();
  }
  (usable ? misses_ : errors_).Increment();
  auto loaded = load();
  if (loaded.ok() && usable && invalidations_.load() == generation) {
    thread_local std::minstd_rand rng(std::random_device{}());
    std::uniform_real_distribution<double> spread(1.0 - options_.ttl_jitter,
                                                  1.0 + options_.ttl_jitter);
    long long ms = static_cast<long long>(static_cast<double>(ttl.count()) * 1000 * spread(rng));
    Command({"SET", key, *loaded, "PX", std::to_string(std::max(ms, 1LL))});
  }
  return loaded;
}

void Cache::Invalidate(const std::string& key) {
  ++invalidations_;
  if (FlushPendingInvalidations(/*always=*/true) && Command({"DEL", key}, /*always=*/true)) {
    return;
  }
  std::lock_guard lock(mu_);
  if (pending_invalidations_.size() < kMaxPendingInvalidations) {
    pending_invalidations_.push_back(key);
  }
}

}  // namespace hc::redis
