#pragma once
// Both readings of one User-Agent a request needs: the bot score's class (score_signals.h)
// and the clearance binding's family (clearance.h). bot_clearance and bot_score each ask
// for the same User-Agent, and a client sends the same one on every request, so the
// results are kept per worker thread for the last distinct User-Agents seen, keyed by
// the text itself (never by where it lives: a connection's buffer is reused by the next
// request, which may carry another User-Agent at the same address).

#include <string_view>

#include "modules/bot/score_signals.h"

namespace rampart::modules::bot {

struct UaFacts {
  UaInfo info;              // classify_user_agent(ua)
  std::string_view family;  // ua_family(ua): a static string or a view into `ua`
};

// The same as {classify_user_agent(ua), ua_family(ua)}, computed at most once per
// distinct User-Agent while it stays among the thread's recent ones.
UaFacts user_agent_facts(std::string_view ua);

}  // namespace rampart::modules::bot
