#pragma once
// The bot score: every signal's points added to a neutral 50 and clamped to 1..99
// (1 = certainly automated, 99 = certainly human; never 0, so "unset" cannot be
// confused with a score).

#include <cstdint>
#include <optional>
#include <string>

#include "modules/bot/behaviour.h"
#include "modules/bot/score_signals.h"

namespace rampart::modules::bot {

inline constexpr int kNeutralScore = 50;
// More header lines than this are not scored (bounded work per request): the scorer
// fails and the request carries no score. Only reachable when `limits.max_header_count`
// is raised above it.
inline constexpr size_t kMaxScoredHeaders = 128;

struct Signals {
  int ua = 0;
  int headers = 0;
  int order = 0;
  int tls = 0;
  int behaviour = 0;
  int clearance = 0;
};

// score = clamp(50 + ua + headers + order + tls + behaviour + clearance, 1, 99).
uint8_t combine(const Signals& s);

// "ua=-45 headers=0 order=0 tls=0 behaviour=0 clearance=0": what the score came from,
// for rules (`rampart.bot.signals`), the access log and tests.
std::string format_signals(const Signals& s);
void append_signals(std::string& out, const Signals& s);

// What one request gives the scorer.
struct ScoreInput {
  const http::RequestHead* head = nullptr;
  bool tls = false;
  std::string_view ja4;
  pipeline::ClearanceLevel clearance = pipeline::ClearanceLevel::kNone;
  core::IpAddress client;
  int64_t now = 0;  // seconds
};

// Every signal for one request, recording it in `table`; nullopt when the request
// cannot be scored (no head, more than kMaxScoredHeaders header lines).
std::optional<Signals> compute_signals(const ScoreInput& in, BehaviourTable& table);

// A page load rather than a subresource: Sec-Fetch-Dest says a document, or, without
// Fetch Metadata, the client accepts HTML.
bool is_page_load(const HeaderIndex& head);

}  // namespace rampart::modules::bot
