#pragma once
// The `cache_rules` module (phase cache_lookup): each site's cache rules, evaluated in
// order; every matching rule's settings are merged into RequestContext::cache, later
// rules overriding earlier ones setting by setting. Its response hook rewrites the
// Cache-Control the client sees when a rule set browser_ttl.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/cache_directives.h"
#include "pipeline/module.h"

namespace rampart::modules::cache_rules {

std::unique_ptr<pipeline::Module> build_cache_rules_module(const config::Config& config,
                                                           std::vector<config::Diagnostic>& errors);

// Folds one matching rule's settings into `out` (exposed for tests).
void merge_settings(const config::CacheRuleSettings& settings, pipeline::CacheDirectives& out);

}  // namespace rampart::modules::cache_rules
