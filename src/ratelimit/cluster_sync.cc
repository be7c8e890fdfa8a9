#include "ratelimit/cluster_sync.h"

#include <fmt/format.h>

#include <chrono>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "ratelimit/cluster_merge.h"
#include "ratelimit/redis_link.h"

namespace rampart::ratelimit {
namespace {

Nanos now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

KeyHasher fleet_hasher_of(const ClusterOptions& o) {
  std::string secret = o.redis.password + '\0' + o.key_prefix;
  return KeyHasher(KeyHasher(0x72616d7061727431ull, 0x666c656574206b31ull)(secret),
                   KeyHasher(0x72616d7061727432ull, 0x666c656574206b32ull)(secret));
}

// What the sync thread remembers of a key between intervals.
struct Watched {
  uint64_t local_key = 0;
  Nanos last_seen = 0;  // the request path last noted it
};

// Per channel, the keys whose fleet standing the node keeps fresh: those it saw within
// the rule's period.
struct ChannelState {
  std::shared_ptr<ClusterChannel> channel;
  std::unordered_map<uint64_t, Watched> watched;
  std::vector<uint64_t> order;  // fleet keys in the batch's order
  FleetBatch batch;
  // Rules with a mitigation timeout: blocks this node started that Redis has not
  // taken yet, the fleet's blocks as last fetched, and from when (Redis's clock, µs;
  // 0: fetch them all) the next sync asks for changes.
  cluster::UnpushedBlocks unpushed;
  cluster::FleetBlockSet fleet;
  int64_t blocks_since = 0;
  unsigned incremental = 0;  // syncs since the last full fetch
};

// Changes are asked for from a second before the previous answer, so a small step
// back of Redis's clock loses none (a block fetched twice is harmless).
constexpr int64_t kChangesOverlapMicros = 1'000'000;
// Every so many syncs the whole set, so blocks Redis dropped past its cap (or that a
// node of an older version added without noting the change) are caught up with.
constexpr unsigned kFullFetchEvery = 100;

class Runner {
 public:
  Runner(const ClusterOptions& o, ClusterStats& stats)
      : options_(o), stats_(stats), link_(o.redis) {}

  // One interval's work; returns how long to sleep before the next.
  Nanos step(std::vector<std::shared_ptr<ClusterChannel>>& live) {
    Nanos now = now_ns();
    collect(live, now);
    if (now < retry_at_) return options_.sync_interval;
    std::vector<FleetBatch*> batches;
    for (auto& [channel, state] : states_) {
      if (!state.batch.keys.empty() || !state.batch.blocks_key.empty()) {
        batches.push_back(&state.batch);
      }
    }
    std::string error;
    // With nothing to push (idle, or Redis was down) a PING still proves Redis answers.
    bool ok = batches.empty() ? link_.ping(error) : push_fleet(link_, batches, error);
    if (!ok) {
      failed(now, error);
      return options_.sync_interval;
    }
    succeeded(now);
    Nanos applied = now_ns();
    for (auto& [channel, state] : states_) apply(state, applied);
    return options_.sync_interval;
  }

