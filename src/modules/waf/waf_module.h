#pragma once
// The `waf` phase: the managed rules (by default the OWASP CRS) run by the seclang
// engine. Phase 1 runs on the request head; phase 2 on the buffered request body (or at
// once for requests without one); a disruptive verdict becomes a local response.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::waf {

std::unique_ptr<pipeline::Module> build_waf_module(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors);

// The SecLang files the `waf:` settings name, in load order (files, then the CRS setup
// and rules in name order). Errors (an unreadable rules directory) go to `errors`.
std::vector<std::string> waf_rule_files(const config::WafSettings& settings,
                                        std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::waf
