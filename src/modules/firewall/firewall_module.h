#pragma once
// The `firewall` phase: custom rules in the rules language, the config-wide ruleset
// first and then the site's, first terminating action wins.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::firewall {

std::unique_ptr<pipeline::Module> build_firewall_module(const config::Config& config,
                                                        std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::firewall
