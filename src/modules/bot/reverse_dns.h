#pragma once
// Forward-confirmed reverse DNS for verified bots, never on a worker: lookups run on one
// background thread (c-ares, with a timeout) and land in a bounded cache; a worker only
// reads the cache and, on a miss, queues the address and goes on (the request proceeds
// unverified; later ones see the answer). A confirmed name is a PTR name whose own A or
// AAAA records contain the address.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/ip.h"

namespace rampart::modules::bot {

struct ReverseDnsOptions {
  std::string resolver;  // "ip:port"; empty: the system's resolv.conf
  std::chrono::milliseconds timeout{2'000};
  size_t cache_size = 65'536;
  std::chrono::milliseconds positive_ttl{3'600'000};
  std::chrono::milliseconds negative_ttl{300'000};
  bool operator==(const ReverseDnsOptions&) const = default;
};

// `host` (any case, trailing dot or not) is `suffix` or ends in "." + suffix.
bool host_has_suffix(std::string_view host, std::string_view suffix);
// Whether `addresses` (as the resolver returns them: 4 or 16 bytes each) hold `ip`.
bool forward_confirms(const core::IpAddress& ip, const std::vector<std::string>& addresses);

class ReverseDns {
 public:
  enum class Status : uint8_t { kPending, kConfirmed, kFailed };
  struct Answer {
    Status status = Status::kPending;
    std::string host;  // the confirmed name, lowercase, no trailing dot
  };

  // One resolver per distinct options, shared by the snapshots that use them, so a
  // reload keeps the cache.
  static std::shared_ptr<ReverseDns> shared(const ReverseDnsOptions& options);
  explicit ReverseDns(ReverseDnsOptions options);
  ~ReverseDns();

  // Cache lookup; on a miss the address is queued (the queue is bounded) and kPending.
  Answer lookup(const core::IpAddress& ip);

  struct Stats {
    uint64_t confirmed = 0, failed = 0, queue_full = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    Status status = Status::kPending;
    std::string host;
    std::chrono::steady_clock::time_point expires;
  };
  struct Job {
    core::IpAddress ip;
    int forward_pending = 0;
    bool done = false;
    Answer answer;
  };
  static std::string key_of(const core::IpAddress& ip) {
    return std::string(reinterpret_cast<const char*>(ip.bytes.data()), ip.bytes.size());
  }
  void run();
  void resolve_batch(std::vector<Job>& jobs);
  void store(const Job& job);

  const ReverseDnsOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> cache_;
  std::deque<std::string> order_;  // insertion order: the oldest entry goes first
  std::deque<core::IpAddress> queue_;
  bool stop_ = false;
  std::atomic<bool> stopping_{false};  // read by a running batch, to end it early
  Stats stats_;
  std::thread thread_;
};

}  // namespace rampart::modules::bot
