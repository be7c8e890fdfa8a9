#pragma once
// The challenge page: self-contained HTML (inline style and script, allowed by a
// per-response CSP nonce; the solver runs in Web Workers built from a Blob URL),
// accessible (a live status region, reduced motion honoured) and localized (English,
// French). Also the short answers for requests that are not page navigations.

#include <string>
#include <string_view>

namespace rampart::modules::bot {

inline constexpr std::string_view kChallengePath = "/.rampart/challenge";

enum class PageMode : uint8_t {
  kProofOfWork,     // JS solves the puzzles; <noscript> offers the no-JS step if enabled
  kNoJs,            // only the timed no-JS step (managed challenge, likely human)
  kCookiesBlocked,  // the clearance cookie did not come back: explain instead of looping
};

struct PageParams {
  PageMode mode = PageMode::kProofOfWork;
  std::string_view lang = "en";  // "en" or "fr"
  std::string_view brand_name;
  std::string_view brand_color;
  std::string_view request_id;
  std::string_view challenge;
  unsigned bits = 0;  // per puzzle
  unsigned puzzles = 0;
  std::string_view return_to;  // a checked origin-form path
  bool no_js = true;           // offer the no-JS step
  unsigned no_js_delay = 5;    // seconds
  std::string_view nonce;      // the CSP nonce
};

std::string render_page(const PageParams& params);

// The Content-Security-Policy of the page.
std::string page_csp(std::string_view nonce);

// "fr" when Accept-Language prefers French over English, else "en".
std::string_view pick_language(std::string_view accept_language);

// For requests that are not navigations: a short JSON or plain-text reason.
struct ShortAnswer {
  std::string content_type;
  std::string body;
};
ShortAnswer short_answer(bool json, std::string_view request_id, bool under_attack);

// Percent-encodes a query value.
std::string url_encode(std::string_view s);
// Decodes a query or form value; nullopt-like empty on a bad escape (returns false).
bool url_decode(std::string_view s, std::string& out);

}  // namespace rampart::modules::bot
