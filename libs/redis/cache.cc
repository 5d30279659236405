#include "libs/redis/cache.h"

#include <random>
#include <string_view>

namespace hc::redis {

// Why a value loaded before a write can't outlive the write's Invalidate, in any replica.
//
// Each key K has a version at VersionKey(K): an integer that only rises, absent until K is
// first invalidated (read as ""). Redis runs each script below as one atomic step.
//   Invalidate(K): INCR version; DEL K                                          (kInvalidate)
//                  (Invalidate(K1, K2, ...) does this for each key, all in one script run)
//   GetOrLoad(K):  MGET K version -> (value, v). A value is served only if it is tagged with
//                  v. Otherwise load(), then SET K "hc1:<v>:<loaded>" only if the version
//                  still equals v                                                    (kStore)
//
// Claim: once a write W has committed and Invalidate(K) has run in Redis at time i, no value
// loaded before W's commit is in K, and none is put there later, by any replica.
//   A store S that read v at time r succeeds at time s > r only if the version at s is still
//   v. An invalidation at i in (r, s) would have raised it, so i < r or i > s:
//   - i > s: the DEL at i removed what S stored;
//   - i < r: S's load began after r > i > W's commit, so it saw W.
//   The tag is a second lock on the same door: a value that did not come through kStore
//   under the current version (another format, a version that expired) is never served.
// Versions expire `version_ttl` after the last invalidation or store, so idle keys don't pile
// up. That reopens the door only for a load that takes longer than `version_ttl` (a version
// that expired and was raised again back to the value it read); loads run under request
// deadlines of seconds, `version_ttl` is a day.
//
// When Redis can't be reached:
// - An Invalidate whose command failed (it may or may not have run) is remembered in
//   pending_. While anything is pending this process neither reads from nor stores to Redis
//   (checked before the read and again before the store). A background thread replays
//   kInvalidate for each pending key every `retry_after` until it succeeds; the claim then
//   holds from that replay on. Replays are idempotent (an extra version step), so they run in
//   any order and a key is remembered once however often it failed. Requests never replay.
// - Until the replay, another replica that does reach Redis can still serve the old value:
//   at most `retry_after` past the moment Redis is reachable from here again, and never past
//   the entry's TTL. Nothing better is possible without a channel other than Redis itself.
// - More than kMaxPendingInvalidations distinct keys, or a process that exits with some
//   pending (it tries once more on the way out), leave those entries to their TTL.
//
// The near-cache (NearCache, optional): values a replica read from Redis, kept in its own
// memory so a hit costs no round trip. Its coherence comes from Redis too. One connection per
// Cache runs CLIENT TRACKING on ... BCAST for the service's key prefixes and their versions,
// redirected to itself and SUBSCRIBEd to __redis__:invalidate: Redis then sends the name of
// every such key any client changes (our scripts' INCR, DEL, SET, PEXPIRE; expiry, eviction,
// FLUSHALL as "everything"), and a reader thread erases the named key (for a version, its
// key) and any fill in progress.
// - Fill only from a Redis hit that passed the tag check and `valid`, never from our own
//   load. A "filling" mark goes in before the MGET is sent; the value goes in only if that
//   same mark is still there (each mark is numbered: a mark another read put in after an
//   invalidation erased ours is not ours, and filling into it would install a value read
//   before that invalidation). A write W whose invalidation ran in Redis before the MGET
//   either had its message applied before the mark (then the MGET, later in Redis, saw W) or
//   after it (then the mark is gone, nothing goes in). A write after the MGET sends its
//   message after it, which erases the mark or the installed value.
// - Invalidate(K) erases K locally first: this replica never serves its own old value.
// - Other replicas stop serving the old value when W's message is read. Redis queues BCAST
//   messages before the writer's reply in the same event-loop pass, so on one host they are
//   in our socket by the time Invalidate returns in the writer (observed, not promised). A
//   hit is refused while the socket holds unread bytes (FIONREAD) or the reader holds bytes
//   it took but has not applied (`busy_`, set before the read, cleared after the apply): a
//   message that reached this host before the lookup is applied before it. What remains is
//   the wire: a message still between Redis and this host, microseconds on one host, a
//   network delay across hosts. Against Redis alone (no near-cache) the window is the same
//   length, just in the other direction: a read that left before the write.
// - The near-cache serves only while that connection is subscribed: on any error, EOF or
//   kill it is flushed and bypassed, and refilled only after a new SUBSCRIBE (and a flush,
//   since what changed in between went unseen). A connection that dies without a word (a
//   partition, a hung Redis) counts as lost once nothing, not even the answer to the PING
//   the reader sends after a second's silence, arrived for `heartbeat_deadline` (2 s): the
//   longest a change can go unseen there, instead of the entries' TTL. It is bypassed while
//   invalidations are pending (above). Entries also expire locally after the read's TTL and are
//   evicted (least recently used) beyond `local_bytes`.
//
// Redis must be one primary (with replicas for failover), not Cluster: the scripts touch a key
// and its version, which Cluster could place on different nodes.

namespace {
constexpr size_t kMaxPendingInvalidations = 100000;
constexpr std::string_view kTag = "hc1:";

// KEYS = key, its version, key, its version, ...; ARGV[1] = version TTL (ms).
// A version that is not an integer (written by something else) would fail INCR forever, and
// leave this replica bypassing the cache for good: it is replaced by the server's clock in
// microseconds, a value no reader can have seen while INCR was failing.
constexpr char kInvalidate[] = R"lua(
for i = 1, #KEYS, 2 do
  local raised = redis.pcall('INCR', KEYS[i + 1])
  if type(raised) == 'table' and raised.err then
    local now = redis.call('TIME')
    redis.call('DEL', KEYS[i + 1])
    redis.call('SET', KEYS[i + 1], now[1] .. string.format('%06d', tonumber(now[2])))
  end
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
  redis.call('DEL', KEYS[i])
end
return 1
)lua";

// KEYS[1] = key, KEYS[2] = its version; ARGV[1] = the version read before loading ("" =
// none), ARGV[2] = the tagged value, ARGV[3] = its TTL (ms), ARGV[4] = version TTL (ms).
constexpr char kStore[] = R"lua(
local v = redis.call('GET', KEYS[2])
if (v or '') ~= ARGV[1] then return 0 end
if v then redis.call('PEXPIRE', KEYS[2], ARGV[4]) end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
)lua";

