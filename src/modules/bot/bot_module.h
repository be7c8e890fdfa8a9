#pragma once
// The `bot` phase: serves the challenges the firewall's `challenge`, `js_challenge` and
// `managed_challenge` actions ask for, and answers the reserved path
// /.rampart/challenge (proof-of-work answers, the no-JS step, the cookie check).
// Bot scoring and verified bots will live here too; today RequestContext::bot_score is
// only read (unset: unknown).

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::bot {

std::unique_ptr<pipeline::Module> build_bot_module(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors);

// managed_challenge by bot score: at or above kPassScore no challenge, at or above
// kNoJsScore the no-JS step, below (or unknown) proof of work.
inline constexpr uint8_t kPassScore = 70;
inline constexpr uint8_t kNoJsScore = 30;

}  // namespace rampart::modules::bot
