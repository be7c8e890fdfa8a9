#pragma once
// Idle keep-alive connections to origin endpoints, one pool per worker (no locks).

#include <boost/asio/ip/tcp.hpp>
#include "core/net_types.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/read_buffer.h"
#include "proxy/upstream_io.h"

namespace rampart::proxy {

using Clock = std::chrono::steady_clock;

struct UpstreamConnection {
  explicit UpstreamConnection(core::Socket s) : io(std::move(s)) {}
  UpstreamIo io;
  boost::asio::ip::tcp::endpoint endpoint;
  core::ReadBuffer buffer{8192, 65536};
  Clock::time_point idle_since{};
  uint32_t requests = 0;
  uint32_t max_idle = 256;  // its pool's max_idle: release() keeps at most this many
  bool reused = false;      // taken from the pool rather than freshly connected
};

// Connects and failures are counted by the caller, which opens connections; the pool
// counts only what it decides (reuses). idle_count() gives the current idle number.
struct PoolStats {
  uint64_t reuses = 0;
};

class UpstreamPool {
 public:
  // `max_idle_per_endpoint` caps every connection's own max_idle.
  explicit UpstreamPool(size_t max_idle_per_endpoint = 100'000)
      : max_idle_per_endpoint_(max_idle_per_endpoint) {}

  // An idle connection to `endpoint` over `transport` (UpstreamIo::transport(): plain
  // TCP or one TLS context) younger than `max_idle`, or null. Connections idle for at
  // least `verify_after` are checked with a non-blocking peek and discarded when the
  // origin closed them (pass zero to always check).
  std::unique_ptr<UpstreamConnection> acquire(
      const boost::asio::ip::tcp::endpoint& endpoint, uint64_t transport, Clock::duration max_idle,
      Clock::duration verify_after = Clock::duration::zero());
  void release(std::unique_ptr<UpstreamConnection> connection);
  // Closes connections idle for longer than `max_idle`; run periodically.
  void sweep(Clock::duration max_idle);
  void clear();

  PoolStats& stats() { return stats_; }
  size_t idle_count() const;

 private:
  struct Key {
    boost::asio::ip::tcp::endpoint endpoint;
    uint64_t transport = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  size_t max_idle_per_endpoint_;
  std::unordered_map<Key, std::vector<std::unique_ptr<UpstreamConnection>>, KeyHash> idle_;
  PoolStats stats_;
};

}  // namespace rampart::proxy
