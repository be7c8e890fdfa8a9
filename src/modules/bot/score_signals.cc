#include "modules/bot/score_signals.h"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <initializer_list>
#include <utility>

namespace rampart::modules::bot {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Position of `needle` (lowercase) in `hay`, ignoring ASCII case; npos when absent.
size_t ifind(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    size_t j = 0;
    while (j < needle.size() && lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return i;
  }
  return std::string_view::npos;
}

bool icontains(std::string_view hay, std::string_view needle) {
  return ifind(hay, needle) != std::string_view::npos;
}

// The major version after `token` ("chrome/") in a lowercased User-Agent, 0 when
// absent or not a number.
int version_after(std::string_view ua, std::string_view token) {
  size_t at = ua.find(token);
  if (at == std::string_view::npos) return 0;
  int v = 0;
  for (size_t i = at + token.size(); i < ua.size() && ua[i] >= '0' && ua[i] <= '9'; ++i) {
    if (v > 100000) return 0;
    v = v * 10 + (ua[i] - '0');
  }
  return v;
}

// Clients that say what they are: HTTP libraries, command-line tools, crawlers. Matched
// case-insensitively anywhere in the User-Agent.
constexpr std::string_view kAutomationTokens[] = {
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "python-httpx",
    "aiohttp",
    "httpx/",
    "go-http-client",
    "okhttp",
    "libwww-perl",
    "lwp::",
    "java/",
    "apache-httpclient",
    "axios/",
    "node-fetch",
    "undici",
    "scrapy",
    "httpie",
    "powershell",
    "guzzlehttp",
    "ruby",
    "phantomjs",
    "bot/",
    "bot;",
    "crawler",
    "spider",
};

bool one_of(std::string_view v, std::initializer_list<std::string_view> allowed) {
  for (std::string_view a : allowed) {
    if (http::iequals(v, a)) return true;
  }
  return false;
}

// Sec-Fetch-* (Fetch Metadata): browsers send Site, Mode and Dest together, with values
// from a closed set; User only on user-activated navigations, always "?1".
int sec_fetch_points(const HeaderIndex& head, const UaInfo& ua, bool tls) {
  const http::Header* site = head.get(Hdr::kSecFetchSite);
  const http::Header* mode = head.get(Hdr::kSecFetchMode);
  const http::Header* dest = head.get(Hdr::kSecFetchDest);
  const http::Header* user = head.get(Hdr::kSecFetchUser);
  if (site == nullptr && mode == nullptr && dest == nullptr && user == nullptr) {
    // Browsers send Fetch Metadata to secure origins only; these versions always do.
    bool sends = (ua.kind == UaKind::kChromium && ua.major >= 80) ||
                 (ua.kind == UaKind::kFirefox && ua.major >= 90) ||
                 (ua.kind == UaKind::kSafari && ua.major >= 17);
    return tls && sends ? -10 : 0;
  }
  if (site == nullptr || mode == nullptr || dest == nullptr) return -10;
  if (!one_of(site->value, {"none", "same-origin", "same-site", "cross-site"}) ||
      !one_of(mode->value, {"navigate", "same-origin", "no-cors", "cors", "websocket"}) ||
      !one_of(dest->value,
              {"document",     "iframe",        "frame",    "embed",       "object",
               "fencedframe",  "empty",         "image",    "script",      "style",
               "font",         "audio",         "video",    "track",       "worker",
               "sharedworker", "serviceworker", "manifest", "report",      "xslt",
               "audioworklet", "paintworklet",  "json",     "webidentity", "websocket"}))
    return -20;
  bool navigate = http::iequals(mode->value, "navigate");
  if (navigate &&
      !one_of(dest->value, {"document", "iframe", "frame", "embed", "object", "fencedframe"}))
    return -20;
  if (user != nullptr && (user->value != "?1" || !navigate)) return -20;
  return 10;
}

// sec-ch-ua (User-Agent Client Hints): Chromium only, and it names the same major
// version as the User-Agent ("Google Chrome";v="131").
int client_hint_points(const HeaderIndex& head, const UaInfo& ua, bool tls) {
  const http::Header* ch = head.get(Hdr::kSecChUa);
  if (ua.kind != UaKind::kChromium) return ch != nullptr ? -20 : 0;
  if (ch == nullptr) return tls && ua.major >= 89 ? -15 : 0;
  if (ua.major > 0) {
    char want[24];
    int n = std::snprintf(want, sizeof want, "v=\"%d\"", ua.major);
    if (n <= 0 ||
        ch->value.find(std::string_view(want, static_cast<size_t>(n))) == std::string_view::npos)
      return -20;
  }
  return 5;
}

int two_digits(std::string_view s, size_t at) {
  if (at + 2 > s.size() || s[at] < '0' || s[at] > '9' || s[at + 1] < '0' || s[at + 1] > '9')
    return -1;
  return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

}  // namespace

HeaderIndex::HeaderIndex(const http::RequestHead& head) : head_(head) {
  pos_.fill(-1);
  // The names it looks for, by length: most lines of a head have none of these lengths
  // or first letters, and are passed over without a comparison.
  auto note = [&](Hdr id, size_t i) {
    int& p = pos_[static_cast<size_t>(id)];
    if (p < 0) p = static_cast<int>(i);
  };
  for (size_t i = 0; i < head.headers.size(); ++i) {
    std::string_view name = head.headers[i].name;
    switch (name.size()) {
      case 6:
        if (http::iequals(name, "accept")) note(Hdr::kAccept, i);
        break;
      case 9:
        if (http::iequals(name, "sec-ch-ua")) note(Hdr::kSecChUa, i);
        break;
      case 10:
        if (http::iequals(name, "user-agent")) note(Hdr::kUserAgent, i);
        break;
      case 14:
        if (http::iequals(name.substr(0, 10), "sec-fetch-")) {
          std::string_view rest = name.substr(10);
          if (http::iequals(rest, "site")) {
            note(Hdr::kSecFetchSite, i);
          } else if (http::iequals(rest, "mode")) {
            note(Hdr::kSecFetchMode, i);
          } else if (http::iequals(rest, "dest")) {
            note(Hdr::kSecFetchDest, i);
          } else if (http::iequals(rest, "user")) {
            note(Hdr::kSecFetchUser, i);
          }
        }
        break;
      case 15:
        if (http::iequals(name.substr(0, 7), "accept-")) {
          std::string_view rest = name.substr(7);
          if (http::iequals(rest, "language")) {
            note(Hdr::kAcceptLanguage, i);
          } else if (http::iequals(rest, "encoding")) {
            note(Hdr::kAcceptEncoding, i);
          }
        }
        break;
      default:
        break;
    }
  }
}

UaInfo classify_user_agent(std::string_view ua) {
  UaInfo info;
  if (ua.empty()) return info;
  // Lowercased once (on the stack, every request pays this), then plain searches.
  char buf[1024];
  std::string_view low = ua.substr(0, sizeof buf);
  for (size_t i = 0; i < low.size(); ++i) buf[i] = lower(low[i]);
  low = std::string_view(buf, low.size());
  // One pass: at each byte, only the tokens that start with it are compared.
  static const auto kByFirst = [] {
    std::array<uint32_t, 256> masks{};
    for (size_t t = 0; t < std::size(kAutomationTokens); ++t)
      masks[static_cast<unsigned char>(kAutomationTokens[t][0])] |= 1u << t;
    return masks;
  }();
  static_assert(std::size(kAutomationTokens) <= 32);
  for (size_t i = 0; i < low.size(); ++i) {
    for (uint32_t m = kByFirst[static_cast<unsigned char>(low[i])]; m != 0; m &= m - 1) {
      std::string_view token = kAutomationTokens[std::countr_zero(m)];
      if (low.substr(i, token.size()) == token) {
        info.kind = UaKind::kAutomation;
        return info;
      }
    }
  }
  // Past the first KiB (no browser's is that long), the slow search.
  if (ua.size() > sizeof buf) {
    for (std::string_view token : kAutomationTokens) {
      if (icontains(ua, token)) {
        info.kind = UaKind::kAutomation;
        return info;
      }
    }
  }
  // Every current browser starts with the historical "Mozilla/5.0" product token.
  if (!ua.starts_with("Mozilla/5.0 ")) {
    info.kind = UaKind::kOther;
    return info;
  }
  if (int v = version_after(low, "headlesschrome/"); v > 0) {
    info = {UaKind::kChromium, v, true};
  } else if (int c = version_after(low, "chrome/"); c > 0) {
    info = {UaKind::kChromium, c, false};
  } else if (int i = version_after(low, "crios/"); i > 0) {
    info = {UaKind::kChromium, i, false};
  } else if (int f = version_after(low, "firefox/"); f > 0) {
    info = {UaKind::kFirefox, f, false};
  } else if (low.find("safari/") != std::string_view::npos &&
             low.find("applewebkit/") != std::string_view::npos) {
    info = {UaKind::kSafari, version_after(low, "version/"), false};
  } else {
    info.kind = UaKind::kOther;
  }
  return info;
}

int ua_signal(const UaInfo& ua) {
  switch (ua.kind) {
    case UaKind::kMissing:
      return -30;
    case UaKind::kAutomation:
      return -45;
    case UaKind::kOther:
      return -10;
    default:
      return ua.headless ? -15 : 0;
  }
}

int header_signal(const HeaderIndex& head, const UaInfo& ua, bool tls) {
  if (!ua.browser()) return 0;
  int points = 0;
  int present = 0;
  for (Hdr name : {Hdr::kAccept, Hdr::kAcceptLanguage, Hdr::kAcceptEncoding}) {
    if (head.get(name) != nullptr) {
      ++present;
    } else {
      points -= 15;
    }
  }
  if (present == 3) points += 20;
  points += client_hint_points(head, ua, tls);
  points += sec_fetch_points(head, ua, tls);
  return points;
}

int order_signal(const HeaderIndex& head, const UaInfo& ua) {
  int lang = head.position(Hdr::kAcceptLanguage);
  int enc = head.position(Hdr::kAcceptEncoding);
  int agent = head.position(Hdr::kUserAgent);
  if (lang < 0 || enc < 0 || agent < 0) return 0;
  if (ua.kind == UaKind::kChromium) {
    int hints = head.position(Hdr::kSecChUa);
    bool typical = enc < lang && agent < lang && (hints < 0 || hints < agent);
    return typical ? 5 : -15;
  }
  if (ua.kind == UaKind::kFirefox) {
    int accept = head.position(Hdr::kAccept);
    bool typical = lang < enc && (accept < 0 || agent < accept);
    return typical ? 5 : -15;
  }
  return 0;
}

Ja4Shape parse_ja4(std::string_view ja4) {
  Ja4Shape s;
  // "t13d1516h2_<hash>_<hash>": protocol, version, SNI kind, counts, ALPN.
  if (ja4.size() < 10 || (ja4.size() > 10 && ja4[10] != '_')) return s;
  if (ja4[0] != 't' && ja4[0] != 'q' && ja4[0] != 'd') return s;
  if (ja4[3] != 'd' && ja4[3] != 'i') return s;
  int version = two_digits(ja4, 1), ciphers = two_digits(ja4, 4), exts = two_digits(ja4, 6);
  if (version < 0 || ciphers < 0 || exts < 0) return s;
  s = {true, ja4[0], version, ciphers, exts, ja4.substr(8, 2)};
  return s;
}

int tls_signal(std::string_view ja4, const UaInfo& ua) {
  if (ja4.empty() || !ua.browser()) return 0;
  Ja4Shape s = parse_ja4(ja4);
  bool browser_like = s.valid && s.version == 13 && s.alpn == "h2" && s.ciphers >= 8 &&
                      s.ciphers <= 24 && s.extensions >= 12;
  return browser_like ? 10 : -30;
}

int clearance_signal(pipeline::ClearanceLevel level) {
  switch (level) {
    case pipeline::ClearanceLevel::kFull:
      return 40;
    case pipeline::ClearanceLevel::kLow:
      return 15;
    default:
      return 0;
  }
}

}  // namespace rampart::modules::bot
