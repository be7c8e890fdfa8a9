#pragma once
// The `ddos_l7` phase: adaptive layer-7 DDoS mitigation per site (see README.md).

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::ddos {

std::unique_ptr<pipeline::Module> build_ddos_module(const config::Config& config,
                                                    std::vector<config::Diagnostic>& errors);

// Whether any site has a `ddos:` section (the module is left out otherwise).
bool ddos_configured(const config::Config& config);

}  // namespace rampart::modules::ddos
