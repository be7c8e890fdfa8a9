#pragma once
// What the two bot modules (bot_clearance, bot) share: the keys and settings of one
// config snapshot, and small request helpers.

#include <time.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "modules/bot/bot_fields.h"
#include "modules/bot/clearance.h"
#include "modules/bot/user_agent.h"
#include "pipeline/request_context.h"

namespace rampart::modules::bot {

// Plain HTTP cannot carry a `__Host-` cookie (browsers require Secure for the prefix).
inline constexpr std::string_view kCookieTls = "__Host-rampart_clearance";
inline constexpr std::string_view kCookiePlain = "rampart_clearance";

struct Runtime {
  std::shared_ptr<const KeyRing> keys;
  config::BotSettings settings;

  static std::shared_ptr<const Runtime> from(const config::Config& config);
};

// Whole seconds are all tokens and challenges need: the coarse clock (updated every
// tick, a few milliseconds) costs a memory read where the precise one reads the TSC.
inline int64_t now_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return ts.tv_sec;
}

inline Binding binding_of(const pipeline::RequestContext& ctx) {
  const http::Header* ua = ctx.request.find("user-agent");
  std::string_view ja4 =
      ctx.tls && ctx.facts.tls_info != nullptr ? ctx.facts.tls_info->ja4 : std::string_view();
  return {user_agent_facts(ua != nullptr ? ua->value : std::string_view()).family, ja4};
}

// The clearance cookie's value, or empty. Looks through every Cookie field (HTTP/2
// clients may split them).
std::string_view find_clearance_cookie(const pipeline::RequestContext& ctx);

// "name=token; Path=/; Max-Age=...; HttpOnly; SameSite=Lax[; Secure]".
std::string clearance_set_cookie(bool tls, std::string_view token, uint32_t max_age);

// A fresh token for this request's client; a renewal keeps the old token's id, so
// what is counted per clearance (rampart.bot.clearance_id) carries over.
std::string issue_for(const Runtime& rt, const pipeline::RequestContext& ctx, Level level,
                      uint32_t lifetime, const std::array<uint8_t, 8>* keep_id = nullptr);

// Whether the bot modules have anything to do: a `bot:` section, a firewall or
// rate-limit rule that asks for a challenge, or a site with DDoS mitigation (which may
// ask for one). Without either they stay out
// of the pipeline and cost nothing.
bool bot_configured(const config::Config& config);

// Rules fields: `rampart.bot.clearance` (bool), `rampart.bot.clearance_level`
// ("full", "low", or "" without clearance) and `rampart.bot.clearance_id` (the token id
// in hex, or ""), indexed by ClearanceField. Registered once, before any compile; also
// registers pipeline::has_valid_clearance's check.
enum ClearanceField : size_t { kClearance, kClearanceLevel, kClearanceId, kClearanceFields };
const FieldIds<kClearanceFields>& register_fields();

}  // namespace rampart::modules::bot
