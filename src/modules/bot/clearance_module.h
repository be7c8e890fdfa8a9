#pragma once
// The `bot_clearance` module (phase normalize, before every security phase): checks the
// clearance cookie, sets RequestContext::clearance and the rules fields, and renews a
// full clearance past half its lifetime on the response. The `bot` module
// (bot_module.h) serves the challenges.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::bot {

std::unique_ptr<pipeline::Module> build_clearance_module(const config::Config& config,
                                                         std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::bot
