#pragma once
// The `bot_score` module (phase normalize, after bot_clearance, so before every security
// phase): computes RequestContext::bot_score and the rules fields
// `cf.bot_management.score`, `rampart.bot.signals` and `rampart.bot.score_failed`.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::bot {

// Registers the score's rules fields; call before any rule compiles.
void register_score_fields();

// Whether the score is needed: the bot modules run (bot_configured), or a rule reads
// one of the score's fields.
bool score_configured(const config::Config& config);

std::unique_ptr<pipeline::Module> build_score_module(const config::Config& config,
                                                     std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::bot
