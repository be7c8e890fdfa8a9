// The walker's verified-bot keys of `bot:`: the bots (name, user-agent token, IP-range
// file, reverse-DNS suffixes, Web Bot Auth key file), the data-feed limits, the
// reverse-DNS resolver and the signature clock tolerances.

#include <algorithm>
#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"
#include "core/ip.h"

namespace rampart::config::detail {
namespace {

const Keys kVerifiedBotKeys = {"name", "user_agent", "ip_ranges", "reverse_dns",
                               "web_bot_auth_keys"};
const Keys kFeedLimitKeys = {"max_bytes", "max_entries", "max_change"};
const Keys kReverseDnsKeys = {"resolver", "timeout", "cache_size", "positive_ttl", "negative_ttl"};
const Keys kWebBotAuthKeys = {"max_skew", "max_validity"};
constexpr size_t kMaxVerifiedBots = 64;
constexpr size_t kMaxSuffixes = 16;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

void Walker::bot_verified(std::string_view key, const At& v) {
  VerifiedBotSettings& vb = cfg_.bot.verified;
  auto file_path = [&](const At& at) -> std::optional<std::string> {
    auto s = string(at);
    if (!s) return std::nullopt;
    if (s->empty() || s->size() > 4096 || std::any_of(s->begin(), s->end(), [](char c) {
          return static_cast<unsigned char>(c) < 0x20;
        })) {
      error(at, "expected a file path");
      return std::nullopt;
    }
    return resolve_path(*s);
  };
  if (key == "verified_bots") {
    items(v, kMaxVerifiedBots, "verified bots", [&](const At& item, size_t) {
      VerifiedBot bot;
      bot.line = item.pos.line;
      bool named = false, has_means = false;  // given, even if refused (one error each)
      fields(item, kVerifiedBotKeys, "", [&](std::string_view k, const At& x) {
        named |= k == "name";
        has_means |= k == "ip_ranges" || k == "reverse_dns" || k == "web_bot_auth_keys";
        if (k == "name") {
          auto s = string(x);
          if (!s) return;
          if (s->empty() || s->size() > 64 || !std::all_of(s->begin(), s->end(), is_name_char)) {
            error(x, "expected a name of 1 to 64 lowercase letters, digits, '_' or '-'");
            return;
          }
          for (const VerifiedBot& other : vb.bots) {
            if (other.name == *s) {
              error(x, "verified bot \"" + *s + "\" is defined twice");
              return;
            }
          }
          bot.name = *s;
        } else if (k == "user_agent") {
          auto s = string(x);
          if (!s) return;
          if (s->empty() || s->size() > 128) {
            error(x, "expected a user-agent token of 1 to 128 characters");
            return;
          }
          bot.user_agent = *s;
        } else if (k == "ip_ranges") {
          if (auto p = file_path(x)) bot.ip_ranges = *p;
        } else if (k == "web_bot_auth_keys") {
          if (auto p = file_path(x)) bot.web_bot_auth_keys = *p;
        } else if (k == "reverse_dns") {
          items(x, kMaxSuffixes, "reverse_dns suffixes", [&](const At& sx, size_t) {
            auto s = string(sx);
            if (!s) return;
            std::string suffix = lower(*s);
            while (!suffix.empty() && suffix.back() == '.') suffix.pop_back();
            while (!suffix.empty() && suffix.front() == '.') suffix.erase(0, 1);
            if (suffix.find('.') == std::string::npos || !is_valid_hostname(suffix)) {
              error(sx, "expected a domain name with at least two labels (googlebot.com)");
              return;
            }
            bot.reverse_dns.push_back(std::move(suffix));
          });
        }
      });
      if (!item.node.IsMap()) return;
      if (!named) missing(item.pos, item.path, "name", "every verified bot needs one");
      if (!has_means) {
        error(item, "a verified bot needs ip_ranges, reverse_dns or web_bot_auth_keys");
        return;
      }
      if (bot.user_agent.empty() && !bot.reverse_dns.empty() && !bot.name.empty()) {
        missing(item.pos, item.path, "user_agent",
                "reverse DNS is only looked up for requests claiming the bot's user agent");
        return;
      }
      if (!bot.name.empty()) vb.bots.push_back(std::move(bot));
    });
  } else if (key == "feed_limits") {
    fields(v, kFeedLimitKeys, "", [&](std::string_view k, const At& x) {
      if (k == "max_bytes") {
        if (auto n = size(x, 64, uint64_t{256} << 20)) vb.feed_limits.max_bytes = *n;
      } else if (k == "max_entries") {
        if (auto n = integer(x, 1, 10'000'000)) vb.feed_limits.max_entries = *n;
      } else if (k == "max_change") {
        if (auto p = percent(x, 1000)) vb.feed_limits.max_change = *p / 100.0;
      }
    });
  } else if (key == "reverse_dns") {
    fields(v, kReverseDnsKeys, "", [&](std::string_view k, const At& x) {
      if (k == "resolver") {
        auto s = string(x);
        if (!s) return;
        auto hp = split_host_port(*s);
        if (!hp || !core::IpAddress::parse(hp.value->host)) {
          error(x, "expected the resolver as ip:port (127.0.0.1:53, [::1]:53)");
          return;
        }
        vb.reverse_dns.resolver = *s;
      } else if (k == "timeout") {
        if (auto d = duration_in(x, Millis{100}, Millis{30'000})) vb.reverse_dns.timeout = *d;
      } else if (k == "cache_size") {
        if (auto n = integer(x, 16, 10'000'000))
          vb.reverse_dns.cache_size = static_cast<uint32_t>(*n);
      } else if (k == "positive_ttl") {
        if (auto d = duration_in(x, Millis{1'000}, Millis{86'400'000}))
          vb.reverse_dns.positive_ttl = *d;
      } else if (k == "negative_ttl") {
        if (auto d = duration_in(x, Millis{1'000}, Millis{86'400'000}))
          vb.reverse_dns.negative_ttl = *d;
      }
    });
  } else if (key == "web_bot_auth") {
    fields(v, kWebBotAuthKeys, "", [&](std::string_view k, const At& x) {
      if (k == "max_skew") {
        if (auto d = duration_in(x, Millis{0}, Millis{3'600'000})) vb.web_bot_auth.max_skew = *d;
      } else if (k == "max_validity") {
        if (auto d = duration_in(x, Millis{1'000}, Millis{7 * 86'400'000LL}))
          vb.web_bot_auth.max_validity = *d;
      }
    });
  }
}

}  // namespace rampart::config::detail
