#pragma once
// The bot score's request signals, each a pure function of what the client sent: a
// signed contribution in score points (negative: looks automated, positive: looks like
// the browser it claims to be). score.h adds them up.

#include <array>
#include <cstdint>
#include <string_view>

#include "http/message.h"
#include "pipeline/request_context.h"

namespace rampart::modules::bot {

enum class UaKind : uint8_t {
  kMissing,     // no User-Agent, or an empty one
  kAutomation,  // an HTTP library or command-line tool that names itself
  kChromium,    // Chrome, Edge, Opera, Brave, ... (a "Chrome/NN" token)
  kFirefox,
  kSafari,
  kOther,  // anything else: an app, a feed reader, a crawler
};

struct UaInfo {
  UaKind kind = UaKind::kMissing;
  int major = 0;          // the browser's major version, 0 when unknown
  bool headless = false;  // "HeadlessChrome": a browser driven by a program
  bool browser() const {
    return kind == UaKind::kChromium || kind == UaKind::kFirefox || kind == UaKind::kSafari;
  }
};

UaInfo classify_user_agent(std::string_view ua);

// The header lines the signals read, found in one pass over the head (first occurrence
// of each, with its position in arrival order). Built implicitly from a RequestHead.
enum class Hdr : uint8_t {
  kUserAgent,
  kAccept,
  kAcceptLanguage,
  kAcceptEncoding,
  kSecChUa,
  kSecFetchSite,
  kSecFetchMode,
  kSecFetchDest,
  kSecFetchUser,
  kCount,
};

class HeaderIndex {
 public:
  HeaderIndex(const http::RequestHead& head);  // NOLINT(google-explicit-constructor)
  const http::Header* get(Hdr h) const {
    int p = pos_[static_cast<size_t>(h)];
    return p < 0 ? nullptr : &head_.headers[static_cast<size_t>(p)];
  }
  int position(Hdr h) const { return pos_[static_cast<size_t>(h)]; }

 private:
  const http::RequestHead& head_;
  std::array<int, static_cast<size_t>(Hdr::kCount)> pos_;
};

// Points for the User-Agent alone: tools that name themselves score very low, a missing
// User-Agent low, unknown clients a little below neutral.
int ua_signal(const UaInfo& ua);

// A browser UA must come with the headers that browser always sends (Accept,
// Accept-Language, Accept-Encoding; on HTTPS, Chromium >= 89 adds sec-ch-ua and
// browsers add Sec-Fetch-*), and those must be coherent with it (no sec-ch-ua from
// Firefox or Safari, Sec-Fetch values that exist and agree with each other).
// Non-browser UAs get 0 here: ua_signal judged them.
int header_signal(const HeaderIndex& head, const UaInfo& ua, bool tls);

// Chromium sends Accept-Encoding before Accept-Language and User-Agent after its client
// hints; Firefox sends User-Agent right after Host and Accept-Language before
// Accept-Encoding. An order typical of the other family (or of HTTP libraries, which put
// User-Agent first and rarely send Accept-Language) contradicts the claim.
int order_signal(const HeaderIndex& head, const UaInfo& ua);

// The TLS client fingerprint (JA4, "t13d1516h2_..."), judged by its structure: browsers
// offer TLS 1.3, h2 first in ALPN, a trimmed cipher list (8 to 24 suites without
// GREASE) and many extensions (at least 12). A browser UA on a stack that is not
// browser-like is a library wearing a browser's name. Empty ja4 (plain HTTP): 0.
int tls_signal(std::string_view ja4, const UaInfo& ua);

// The JA4 structure tls_signal reads; nullopt-like `valid == false` when malformed.
struct Ja4Shape {
  bool valid = false;
  char protocol = 0;  // 't' TCP, 'q' QUIC, 'd' DTLS
  int version = 0;    // 13, 12, ...
  int ciphers = 0;
  int extensions = 0;
  std::string_view alpn;  // two characters: "h2", "h1", "00"
};
Ja4Shape parse_ja4(std::string_view ja4);

// A passed challenge: proof of work raises the score most, the no-JS step a little.
int clearance_signal(pipeline::ClearanceLevel level);

}  // namespace rampart::modules::bot
