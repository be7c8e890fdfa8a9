// Fuzzes the bot score's reading of what a client sends: the input's first line is a
// JA4 string, the rest "name: value" header lines (split at '\n'). Invariants: nothing
// crashes; a computed score is within 1..99; a malformed JA4 never counts as
// browser-like; the same request always gets the same request signals.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "modules/bot/score.h"

using namespace rampart;
using namespace rampart::modules::bot;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view ja4 = in.substr(0, nl);
  in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  http::RequestHead head;
  head.method = "GET";
  head.path = "/";
  while (!in.empty() && head.headers.size() < 200) {
    nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    head.headers.push_back({line.substr(0, colon), value});
  }

  Ja4Shape shape = parse_ja4(ja4);
  const http::Header* agent = head.find("user-agent");
  UaInfo ua = classify_user_agent(agent != nullptr ? agent->value : std::string_view());
  if (!shape.valid && ua.browser() && !ja4.empty()) FUZZ_CHECK(tls_signal(ja4, ua) < 0);

  static BehaviourTable table(64);
  ScoreInput input;
  input.head = &head;
  input.tls = !ja4.empty();
  input.ja4 = ja4;
  input.now = 1'800'000'000;
  auto first = compute_signals(input, table);
  auto second = compute_signals(input, table);
  FUZZ_CHECK(first.has_value() == (head.headers.size() <= kMaxScoredHeaders));
  if (first) {
    uint8_t score = combine(*first);
    FUZZ_CHECK(score >= 1 && score <= 99);
    FUZZ_CHECK(first->ua == second->ua && first->headers == second->headers &&
               first->order == second->order && first->tls == second->tls);
  }
  return 0;
}