std::string VersionKey(const std::string& key) { return "cache-version:" + key; }

std::string Tagged(const std::string& version, const std::string& value) {
  std::string out;
  out.reserve(kTag.size() + version.size() + 1 + value.size());
  out.append(kTag).append(version).append(1, ':').append(value);
  return out;
}

// The version tag and the value of a stored entry; nullopt when it is not in this format.
struct Entry {
  std::string version;
  std::string value;
};
std::optional<Entry> Untag(std::string stored) {
  if (stored.compare(0, kTag.size(), kTag) != 0) return std::nullopt;
  const size_t colon = stored.find(':', kTag.size());
  if (colon == std::string::npos) return std::nullopt;
  Entry entry{.version = stored.substr(kTag.size(), colon - kTag.size()), .value = {}};
  for (char c : entry.version) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  stored.erase(0, colon + 1);
  entry.value = std::move(stored);
  return entry;
}
}  // namespace

Cache::Cache(CacheOptions options, prometheus::Registry& registry, const std::string& name)
    : options_(std::move(options)),
      pool_(options_.connection, options_.pool_size, options_.retry_after),
      hits_(prometheus::BuildCounter()
                .Name("hc_cache_requests_total")
                .Help("Cache lookups by result (hit, miss, corrupt, error).")
                .Register(registry)
                .Add({{"cache", name}, {"result", "hit"}})),
      misses_(prometheus::BuildCounter()
                  .Name("hc_cache_requests_total")
                  .Help("Cache lookups by result (hit, miss, corrupt, error).")
                  .Register(registry)
                  .Add({{"cache", name}, {"result", "miss"}})),
      errors_(prometheus::BuildCounter()
                  .Name("hc_cache_requests_total")
                  .Help("Cache lookups by result (hit, miss, corrupt, error).")
                  .Register(registry)
                  .Add({{"cache", name}, {"result", "error"}})),
      corrupt_(prometheus::BuildCounter()
                   .Name("hc_cache_requests_total")
                   .Help("Cache lookups by result (hit, miss, corrupt, error).")
                   .Register(registry)
                   .Add({{"cache", name}, {"result", "corrupt"}})),
      pending_gauge_(prometheus::BuildGauge()
                         .Name("hc_cache_pending_invalidations")
                         .Help("Invalidations that have not reached Redis yet (distinct keys); "
                               "while above 0 the process bypasses the cache.")
                         .Register(registry)
                         .Add({{"cache", name}})),
      local_hits_(prometheus::BuildCounter()
                      .Name("hc_cache_requests_total")
                      .Help("Cache lookups by result (hit, miss, corrupt, error).")
                      .Register(registry)
                      .Add({{"cache", name}, {"result", "local_hit"}})) {
  if (options_.local_bytes > 0 && !options_.local_prefixes.empty()) {
    near_ = std::make_unique<NearCache>(
        NearCache::Options{.connection = options_.connection,
                           .max_bytes = options_.local_bytes,
                           .prefixes = options_.local_prefixes,
                           .retry_after = options_.retry_after},
        local_hits_,
        prometheus::BuildGauge()
            .Name("hc_cache_local_bytes")
            .Help("Bytes the in-process near-cache holds (keys, values, bookkeeping).")
            .Register(registry)
            .Add({{"cache", name}}),
        prometheus::BuildGauge()
            .Name("hc_cache_local_entries")
            .Help("Entries the in-process near-cache holds.")
            .Register(registry)
            .Add({{"cache", name}}));
  }
  replayer_ = std::thread([this] { ReplayLoop(); });
}