 private:
  // Drains the channels into the watch lists and builds each rule's batch.
  void collect(std::vector<std::shared_ptr<ClusterChannel>>& live, Nanos now) {
    std::unordered_map<const ClusterChannel*, ChannelState> next;
    for (auto& channel : live) {
      auto found = states_.find(channel.get());
      ChannelState state;
      if (found != states_.end()) state = std::move(found->second);
      state.channel = channel;
      next.emplace(channel.get(), std::move(state));
    }
    states_ = std::move(next);
    std::vector<Noted> noted;
    for (auto& [ptr, state] : states_) {
      ClusterChannel& ch = *state.channel;
      const Policy& policy = ch.limiter().policy();
      noted.clear();
      ch.drain(noted);
      std::unordered_map<uint64_t, uint64_t> admitted;
      std::unordered_map<uint64_t, Nanos> first_admitted;
      FleetBatch& b = state.batch;
      b.started.clear();
      for (const Noted& n : noted) {
        if (n.block_until > now)
          state.unpushed.add(n.fleet_key, n.block_until, now, options_.max_keys);
        auto it = state.watched.find(n.fleet_key);
        if (it == state.watched.end()) {
          if (state.watched.size() >= options_.max_keys) {
            ch.add_unshared(n.counted);
            continue;
          }
          it = state.watched.emplace(n.fleet_key, Watched{n.local_key, now}).first;
        }
        it->second.last_seen = now;
        if (n.counted > 0) {
          admitted[n.fleet_key] += n.counted;
          if (n.first_counted > 0) {
            auto [f, added] = first_admitted.emplace(n.fleet_key, n.first_counted);
            if (!added) f->second = std::min(f->second, n.first_counted);
          }
        }
      }
      // A key the node has not seen for a period needs no fleet standing here: its
      // next request starts from whatever Redis says one interval later.
      std::erase_if(state.watched,
                    [&](const auto& kv) { return now - kv.second.last_seen > policy.period(); });
      b.interval = policy.interval();
      b.cap = cluster::debt_cap(policy);
      b.keys.clear();
      b.admitted.clear();
      b.ages.clear();
      state.order.clear();
      // Rules with a mitigation timeout also share their blocks, in the same round trip.
      // While Redis is down they wait here, and the sync that finds it back (its probe)
      // pushes those still in force, so the fleet learns of them at once.
      b.blocks_key.clear();
      b.blocks_changes_key.clear();
      b.max_blocks = options_.max_keys;
      if (policy.mitigation() > 0) {
        b.blocks_key = ch.redis_prefix() + "blocks";
        b.blocks_changes_key = ch.redis_prefix() + "blocks:changes";
        // A block ends `mitigation` after it starts, later only when the key's debt
        // (at most two periods) outlasts that.
        b.longest_block = policy.mitigation() + 2 * policy.period();
        state.unpushed.live(now, b.started);
        bool incremental = state.blocks_since > 0 && state.incremental < kFullFetchEvery;
        b.blocks_since =
            incremental ? std::max<int64_t>(state.blocks_since - kChangesOverlapMicros, 1) : 0;
      }
      if (down_) continue;  // counted locally only: the fleet's count restarts with Redis
      for (const auto& [fleet_key, w] : state.watched) {
        b.keys.push_back(fmt::format("{}{:016x}", ch.redis_prefix(), fleet_key));
        auto a = admitted.find(fleet_key);
        b.admitted.push_back(a == admitted.end() ? 0 : a->second);
        // Never older than the debt cap: a stalled sync cannot rewrite far history.
        auto f = first_admitted.find(fleet_key);
        b.ages.push_back(f == first_admitted.end()
                             ? 0
                             : std::clamp<Nanos>(now - f->second, 0, cluster::debt_cap(policy)));
        state.order.push_back(fleet_key);
      }
    }
  }

  void apply(ChannelState& state, Nanos now) {
    Limiter& limiter = state.channel->limiter();
    if (!state.batch.blocks_key.empty()) {
      state.unpushed.pushed();
      bool full = state.batch.blocks_since == 0;
      if (state.fleet.merge(state.batch.fleet_blocks, full, now, options_.max_keys)) {
        // The request path imposes these on each key's next request (it knows the key
        // in this node's table; the sync thread only knows those it has watched).
        fleet_blocks_.clear();
        state.fleet.for_each([&](uint64_t fleet_key, Nanos until) {
          fleet_blocks_.push_back({fleet_key, until});
        });
        state.channel->set_fleet_blocks(fleet_blocks_);
      }
      state.blocks_since = state.batch.blocks_now;
      state.incremental = full ? 0 : state.incremental + 1;
    }
    for (size_t i = 0; i < state.order.size(); ++i) {
      Nanos debt = state.batch.debts[i];
      if (debt <= 0) continue;
      const Watched& w = state.watched[state.order[i]];
      limiter.merge_fleet_debt(w.local_key, now, debt);
    }
  }

