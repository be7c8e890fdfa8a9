#pragma once
// rampart_flood's per-class counters and the JSON report written from them (the format
// is described at the top of flood.cc).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace rampart_flood {

struct Bucket {
  long sent = 0, ok = 0, forbidden = 0, other = 0, error = 0;
};

struct ClassStats {
  long sent = 0;
  std::map<std::string, long> statuses;
  std::vector<uint32_t> latency_us;
  std::vector<Bucket> timeline;
  long connections = 0;
  uint32_t next_source = 0;
  long counter = 0;
};

struct ClassReport {
  std::string_view name;
  const ClassStats* stats = nullptr;
};

// One JSON object: per class the requests sent, connections, status histogram, latency
// percentiles (ms) and the per-second timeline; then the run's elapsed seconds.
std::string report_json(const std::vector<ClassReport>& classes, double elapsed_s);

}  // namespace rampart_flood