Cache::~Cache() {
  {
    std::lock_guard lock(pending_mu_);
    stopping_ = true;
  }
  pending_cv_.notify_all();
  replayer_.join();
  ReplayPending();  // a last try: other replicas would otherwise serve these until their TTL
}

std::optional<Reply> Cache::Command(const std::vector<std::string>& args, bool always) {
  auto replies = pool_.Run({args}, always);
  if (!replies) return std::nullopt;
  return std::move(replies->front());
}

absl::StatusOr<std::string> Cache::GetOrLoad(
    const std::string& key, std::chrono::seconds ttl,
    const std::function<absl::StatusOr<std::string>()>& load,
    const std::function<bool(const std::string&)>& valid) {
  const std::string version_key = VersionKey(key);
  // The version this read found, when Redis may be used for it.
  std::optional<std::string> version;
  const bool local = near_ != nullptr && pending_count_.load() == 0;
  if (local) {
    if (std::optional<std::string> kept = GetIfCached(key, valid)) return *std::move(kept);
  }
  if (pending_count_.load() == 0) {
    // The mark goes in before the MGET is sent: see "The near-cache" above.
    const uint64_t filling = local ? near_->BeginFill(key) : 0;
    auto got = Command({"MGET", key, version_key});
    if (options_.after_read_for_test) options_.after_read_for_test(key);
    if (got && got->type == Reply::Type::kArray && got->elements.size() == 2) {
      const Reply& stored = got->elements[0];
      const Reply& stored_version = got->elements[1];
      version = stored_version.type == Reply::Type::kString ? stored_version.str : "";
      if (stored.type == Reply::Type::kString) {
        std::optional<Entry> entry = Untag(stored.str);
        if (entry && entry->version == *version) {
          if (!valid || valid(entry->value)) {
            hits_.Increment();
            if (filling != 0 && pending_count_.load() == 0) {
              near_->Fill(key, filling, entry->value, ttl);
            } else if (filling != 0) {
              near_->CancelFill(key, filling);
            }
            return std::move(entry->value);
          }
          entry.reset();
        }
        // Not in this format, refused by `valid`, or under a version that is no longer
        // current: never served, dropped so the next read doesn't trip on it again.
        Command({"DEL", key});
        (entry ? misses_ : corrupt_).Increment();
      } else {
        misses_.Increment();
      }
    } else {
      errors_.Increment();
    }
    if (filling != 0) near_->CancelFill(key, filling);
  } else {
    errors_.Increment();
  }
  auto loaded = load();
  if (loaded.ok() && version && pending_count_.load() == 0) {
    thread_local std::minstd_rand rng(std::random_device{}());
    std::uniform_real_distribution<double> spread(1.0 - options_.ttl_jitter,
                                                  1.0 + options_.ttl_jitter);
    long long ms = static_cast<long long>(static_cast<double>(ttl.count()) * 1000 * spread(rng));
    Command({"EVAL", kStore, "2", key, version_key, *version, Tagged(*version, *loaded),
             std::to_string(std::max(ms, 1LL)), std::to_string(options_.version_ttl.count())});
  }
  return loaded;
}

