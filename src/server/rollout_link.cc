#include "server/rollout_link.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <vector>

namespace rampart::server {

namespace {

// A record outlives every rollout it could matter to, then Redis forgets it.
constexpr const char* kRecordTtlSeconds = "604800";
constexpr auto kMaxBackoff = std::chrono::milliseconds(1000);

redisContext* ctx(void* p) {
  return static_cast<redisContext*>(p);
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

std::string reply_error(redisContext* c, const redisReply* r) {
  if (r == nullptr) return c->errstr[0] != '\0' ? std::string(c->errstr) : "no reply";
  if (r->type == REDIS_REPLY_ERROR) return std::string(r->str, r->len);
  return "unexpected reply type " + std::to_string(r->type);
}

bool final_stage(RolloutStage s) {
  return s == RolloutStage::kPromoted || s == RolloutStage::kRolledBack;
}

}  // namespace

std::string RolloutLinkOptions::identity() const {
  return fmt::format("{}|{}|{}|{}|{}|{}", host, port, password, key_prefix, timeout.count(),
                     poll_interval.count());
}

RolloutLink::RolloutLink(RolloutLinkOptions options) : options_(std::move(options)) {
  thread_ = std::thread([this] { run(); });
}

RolloutLink::~RolloutLink() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  close();
}

void RolloutLink::watch(const std::string& version, const std::string& node, uint32_t group,
                        RolloutStage stage) {
  {
    std::lock_guard lock(mutex_);
    target_ = Target{version, node, group, stage, "", ++revisions_};
    latest_.reset();
    latest_version_ = version;
  }
  wake_.notify_all();
}

void RolloutLink::report(const std::string& version, RolloutStage stage, const std::string& bad) {
  {
    std::lock_guard lock(mutex_);
    if (!target_ || target_->version != version) return;
    target_->stage = stage;
    if (!bad.empty()) target_->bad = bad;
    target_->revision = ++revisions_;
  }
  wake_.notify_all();
}

void RolloutLink::stop_watching() {
  std::lock_guard lock(mutex_);
  target_.reset();
  latest_.reset();
}

std::optional<RolloutRead> RolloutLink::take(const std::string& version) {
  std::lock_guard lock(mutex_);
  if (!latest_ || latest_version_ != version) return std::nullopt;
  std::optional<RolloutRead> out = std::move(latest_);
  latest_.reset();
  return out;
}

void RolloutLink::run() {
  auto pause = options_.poll_interval;
  std::unique_lock lock(mutex_);
  while (!stop_) {
    if (!target_) {
      wake_.wait(lock, [this] { return stop_ || target_.has_value(); });
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
    if (!stop_ && target_ && target_->revision == target.revision) {
      wake_.wait_for(lock, pause,
                     [&] { return stop_ || !target_ || target_->revision != target.revision; });
    }
  }
}

bool RolloutLink::connect(std::string& error) {
  if (context_ != nullptr) return true;
  timeval tv = to_timeval(options_.timeout);
  redisContext* c = redisConnectWithTimeout(options_.host.c_str(), options_.port, tv);
  if (c == nullptr) {
    error = "cannot allocate a connection";
    return false;
  }
  if (c->err != 0) {
    error = c->errstr;
    redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  context_ = c;
  if (!options_.password.empty()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "AUTH %b", options_.password.data(), options_.password.size()));
    bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (!ok) error = "AUTH refused: " + reply_error(c, r);
    if (r != nullptr) freeReplyObject(r);
    if (!ok) {
      close();
      return false;
    }
  }
  return true;
}

void RolloutLink::close() {
  if (context_ != nullptr) redisFree(ctx(context_));
  context_ = nullptr;
}

RolloutRead RolloutLink::exchange(const Target& target) {
  RolloutRead read;
  if (!connect(read.error)) return read;
  redisContext* c = ctx(context_);
  std::string key = options_.key_prefix + "rollout:" + target.version;
  std::string field = rollout_field(target.node);
  // Every round refreshes the heartbeat: the fleet tells a live node from a dead one by it.
  std::string value = rollout_value(target.group, target.stage, rollout_now_ms());
  std::vector<std::vector<std::string>> commands = {{"HSET", key, field, value}};
  // HSETNX: the first node to roll the version back gives the fleet its reason.
  if (!target.bad.empty()) commands.push_back({"HSETNX", key, "bad", target.bad});
  commands.push_back({"EXPIRE", key, kRecordTtlSeconds});
  commands.push_back({"HGETALL", key});
  for (const auto& cmd : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      read.error = reply_error(c, nullptr);
      close();
      return read;
    }
  }
  bool ok = true;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK) {
      read.error = reply_error(c, nullptr);
      close();
      return read;
    }
    auto* r = static_cast<redisReply*>(raw);
    bool last = i + 1 == commands.size();
    if (r->type == REDIS_REPLY_ERROR || (last && r->type != REDIS_REPLY_ARRAY)) {
      if (ok) read.error = reply_error(c, r);
      ok = false;
    } else if (last) {
      // Bounded: a fleet has far fewer nodes than this.
      std::vector<std::pair<std::string, std::string>> hash;
      for (size_t j = 0; j + 1 < r->elements && hash.size() < 4096; j += 2) {
        const redisReply* f = r->element[j];
        const redisReply* v = r->element[j + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) continue;
        hash.emplace_back(std::string(f->str, f->len), std::string(v->str, v->len));
      }
      read.record = parse_rollout_record(hash);
    }
    freeReplyObject(r);
  }
  if (!ok) {
    close();
    return read;
  }
  read.ok = true;
  return read;
}

}  // namespace rampart::server
