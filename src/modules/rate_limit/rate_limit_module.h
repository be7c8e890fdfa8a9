#pragma once
// The `rate_limit` phase: requests matching a rule are counted per key (the values of
// the rule's characteristics) in a table shared by every worker; past the rule's rate
// its action applies (429, a challenge, or a log line). Config-wide rules first, then
// the site's.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::rate_limit {

// True when the config has an enabled rate-limit rule anywhere: without one the
// phase is left out of the pipeline and costs nothing.
bool has_rate_limit_rules(const config::Config& config);

std::unique_ptr<pipeline::Module> build_rate_limit_module(const config::Config& config,
                                                          std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::rate_limit
