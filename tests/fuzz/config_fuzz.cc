// libFuzzer target for the config loader: any bytes must give either a config or a
// list of diagnostics, never a crash, a hang or an exception.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  rampart::config::LoadResult r = rampart::config::load_string(text, "fuzz.yaml");
  // The result is one or the other, never both or neither.
  if (r.ok() == !r.errors.empty()) __builtin_trap();
  for (const auto& d : r.errors) {
    if (d.line < 0 || d.column < 0 || d.message.empty()) __builtin_trap();
    // A message is one line, whatever the input held.
    if (d.to_string().find('\n') != std::string::npos) __builtin_trap();
  }
  if (r.ok()) {
    const auto& c = *r.config;
    if (c.listeners.empty() || c.sites.empty() || c.version.empty()) __builtin_trap();
    // Every origin a site names exists, with endpoints: a loaded config never leaves
    // a site without somewhere to send its requests.
    for (const auto& s : c.sites) {
      if (s.origin.pools.empty()) __builtin_trap();
      for (const auto& name : s.origin.pools) {
        const auto* pool = c.pool(name);
        if (pool == nullptr || pool->endpoints.empty()) __builtin_trap();
      }
      if (!s.origin.fallback.empty() && c.pool(s.origin.fallback) == nullptr) __builtin_trap();
    }
    for (const auto& p : c.pools) {
      if (p.endpoints.empty() || p.min_healthy > p.endpoints.size()) __builtin_trap();
      if (p.steering == rampart::config::Steering::kHash && !p.hash_key) __builtin_trap();
    }
  }
  return 0;
}
