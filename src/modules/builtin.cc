#include "modules/builtin.h"

#include "modules/cache_rules/cache_rules_module.h"
#include "modules/ddos/ddos_module.h"
#include "modules/ddos/ddos_store.h"
#include "modules/firewall/firewall_module.h"
#include "modules/rate_limit/rate_limit_module.h"
#include "modules/transform/transform_module.h"
#include "modules/waf/waf_module.h"

namespace rampart::modules {

void register_builtin_modules(pipeline::ModuleRegistry& registry) {
  registry.add(
      {pipeline::Phase::kDdosL7, "ddos_l7", &ddos::build_ddos_module, &ddos::ddos_configured});
  ddos::register_ddos_admin_routes();
  registry.add({pipeline::Phase::kFirewall, "firewall", &firewall::build_firewall_module});
  registry.add({pipeline::Phase::kRateLimit, "rate_limit", &rate_limit::build_rate_limit_module,
                &rate_limit::has_rate_limit_rules});
  registry.add({pipeline::Phase::kWaf, "waf", &waf::build_waf_module,
                [](const config::Config& c) { return c.waf.enabled; }});
  registry.add({pipeline::Phase::kTransform, "transform", &transform::build_transform_module});
  registry.add(
      {pipeline::Phase::kCacheLookup, "cache_rules", &cache_rules::build_cache_rules_module});
}

}  // namespace rampart::modules
