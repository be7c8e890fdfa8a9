#pragma once
// The `transform` phase: per-site redirects and request/response header rules.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::transform {

std::unique_ptr<pipeline::Module> build_transform_module(const config::Config& config,
                                                         std::vector<config::Diagnostic>& errors);

// Applies header rules to a header list in order (exposed for tests).
void apply_header_rules(const std::vector<config::HeaderRule>& rules,
                        std::vector<http::Header>& headers);

}  // namespace rampart::modules::transform