bool Cache::UseIfCached(const std::string& key,
                        const std::function<bool(const std::string&)>& use) {
  if (near_ == nullptr || pending_count_.load() != 0) return false;
  std::shared_ptr<const std::string> kept = near_->Get(key);
  if (kept == nullptr) return false;
  // `use` is how callers parse a hit into their answer, so it runs on every hit. A value it
  // refuses (it passed when it was filled: a caller's parser changed, say) is dropped here and
  // read from Redis again.
  if (use && !use(*kept)) {
    near_->Erase(key);
    return false;
  }
  return true;
}

std::optional<std::string> Cache::GetIfCached(
    const std::string& key, const std::function<bool(const std::string&)>& valid) {
  std::optional<std::string> copy;
  UseIfCached(key, [&](const std::string& kept) {
    if (valid && !valid(kept)) return false;
    copy = kept;
    return true;
  });
  return copy;
}

bool Cache::InvalidateInRedis(const std::vector<std::string>& keys) {
  static const std::string sha = ScriptSha(kInvalidate);
  std::vector<std::string> args = {"EVALSHA", sha, std::to_string(2 * keys.size())};
  for (const std::string& key : keys) {
    args.push_back(key);
    args.push_back(VersionKey(key));
  }
  args.push_back(std::to_string(options_.version_ttl.count()));
  // The first run sends the whole script (EVAL caches it in Redis), later ones only its SHA-1.
  // NOSCRIPT (Redis restarted or its scripts were flushed) is an answer, not a failure: the
  // connection stays and reads don't back off; the script goes once more in full.
  if (script_loaded_.load(std::memory_order_relaxed)) {
    auto replies = pool_.RunKeepingErrors({args}, /*always=*/true);
    if (!replies) return false;
    const Reply& reply = replies->front();
    if (reply.type != Reply::Type::kError) return true;
    if (reply.str.rfind("NOSCRIPT", 0) != 0) return false;
  }
  args[0] = "EVAL";
  args[1] = kInvalidate;
  const bool ran = Command(args, /*always=*/true).has_value();
  script_loaded_.store(ran, std::memory_order_relaxed);
  return ran;
}

void Cache::Invalidate(const std::string& key) { Invalidate(std::vector<std::string>{key}); }

void Cache::Invalidate(const std::vector<std::string>& keys) {
  // This process stops serving the old values at once; other replicas when Redis's messages
  // for the script below reach them.
  if (near_ != nullptr) {
    for (const std::string& key : keys) near_->Erase(key);
  }
  if (keys.empty() || InvalidateInRedis(keys)) return;
  for (const std::string& key : keys) Remember(key);
}

void Cache::Remember(const std::string& key) {
  {
    std::lock_guard lock(pending_mu_);
    if (pending_.size() >= kMaxPendingInvalidations && !pending_.contains(key)) return;
    pending_[key] = ++pending_serial_;
    pending_count_ = pending_.size();
    pending_gauge_.Set(static_cast<double>(pending_.size()));
  }
  pending_cv_.notify_all();
}

void Cache::ReplayPending() {
  std::vector<std::pair<std::string, uint64_t>> batch;
  {
    std::lock_guard lock(pending_mu_);
    batch.assign(pending_.begin(), pending_.end());
  }
  for (const auto& [key, serial] : batch) {
    if (!InvalidateInRedis({key})) return;
    std::lock_guard lock(pending_mu_);
    auto it = pending_.find(key);
    // A newer failure of the same key may belong to a write that committed after this replay
    // ran: it stays for the next pass.
    if (it != pending_.end() && it->second == serial) pending_.erase(it);
    pending_count_ = pending_.size();
    pending_gauge_.Set(static_cast<double>(pending_.size()));
  }
}

void Cache::ReplayLoop() {
  std::unique_lock lock(pending_mu_);
  while (!stopping_) {
    if (pending_.empty()) {
      pending_cv_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
      continue;
    }
    // Redis has just failed: give it `retry_after` instead of spinning on errors.
    if (pending_cv_.wait_for(lock, options_.retry_after, [&] { return stopping_; })) break;
    lock.unlock();
    ReplayPending();
    lock.lock();
  }
}

}  // namespace hc::redis
