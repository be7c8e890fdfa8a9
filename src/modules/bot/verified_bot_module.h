#pragma once
// The `verified_bot` module (phase normalize, before every security phase): decides
// whether the client is a verified bot — its address in the bot's published IP ranges,
// a forward-confirmed reverse DNS name under one of its suffixes, or a valid Web Bot
// Auth signature by one of its keys — and sets RequestContext::verified_bot and the
// rules fields `cf.bot_management.verified_bot` and `rampart.bot.verified_name`.

#include <memory>
#include <vector>

#include "config/config.h"
#include "pipeline/module.h"

namespace rampart::modules::bot {

void register_verified_bot_fields();
bool verified_bots_configured(const config::Config& config);
std::unique_ptr<pipeline::Module> build_verified_bot_module(
    const config::Config& config, std::vector<config::Diagnostic>& errors);

}  // namespace rampart::modules::bot
