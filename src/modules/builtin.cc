#include "modules/builtin.h"

#include "modules/bot/bot_module.h"
#include "modules/bot/bot_runtime.h"
#include "modules/bot/clearance_module.h"
#include "modules/bot/score_module.h"
#include "modules/bot/verified_bot_module.h"
#include "modules/cache_rules/cache_rules_module.h"
#include "modules/ddos/ddos_module.h"
#include "modules/ddos/ddos_store.h"
#include "modules/firewall/firewall_module.h"
#include "modules/rate_limit/rate_limit_module.h"
#include "modules/transform/transform_module.h"
#include "modules/waf/waf_module.h"

namespace rampart::modules {

void register_builtin_modules(pipeline::ModuleRegistry& registry) {
  // Extension fields must exist before any rule compiles.
  bot::register_fields();
  bot::register_verified_bot_fields();
  registry.add({pipeline::Phase::kNormalize, "verified_bot", &bot::build_verified_bot_module,
                &bot::verified_bots_configured});
  bot::register_score_fields();
  registry.add({pipeline::Phase::kNormalize, "bot_clearance", &bot::build_clearance_module,
                &bot::bot_configured});
  // After bot_clearance (same phase, registration order): a passed challenge counts.
  registry.add(
      {pipeline::Phase::kNormalize, "bot_score", &bot::build_score_module, &bot::score_configured});
  registry.add(
      {pipeline::Phase::kDdosL7, "ddos_l7", &ddos::build_ddos_module, &ddos::ddos_configured});
  ddos::register_ddos_admin_routes();
  registry.add({pipeline::Phase::kFirewall, "firewall", &firewall::build_firewall_module});
  registry.add({pipeline::Phase::kRateLimit, "rate_limit", &rate_limit::build_rate_limit_module,
                &rate_limit::has_rate_limit_rules});
  registry.add({pipeline::Phase::kBot, "bot", &bot::build_bot_module, &bot::bot_configured});
  registry.add({pipeline::Phase::kWaf, "waf", &waf::build_waf_module,
                [](const config::Config& c) { return c.waf.enabled; }});
  registry.add({pipeline::Phase::kTransform, "transform", &transform::build_transform_module});
  registry.add(
      {pipeline::Phase::kCacheLookup, "cache_rules", &cache_rules::build_cache_rules_module});
}

}  // namespace rampart::modules
