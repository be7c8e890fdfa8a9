#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rampart::pipeline {

// Request phases run in this order, then the response phases (ARCHITECTURE.md).
enum class Phase : uint8_t {
  kNormalize,
  kIpAccess,
  kDdosL7,
  kFirewall,
  kRateLimit,
  kBot,
  kWaf,
  kTransform,
  kCacheLookup,
  kOrigin,
  kCacheStore,
  kResponseTransform,
  kCompression,
  kLog,
};

inline constexpr std::array<std::string_view, 14> kPhaseNames = {
    "normalize",   "ip_access", "ddos_l7",      "firewall", "rate_limit",  "bot",
    "waf",         "transform", "cache_lookup", "origin",   "cache_store", "response_transform",
    "compression", "log"};

constexpr std::string_view phase_name(Phase phase) {
  return kPhaseNames[static_cast<size_t>(phase)];
}

std::optional<Phase> phase_from_name(std::string_view name);

}  // namespace rampart::pipeline
