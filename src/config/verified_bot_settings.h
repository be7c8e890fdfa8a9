#pragma once
// Verified bots (`bot: verified_bots:` and its options): crawlers recognised by their
// published IP ranges, forward-confirmed reverse DNS or Web Bot Auth signatures. The
// range and key files are data feeds (feeds/), read by the verified_bot module.

#include <cstdint>
#include <string>
#include <vector>

#include "config/basics.h"

namespace rampart::config {

struct VerifiedBot {
  std::string name;        // e.g. googlebot: rampart.bot.verified_name
  std::string user_agent;  // token the User-Agent must contain (case-insensitive)
  std::string ip_ranges;   // JSON range file ({"prefixes":[{"ipv4Prefix":..}]}); resolved path
  std::vector<std::string> reverse_dns;  // name suffixes, lowercase, no trailing dot
  std::string web_bot_auth_keys;         // JWKS file of the bot's Ed25519 keys; resolved path
  int line = 0;
};

struct FeedLimitSettings {
  uint64_t max_bytes = uint64_t{1} << 20;
  uint64_t max_entries = 100'000;
  double max_change = 0.5;  // fraction; 0 disables the held-back check
};

struct ReverseDnsSettings {
  std::string resolver;  // "ip:port"; empty: the system's (/etc/resolv.conf)
  Millis timeout{2'000};
  uint32_t cache_size = 65'536;
  Millis positive_ttl{3'600'000};
  Millis negative_ttl{300'000};
};

struct WebBotAuthSettings {
  Millis max_skew{60'000};          // clock difference tolerated on created/expires
  Millis max_validity{86'400'000};  // expires - created at most
};

struct VerifiedBotSettings {
  std::vector<VerifiedBot> bots;
  FeedLimitSettings feed_limits;
  ReverseDnsSettings reverse_dns;
  WebBotAuthSettings web_bot_auth;
};

}  // namespace rampart::config
