// The walker's `cluster:` section: where the fleet's shared rate-limit counters live.

#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kClusterKeys = {"redis",   "password",     "key_prefix", "sync_interval",
                           "timeout", "log_interval", "max_keys",   "node"};

bool visible_ascii(std::string_view s) {
  for (char c : s) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

void Walker::cluster(const At& at) {
  ClusterSettings& c = cfg_.cluster;
  bool has_redis = false;
  fields(at, kClusterKeys, "", [&](std::string_view key, const At& v) {
    if (key == "redis") {
      has_redis = true;
      auto s = string(v);
      if (!s) return;
      auto addr = parse_endpoint(*s);
      if (!addr) {
        error(v, addr.error);
        return;
      }
      c.redis = *addr.value;
      c.enabled = true;
    } else if (key == "password") {
      auto s = string(v);
      if (!s) return;
      if (!visible_ascii(*s) || s->size() > 512) {
        error(v, "the password may hold only visible ASCII characters (at most 512)");
      } else {
        c.password = *s;
      }
    } else if (key == "key_prefix") {
      auto s = string(v);
      if (!s) return;
      if (!visible_ascii(*s) || s->size() > 64) {
        error(v, "the key prefix may hold only visible ASCII characters (at most 64)");
      } else {
        c.key_prefix = *s;
      }
    } else if (key == "sync_interval") {
      if (auto d = duration_in(v, Millis(10), Millis(10'000))) c.sync_interval = *d;
    } else if (key == "timeout") {
      if (auto d = duration_in(v, Millis(1), Millis(10'000))) c.timeout = *d;
    } else if (key == "log_interval") {
      if (auto d = duration_in(v, Millis(100), Millis(3'600'000))) c.log_interval = *d;
    } else if (key == "max_keys") {
      if (auto n = integer(v, 16, 10'000'000)) c.max_keys = static_cast<uint32_t>(*n);
    } else if (key == "node") {
      auto s = string(v);
      if (!s) return;
      if (s->empty() || !visible_ascii(*s) || s->size() > 128) {
        error(v, "the node name may hold only visible ASCII characters (1 to 128)");
      } else {
        c.node = *s;
      }
    }
  });
  if (at.node.IsMap() && !has_redis) {
    missing(at.pos, at.path, "redis", "the address of the redis-server the fleet shares");
  }
}

}  // namespace rampart::config::detail
