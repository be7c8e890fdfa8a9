#pragma once
// Small value types every part of the configuration uses: durations, addresses,
// header edits and status ranges.

#include <chrono>
#include <cstdint>
#include <string>

namespace rampart::config {

using Millis = std::chrono::milliseconds;

struct HostPort {
  std::string host;  // literal IP or DNS name (resolved at load time for endpoints)
  uint16_t port = 0;
  std::string to_string() const;
};

enum class HeaderOp : uint8_t { kSet, kAdd, kRemove };

struct HeaderRule {
  HeaderOp op = HeaderOp::kSet;
  std::string name;
  std::string value;  // unused for kRemove
};

// Inclusive status code ranges, e.g. "2xx" = {200,299}; "200-299,301" = two ranges.
struct StatusRange {
  int low = 0;
  int high = 0;
};

}  // namespace rampart::config
