#include "server/rollout_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <vector>

namespace rampart::server {

namespace {

// A record outlives every rollout it could matter to, then Redis forgets it.
constexpr const char* kRecordTtlSeconds = "604800";
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

bool final_stage(RolloutStage s) {
  return s == RolloutStage::kPromoted || s == RolloutStage::kRolledBack;
}

}  // namespace

std::string RolloutLinkOptions::identity() const {
  return fmt::format("{}|{}|{}|{}|{}|{}", redis.host, redis.port, redis.password, key_prefix,
                     redis.timeout.count(), poll_interval.count());
}

RolloutLink::RolloutLink(RolloutLinkOptions options)
    : options_(std::move(options)), redis_(options_.redis) {
  thread_.start([this] { run(); });
}

RolloutLink::~RolloutLink() {
  thread_.stop();
}

void RolloutLink::watch(const std::string& version, const std::string& node, uint32_t group,
                        RolloutStage stage) {
  {
    std::lock_guard lock(thread_.mutex());
    target_ = Target{version, node, group, stage, "", ++revisions_};
    latest_.reset();
    latest_version_ = version;
  }
  thread_.notify();
}

void RolloutLink::report(const std::string& version, RolloutStage stage, const std::string& bad) {
  {
    std::lock_guard lock(thread_.mutex());
    if (!target_ || target_->version != version) return;
    target_->stage = stage;
    if (!bad.empty()) target_->bad = bad;
    target_->revision = ++revisions_;
  }
  thread_.notify();
}

void RolloutLink::stop_watching() {
  std::lock_guard lock(thread_.mutex());
  target_.reset();
  latest_.reset();
}

std::optional<RolloutRead> RolloutLink::take(const std::string& version) {
  std::lock_guard lock(thread_.mutex());
  if (!latest_ || latest_version_ != version) return std::nullopt;
  std::optional<RolloutRead> out = std::move(latest_);
  latest_.reset();
  return out;
}

void RolloutLink::run() {
  auto pause = options_.poll_interval;
  std::unique_lock lock(thread_.mutex());
  while (!thread_.stopping()) {
    if (!target_) {
      thread_.wait(lock, [this] { return target_.has_value(); });
      continue;
    }
    Target target = *target_;
    lock.unlock();
    RolloutRead read = exchange(target);
    lock.lock();
    if (target_ && target_->version == target.version) {
      latest_ = read;
      latest_version_ = target.version;
      // A final stage Redis took needs no more rounds; a newer report would have
      // bumped the revision.
      if (read.ok && final_stage(target.stage) && target_->revision == target.revision) {
        target_.reset();
      }
    }
    pause = read.ok ? options_.poll_interval : std::min(kMaxBackoff, pause * 2);
    if (!thread_.stopping() && target_ && target_->revision == target.revision) {
      thread_.wait_for(lock, pause,
                       [&] { return !target_ || target_->revision != target.revision; });
    }
  }
}

RolloutRead RolloutLink::exchange(const Target& target) {
  RolloutRead read;
  std::string key = options_.key_prefix + "rollout:" + target.version;
  std::string field = rollout_field(target.node);
  // Every round refreshes the heartbeat: the fleet tells a live node from a dead one by it.
  std::string value = rollout_value(target.group, target.stage, rollout_now_ms());
  std::vector<std::vector<std::string_view>> commands = {{"HSET", key, field, value}};
  // HSETNX: the first node to roll the version back gives the fleet its reason.
  if (!target.bad.empty()) commands.push_back({"HSETNX", key, "bad", target.bad});
  commands.push_back({"EXPIRE", key, kRecordTtlSeconds});
  commands.push_back({"HGETALL", key});
  for (const auto& cmd : commands) {
    if (!redis_.append(cmd, read.error)) return read;
  }
  bool ok = true;
  redis::Reply r;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (!redis_.read(r, read.error)) return read;
    bool last = i + 1 == commands.size();
    if (r.type == redis::Reply::Type::kError || (last && r.type != redis::Reply::Type::kArray)) {
      if (ok) read.error = redis::describe(r);
      ok = false;
    } else if (last) {
      // Bounded: a fleet has far fewer nodes than this.
      std::vector<std::pair<std::string, std::string>> hash;
      for (size_t j = 0; j + 1 < r.elements.size() && hash.size() < 4096; j += 2) {
        redis::Reply& f = r.elements[j];
        redis::Reply& v = r.elements[j + 1];
        if (f.type != redis::Reply::Type::kString || v.type != redis::Reply::Type::kString) {
          continue;
        }
        hash.emplace_back(std::move(f.str), std::move(v.str));
      }
      read.record = parse_rollout_record(hash);
    }
  }
  if (!ok) {
    redis_.close();
    return read;
  }
  read.ok = true;
  return read;
}

}  // namespace rampart::server
