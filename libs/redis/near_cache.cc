#include "libs/redis/near_cache.h"

#include <sys/ioctl.h>

#include <algorithm>
#include <string_view>

namespace hc::redis {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kVersionPrefix = "cache-version:";
// What an entry costs beyond its key and value (map node, list node, bookkeeping), roughly.
constexpr size_t kEntryOverhead = 128;
// How long the reader waits for the socket before looking at `stopping_` again.
constexpr auto kPollInterval = std::chrono::milliseconds(100);
// A message whose first bytes arrived has the rest on the wire already.
constexpr auto kMessageTimeout = std::chrono::seconds(2);

bool StartsWith(const std::string& s, std::string_view prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

// What a subscribed connection answers PING with (RESP2): ["pong", ""].
bool IsPong(const Reply& reply) {
  return reply.type == Reply::Type::kArray && !reply.elements.empty() &&
         reply.elements[0].str == "pong";
}

}  // namespace

NearCache::NearCache(Options options, prometheus::Counter& hits, prometheus::Gauge& bytes,
                     prometheus::Gauge& entries)
    : options_(std::move(options)), hits_(hits), bytes_gauge_(bytes), entries_gauge_(entries) {
  // Redis refuses overlapping BCAST prefixes; a prefix inside another adds nothing.
  std::sort(options_.prefixes.begin(), options_.prefixes.end());
  std::vector<std::string> kept;
  for (const std::string& p : options_.prefixes) {
    if (kept.empty() || !StartsWith(p, kept.back())) kept.push_back(p);
  }
  options_.prefixes = std::move(kept);
  reader_ = std::thread([this] { Run(); });
}

NearCache::~NearCache() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  reader_.join();
}

bool NearCache::Covers(const std::string& key) const {
  for (const std::string& p : options_.prefixes) {
    if (StartsWith(key, p)) return true;
  }
  return false;
}

bool NearCache::Quiet() const {
  // Order matters: bytes the reader took from the socket before FIONREAD saw it empty are
  // covered by `busy_`, set before the read and cleared only once they are applied.
  if (!healthy_.load()) return false;
  const int fd = fd_.load();
  int unread = 0;
  if (fd < 0 || ioctl(fd, FIONREAD, &unread) != 0 || unread != 0) return false;
  return !busy_.load() && healthy_.load();
}

std::shared_ptr<const std::string> NearCache::Get(const std::string& key) {
  if (!Quiet()) return nullptr;
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end() || it->second.filling) return nullptr;
  if (Clock::now() >= it->second.expires) {
    EraseLocked(key);
    SetGaugesLocked();
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it->second.order);
  hits_.Increment();
  return it->second.value;
}

uint64_t NearCache::BeginFill(const std::string& key) {
  if (!Covers(key) || !Quiet()) return 0;
  std::lock_guard lock(mu_);
  auto [it, added] = slots_.try_emplace(key);
  if (!it->second.filling) return 0;  // an entry is kept: nothing to fill
  // A fill already under way keeps its (earlier) mark and this read shares it: whichever of
  // the two installs first, both read Redis after the mark, which is all the rule needs.
  if (added) it->second.mark = ++last_mark_;
  return it->second.mark;
}

void NearCache::Fill(const std::string& key, uint64_t mark, std::string value,
                     std::chrono::milliseconds ttl) {
  const size_t cost = key.size() + value.size() + kEntryOverhead;
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  // Invalidated (or filled) meanwhile. A different mark is one put in after an invalidation
  // erased ours: this read may be older than that invalidation, so it must not fill.
  if (it == slots_.end() || !it->second.filling || it->second.mark != mark) return;
  if (cost > options_.max_bytes || !healthy_.load()) {
    slots_.erase(it);
    return;
  }
  while (bytes_ + cost > options_.max_bytes && !lru_.empty()) {
    EraseLocked(lru_.back());
  }
  Slot& slot = it->second;
  slot.filling = false;
  slot.value = std::make_shared<const std::string>(std::move(value));
  slot.expires = Clock::now() + ttl;
  lru_.push_front(key);
  slot.order = lru_.begin();
  bytes_ += cost;
  ++entries_;
  SetGaugesLocked();
}

void NearCache::CancelFill(const std::string& key, uint64_t mark) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it != slots_.end() && it->second.filling && it->second.mark == mark) slots_.erase(it);
}

void NearCache::Erase(const std::string& key) {
  std::lock_guard lock(mu_);
  EraseLocked(key);
  SetGaugesLocked();
}

void NearCache::EraseLocked(const std::string& key) {
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  if (!it->second.filling) {
    bytes_ -= key.size() + it->second.value->size() + kEntryOverhead;
    --entries_;
    lru_.erase(it->second.order);
  }
  slots_.erase(it);
}

