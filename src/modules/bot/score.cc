#include "modules/bot/score.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "modules/bot/user_agent.h"

namespace rampart::modules::bot {

uint8_t combine(const Signals& s) {
  int total = kNeutralScore + s.ua + s.headers + s.order + s.tls + s.behaviour + s.clearance;
  return static_cast<uint8_t>(std::clamp(total, 1, 99));
}

void append_signals(std::string& out, const Signals& s) {
  fmt::format_to(std::back_inserter(out),
                 "ua={} headers={} order={} tls={} behaviour={} clearance={}", s.ua, s.headers,
                 s.order, s.tls, s.behaviour, s.clearance);
}

std::string format_signals(const Signals& s) {
  std::string out;
  append_signals(out, s);
  return out;
}

bool is_page_load(const HeaderIndex& head) {
  if (const http::Header* dest = head.get(Hdr::kSecFetchDest)) {
    return http::iequals(dest->value, "document") || http::iequals(dest->value, "iframe") ||
           http::iequals(dest->value, "frame");
  }
  const http::Header* accept = head.get(Hdr::kAccept);
  return accept != nullptr && accept->value.find("text/html") != std::string_view::npos;
}

std::optional<Signals> compute_signals(const ScoreInput& in, BehaviourTable& table) {
  if (in.head == nullptr || in.head->headers.size() > kMaxScoredHeaders) return std::nullopt;
  HeaderIndex index(*in.head);
  const http::Header* agent = index.get(Hdr::kUserAgent);
  UaInfo ua = user_agent_facts(agent != nullptr ? agent->value : std::string_view()).info;
  Signals s;
  s.ua = ua_signal(ua);
  s.headers = header_signal(index, ua, in.tls);
  s.order = order_signal(index, ua);
  s.tls = in.tls ? tls_signal(in.ja4, ua) : 0;
  s.behaviour =
      behaviour_signal(table.observe(in.client, in.head->path, is_page_load(index), in.now));
  s.clearance = clearance_signal(in.clearance);
  return s;
}

}  // namespace rampart::modules::bot
