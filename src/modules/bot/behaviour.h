#pragma once
// Request behaviour per client for the bot score: a bounded, process-wide table of
// recent clients (fixed memory, no allocation per request) counting, per one-minute
// window, requests, page navigations, subresource fetches and distinct paths.

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "core/ip.h"

namespace rampart::modules::bot {

// What the table knows of a client in its current window, this request included.
struct BehaviourSample {
  uint32_t requests = 0;
  uint32_t navigations = 0;     // HTML page loads (Sec-Fetch-Dest document, Accept text/html)
  uint32_t subresources = 0;    // everything else: images, scripts, styles, API calls
  uint32_t distinct_paths = 0;  // estimated (linear counting over 128 bits)
};

class BehaviourTable {
 public:
  static constexpr int64_t kWindowSeconds = 60;

  // `slots` is rounded up to a multiple of the set size; at least one set.
  explicit BehaviourTable(size_t slots);

  // Records one request of `client` and returns its window so far. IPv6 clients are
  // counted per /64 (one host's usual allocation).
  BehaviourSample observe(const core::IpAddress& client, std::string_view path, bool navigation,
                          int64_t now_seconds);

  // The table every bot_score module shares: it outlives reloads.
  static BehaviourTable& process();

 private:
  static constexpr size_t kWays = 4;  // a set-associative cache: evicts the stalest of 4
  static constexpr size_t kLocks = 64;
  struct Entry {
    uint64_t key = 0;  // 0: free
    int64_t window_start = 0;
    int64_t last_seen = 0;
    uint32_t requests = 0, navigations = 0, subresources = 0;
    uint64_t paths[2] = {0, 0};
  };
  std::vector<Entry> entries_;
  size_t sets_;
  std::unique_ptr<std::mutex[]> locks_;
};

// Points from behaviour: a high request rate, page after page without ever fetching a
// subresource, or a crawl over many distinct paths lower the score.
int behaviour_signal(const BehaviourSample& s);

}  // namespace rampart::modules::bot