void NearCache::FlushLocked() {
  slots_.clear();
  lru_.clear();
  bytes_ = 0;
  entries_ = 0;
  SetGaugesLocked();
}

void NearCache::SetGaugesLocked() {
  bytes_gauge_.Set(static_cast<double>(bytes_));
  entries_gauge_.Set(static_cast<double>(entries_));
}

void NearCache::Apply(const Reply& message) {
  // ["message", "__redis__:invalidate", [key...]] or a nil payload: everything (FLUSHALL).
  if (message.type != Reply::Type::kArray || message.elements.size() != 3 ||
      message.elements[0].str != "message") {
    return;
  }
  const Reply& keys = message.elements[2];
  std::lock_guard lock(mu_);
  if (keys.type == Reply::Type::kArray) {
    for (const Reply& k : keys.elements) {
      // A version changed: its key's value may no longer be current.
      if (StartsWith(k.str, kVersionPrefix)) {
        EraseLocked(k.str.substr(kVersionPrefix.size()));
      } else {
        EraseLocked(k.str);
      }
    }
  } else {
    FlushLocked();
  }
  SetGaugesLocked();
  messages_.fetch_add(1);
}

void NearCache::Run() {
  auto connector = Connector::Create(options_.connection);
  while (true) {
    if (connector.ok()) Session(**connector);
    std::unique_lock lock(stop_mu_);
    if (stop_cv_.wait_for(lock, options_.retry_after, [&] { return stopping_; })) return;
  }
}

void NearCache::Session(const Connector& connector) {
  auto connected = connector.Connect();
  if (!connected.ok()) return;
  std::unique_ptr<Connection> c = *std::move(connected);
  auto id = c->Command({"CLIENT", "ID"});
  if (!id.ok() || id->type != Reply::Type::kInteger) return;
  std::vector<std::string> tracking = {
      "CLIENT", "TRACKING", "on", "REDIRECT", std::to_string(id->integer), "BCAST"};
  for (const std::string& p : options_.prefixes) {
    tracking.insert(tracking.end(), {"PREFIX", p, "PREFIX", std::string(kVersionPrefix) + p});
  }
  auto tracked = c->Command(tracking);
  if (!tracked.ok() || tracked->type != Reply::Type::kStatus) return;
  auto subscribed = c->Command({"SUBSCRIBE", "__redis__:invalidate"});
  if (!subscribed.ok() || subscribed->type != Reply::Type::kArray) return;

  // Whatever changed before now went unseen: start empty.
  {
    std::lock_guard lock(mu_);
    FlushLocked();
  }
  fd_ = c->fd();
  busy_ = false;
  subscriptions_.fetch_add(1);
  healthy_ = true;

  // Anything arriving proves the connection alive, a message as much as a pong; a PING goes
  // out only after a silence, and one at a time.
  Clock::time_point heard = Clock::now();
  bool pinged = false;
  while (true) {
    {
      std::lock_guard lock(stop_mu_);
      if (stopping_) break;
    }
    if (!c->Buffered()) {
      busy_ = false;
      const Clock::time_point now = Clock::now();
      const Clock::time_point ping_at = heard + options_.heartbeat_interval;
      if (!pinged && now >= ping_at) {
        // A TLS write may read records (and hold them) too: count it as taking bytes.
        busy_ = true;
        if (!c->Send({"PING"}, now + kMessageTimeout).ok()) break;
        pinged = true;
        continue;
      }
      const Clock::time_point lost_at = heard + options_.heartbeat_deadline;
      Clock::time_point wake = std::min(now + kPollInterval, lost_at);
      if (!pinged) wake = std::min(wake, ping_at);
      // Always look at the socket once: a reader that was descheduled past the deadline has
      // not proved the connection silent.
      wake = std::max(wake, now + std::chrono::milliseconds(1));
      auto readable = c->WaitReadable(wake);
      if (!readable.ok()) break;
      if (!*readable) {
        // Silent too long: as good as closed, whatever TCP thinks.
        if (Clock::now() >= lost_at) break;
        continue;
      }
    }
    busy_ = true;
    auto message = c->Receive(Clock::now() + kMessageTimeout);
    if (!message.ok()) break;
    heard = Clock::now();
    if (IsPong(*message)) {
      pinged = false;
      heartbeats_.fetch_add(1);
      continue;
    }
    Apply(*message);
  }
  // Invalidations from here on would be lost: stop serving and forget everything.
  healthy_ = false;
  fd_ = -1;
  std::lock_guard lock(mu_);
  FlushLocked();
}

}  // namespace hc::redis
