// Cross-field TLS checks: a TLS listener has certificates to present.

#include <string>

#include "config/loader_internal.h"

namespace rampart::config::detail {

void check_tls(const Config& config, const SourceMap& where, Diagnostics& diags) {
  bool any_certificate = false;
  for (const Site& site : config.sites) any_certificate |= !site.tls.certificates.empty();
  if (any_certificate) return;
  // One error is enough: every TLS listener lacks the same thing.
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    if (!config.listeners[i].tls) continue;
    Pos pos = where.listeners[i].tls.value_or(where.listeners[i].address);
    diags.error(pos,
                "listeners[" + std::to_string(i) + "].tls: listener \"" + config.listeners[i].name +
                    "\" speaks TLS but no site has certificates (add sites[].tls.certificates)");
    return;
  }
}

}  // namespace rampart::config::detail