  void failed(Nanos now, const std::string& error) {
    // Redis may come back empty (restarted) or another one: fetch every block anew.
    for (auto& [channel, state] : states_) state.blocks_since = 0;
    stats_.syncs_failed.fetch_add(1, std::memory_order_relaxed);
    stats_.connected.store(false, std::memory_order_relaxed);
    ++failures_;
    backoff_ =
        backoff_ == 0
            ? options_.sync_interval
            : std::min<Nanos>(backoff_ * 2, std::max<Nanos>(2 * kSecond, options_.sync_interval));
    retry_at_ = now + backoff_;
    if (!down_) {
      down_ = true;
      down_since_ = now;
      last_log_ = now;
      failures_ = 1;
      core::log(core::LogLevel::kWarn,
                "rate_limit cluster: redis at {} unavailable ({}); rate limits are per node until "
                "it returns",
                link_.address(), error);
    } else if (now - last_log_ >= options_.log_interval) {
      last_log_ = now;
      core::log(core::LogLevel::kWarn,
                "rate_limit cluster: redis at {} still unavailable ({}) after {} s, {} attempts; "
                "rate limits are per node",
                link_.address(), error, (now - down_since_) / kSecond, failures_);
    }
  }

  void succeeded(Nanos now) {
    stats_.syncs_ok.fetch_add(1, std::memory_order_relaxed);
    stats_.connected.store(true, std::memory_order_relaxed);
    backoff_ = 0;
    retry_at_ = 0;
    if (down_) {
      core::log(core::LogLevel::kWarn,
                "rate_limit cluster: redis at {} is back after {} ms; rate-limit counters are "
                "shared again",
                link_.address(), (now - down_since_) / 1'000'000);
      down_ = false;
    } else if (!announced_) {
      core::log(core::LogLevel::kInfo, "rate_limit cluster: sharing counters through redis at {}",
                link_.address());
    }
    announced_ = true;
  }

  const ClusterOptions& options_;
  ClusterStats& stats_;
  redis::Connection link_;
  std::unordered_map<const ClusterChannel*, ChannelState> states_;
  bool down_ = false;
  bool announced_ = false;
  Nanos down_since_ = 0;
  Nanos last_log_ = 0;
  Nanos retry_at_ = 0;
  Nanos backoff_ = 0;
  uint64_t failures_ = 0;
  std::vector<FleetBlock> fleet_blocks_;
};

}  // namespace

std::string ClusterOptions::identity() const {
  return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", redis.host, redis.port,
                     redis.password, key_prefix, sync_interval, redis.timeout.count(), log_interval,
                     max_keys);
}

ClusterSync::ClusterSync(ClusterOptions options)
    : options_(std::move(options)), fleet_hasher_(fleet_hasher_of(options_)) {
  thread_.start([this] { run(); });
}

ClusterSync::~ClusterSync() {
  thread_.stop();
}

std::shared_ptr<ClusterChannel> ClusterSync::channel(const std::string& rule,
                                                     std::shared_ptr<Limiter> limiter) {
  std::lock_guard lock(thread_.mutex());
  for (auto it = channels_.begin(); it != channels_.end();) {
    it = it->second.expired() ? channels_.erase(it) : std::next(it);
  }
  auto& slot = channels_[rule];
  if (auto found = slot.lock(); found && &found->limiter() == limiter.get()) return found;
  std::string prefix = fmt::format("{}rl:{:016x}:", options_.key_prefix, fleet_hasher_(rule));
  auto made =
      std::make_shared<ClusterChannel>(std::move(limiter), std::move(prefix), options_.max_keys);
  slot = made;
  return made;
}

void ClusterSync::run() {
  Runner runner(options_, stats_);
  std::vector<std::shared_ptr<ClusterChannel>> live;
  Nanos sleep = options_.sync_interval;
  for (;;) {
    {
      std::unique_lock lock(thread_.mutex());
      if (!thread_.wait_for(lock, std::chrono::nanoseconds(sleep), [] { return false; })) return;
      live.clear();
      for (auto& [rule, weak] : channels_) {
        if (auto ch = weak.lock()) live.push_back(std::move(ch));
      }
    }
    sleep = runner.step(live);
    live.clear();  // a reload may drop a rule: hold no channel while sleeping
  }
}

}  // namespace rampart::ratelimit
