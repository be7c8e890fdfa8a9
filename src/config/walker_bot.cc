// The walker's `bot:` section: the challenge's difficulty, clearance lifetimes, the keys
// that sign clearances and challenges, and the page's branding.

#include <algorithm>
#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kBotKeys = {"difficulty",  "puzzles",       "challenge_ttl",  "clearance_lifetime",
                       "no_js",       "no_js_delay",   "no_js_lifetime", "keys",
                       "branding",    "verified_bots", "feed_limits",    "reverse_dns",
                       "web_bot_auth"};
const Keys kBotKeyKeys = {"id", "secret"};
const Keys kBrandingKeys = {"name", "color"};
constexpr size_t kMaxBotKeys = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_css_color(const std::string& s) {
  if ((s.size() != 4 && s.size() != 7) || s[0] != '#') return false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (hex_value(s[i]) < 0) return false;
  }
  return true;
}

}  // namespace

void Walker::bot(const At& at) {
  BotSettings& b = cfg_.bot;
  b.line = std::max(at.pos.line, 1);
  if (at.node.IsNull()) return;
  fields(at, kBotKeys, "", [&](std::string_view key, const At& v) {
    if (key == "difficulty") {
      // 2^8 is nothing; past 2^28 a phone takes minutes.
      if (auto n = integer(v, 8, 28)) b.difficulty = static_cast<uint32_t>(*n);
    } else if (key == "puzzles") {
      auto n = integer(v, 1, 64);
      if (!n) return;
      if ((*n & (*n - 1)) != 0) {
        error(v, "expected a power of two from 1 to 64");
        return;
      }
      b.puzzles = static_cast<uint32_t>(*n);
    } else if (key == "challenge_ttl") {
      if (auto d = duration_in(v, Millis{10'000}, Millis{3'600'000})) b.challenge_ttl = *d;
    } else if (key == "clearance_lifetime") {
      if (auto d = duration_in(v, Millis{1'000}, Millis{86'400'000})) b.clearance_lifetime = *d;
    } else if (key == "no_js") {
      if (auto x = boolean(v)) b.no_js = *x;
    } else if (key == "no_js_delay") {
      if (auto d = duration_in(v, Millis{1'000}, Millis{60'000})) b.no_js_delay = *d;
    } else if (key == "no_js_lifetime") {
      if (auto d = duration_in(v, Millis{1'000}, Millis{3'600'000})) b.no_js_lifetime = *d;
    } else if (key == "keys") {
      items(v, kMaxBotKeys, "bot keys", [&](const At& item, size_t) {
        BotKey k;
        bool has_id = false, has_secret = false;
        fields(item, kBotKeyKeys, "", [&](std::string_view kk, const At& kv) {
          if (kk == "id") {
            if (auto n = integer(kv, 0, 255)) {
              for (const BotKey& other : b.keys) {
                if (other.id == *n) {
                  error(kv, "key id " + std::to_string(*n) + " is used twice");
                  return;
                }
              }
              k.id = static_cast<uint8_t>(*n);
              has_id = true;
            }
          } else if (kk == "secret") {
            auto s = string(kv);
            if (!s) return;
            if (s->size() < 64 || s->size() > 256 || s->size() % 2 != 0) {
              error(kv, "expected a secret of 64 to 256 hex digits (32 to 128 random bytes)");
              return;
            }
            for (size_t i = 0; i < s->size(); i += 2) {
              int hi = hex_value((*s)[i]), lo = hex_value((*s)[i + 1]);
              if (hi < 0 || lo < 0) {
                error(kv, "the secret must be hex digits");
                return;
              }
              k.secret.push_back(static_cast<char>(hi * 16 + lo));
            }
            has_secret = true;
          }
        });
        if (!item.node.IsMap()) return;
        if (!has_id) missing(item.pos, item.path, "id", "every key needs one (0-255)");
        if (!has_secret) missing(item.pos, item.path, "secret", "every key needs one");
        if (has_id && has_secret) b.keys.push_back(std::move(k));
      });
    } else if (key == "verified_bots" || key == "feed_limits" || key == "reverse_dns" ||
               key == "web_bot_auth") {
      bot_verified(key, v);
    } else if (key == "branding") {
      fields(v, kBrandingKeys, "", [&](std::string_view bk, const At& bv) {
        auto s = string(bv);
        if (!s) return;
        if (bk == "name") {
          if (s->empty() || s->size() > 100) {
            error(bv, "expected a name of 1 to 100 characters");
            return;
          }
          b.brand_name = *s;
        } else if (bk == "color") {
          if (!is_css_color(*s)) {
            error(bv, "expected a colour as #rgb or #rrggbb");
            return;
          }
          b.brand_color = *s;
        }
      });
    }
  });
  if (b.puzzles > (1u << (b.difficulty - 4)))
    error(at, "bot: too many puzzles for the difficulty (each needs at least 4 bits)");
}

}  // namespace rampart::config::detail
