// The walker's server-wide sections: version, workers, listeners, admin, logging, limits,
// timeouts and modules.

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kListenerKeys = {"name", "address", "tls", "http2"};
const Keys kAdminKeys = {"enabled", "address", "token"};
const Keys kLimitKeys = {"max_request_line",
                         "max_header_bytes",
                         "max_header_count",
                         "max_body_bytes",
                         "max_connections",
                         "max_connections_per_ip",
                         "max_requests_per_connection",
                         "accept_rate_per_ip",
                         "accept_burst_per_ip",
                         "deny",
                         "min_request_rate",
                         "min_send_rate",
                         "min_rate_window"};
const Keys kTimeoutKeys = {"header_read",   "body_read",        "client_idle",
                           "send",          "upstream_connect", "upstream_first_byte",
                           "upstream_idle", "shutdown_grace"};
const Keys kModuleNames = {"normalize",    "ip_access", "ddos_l7",     "firewall",
                           "rate_limit",   "bot",       "waf",         "transform",
                           "cache_lookup", "origin",    "cache_store", "response_transform",
                           "compression",  "log",       "cache_rules", "bot_clearance",
                           "verified_bot", "bot_score"};
const Keys kModuleKeys = {"enabled", "fail_mode"};

}  // namespace

// ---- top-level scalars ----

void Walker::version(const At& at) {
  auto s = string(at);
  if (!s) return;
  if (!is_label(*s)) {
    error(at, quote(*s) + " is not a valid version: use 1-64 characters of A-Z a-z 0-9 . _ -");
    return;
  }
  cfg_.version = *s;
}

void Walker::workers(const At& at) {
  if (at.node.IsScalar() && at.node.Scalar() == "auto") {
    cfg_.workers = 0;
    return;
  }
  if (!at.node.IsScalar()) {
    wrong_type(at, "\"auto\" or a number of threads");
    return;
  }
  auto n = parse_uint(at.node.Scalar());
  if (!n || *n.value < 1 || *n.value > 256) {
    error(at, "expected \"auto\" or a number from 1 to 256, got " + quote(at.node.Scalar()));
    return;
  }
  cfg_.workers = static_cast<uint32_t>(*n.value);
}

// ---- listeners and admin ----

void Walker::listeners(const At& at) {
  if (at.node.IsNull() || (at.node.IsSequence() && at.node.size() == 0)) {
    error(at, "at least one listener is needed");
    return;
  }
  items(at, detail::kMaxListeners, "listeners", [&](const At& item, size_t i) {
    Listener listener;
    detail::ListenerSource src{item.pos, item.pos, std::nullopt};
    bool has_address = false;
    bool ok = true;
    bool is_map = fields(item, kListenerKeys, "", [&](std::string_view key, const At& v) {
      if (key == "name") {
        auto s = string(v);
        if (s && !is_label(*s)) {
          error(v, quote(*s) + " is not a valid name: use 1-64 characters of A-Z a-z 0-9 . _ -");
          s.reset();
        }
        if (s) {
          listener.name = *s;
          src.name = v.pos;
        } else {
          ok = false;
        }
      } else if (key == "address") {
        has_address = true;
        auto s = string(v);
        if (!s) {
          ok = false;
          return;
        }
        auto addr = parse_listen_address(*s);
        if (!addr) {
          error(v, addr.error);
          ok = false;
          return;
        }
        listener.address = *addr.value;
        src.address = v.pos;
      } else if (key == "tls") {
        ListenerTls tls;
        tls.line = v.pos.line;
        tls.column = v.pos.column;
        listener_tls(v, tls);
        listener.tls = std::move(tls);
        src.tls = v.pos;
      } else if (key == "http2") {
        if (auto b = boolean(v)) listener.http2 = *b;
      }
    });
    if (!is_map) return;
    if (item.node.IsNull()) {
      error(item, "expected a listener map with an address");
      return;
    }
    if (!has_address) {
      missing(item.pos, item.path, "address", "");
      return;
    }
    if (!ok) return;
    if (listener.name.empty()) listener.name = "listener-" + std::to_string(i);
    cfg_.listeners.push_back(std::move(listener));
    where_.listeners.push_back(src);
  });
}

void Walker::admin(const At& at) {
  fields(at, kAdminKeys, "", [&](std::string_view key, const At& v) {
    if (key == "enabled") {
      if (auto b = boolean(v)) cfg_.admin.enabled = *b;
    } else if (key == "address") {
      where_.admin_address_invalid = true;
      auto s = string(v);
      if (!s) return;
      auto addr = parse_listen_address(*s);
      if (!addr) {
        error(v, addr.error);
        return;
      }
      where_.admin_address_invalid = false;
      cfg_.admin.address = *addr.value;
      where_.admin_address = v.pos;
    } else if (key == "token") {
      auto s = string(v);
      if (!s) return;
      if (s->empty()) return;  // explicit "": mutations stay refused
      bool printable = true;
      for (char c : *s) printable = printable && c > 0x20 && c < 0x7f;
      if (!printable) {
        error(v, "the token may hold only visible ASCII characters (no spaces)");
      } else if (s->size() < 16) {
        error(v, "the token is " + std::to_string(s->size()) +
                     " characters; use at least 16, since a short token can be guessed");
      } else if (s->size() > 1024) {
        error(v, "the token is longer than 1024 characters");
      } else {
        cfg_.admin.token = *s;
      }
    }
  });
}

void Walker::cache_settings(const At& at) {
  static const Keys kCacheKeys = {"memory", "max_object_size", "disk"};
  std::optional<Pos> disk_size;
  fields(at, kCacheKeys, "", [&](std::string_view key, const At& v) {
    if (key == "memory") {
      if (auto n = size(v, 1ull << 20, 1ull << 40)) cfg_.cache.memory_bytes = *n;
    } else if (key == "max_object_size") {
      if (auto n = size(v, 1, 1ull << 30)) cfg_.cache.max_object_bytes = *n;
    } else if (key == "disk") {
      disk_size = cache_disk(v);
    }
  });
  // A budget below one object would hold nothing, and barely above it would churn.
  if (disk_size && cfg_.cache.disk.size_bytes < 4 * cfg_.cache.max_object_bytes) {
    error(At{at.node, *disk_size, "cache.disk.size"},
          "the disk budget must hold at least 4 objects of max_object_size (" +
              std::to_string(cfg_.cache.max_object_bytes) + " bytes)");
    cfg_.cache.disk = {};
  }
}

std::optional<Pos> Walker::cache_disk(const At& at) {
  static const Keys kDiskKeys = {"path", "size"};
  DiskCacheSettings disk;
  std::optional<Pos> size_pos;
  bool has_path = false;
  bool ok = true;
  const bool is_map = fields(at, kDiskKeys, "", [&](std::string_view key, const At& v) {
    if (key == "path") {
      has_path = true;
      auto s = string(v);
      if (!s) {
        ok = false;
      } else if (s->empty() || s->front() != '/') {
        // Relative to what? rampart's working directory is not something to rely on.
        error(v, quote(*s) + " is not an absolute path");
        ok = false;
      } else if (s->size() > 4096) {
        error(v, "the path is longer than 4096 characters");
        ok = false;
      } else if (std::any_of(s->begin(), s->end(), [](char c) {
                   return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
                 })) {
        error(v, "the path contains control characters");
        ok = false;
      } else if (s->find_first_not_of('/') == std::string::npos) {
        error(v, "the disk cache needs a directory of its own, not /");
        ok = false;
      } else {
        disk.path = *s;
      }
    } else if (key == "size") {
      if (auto n = size(v, 16ull << 20, 1ull << 50)) {
        disk.size_bytes = *n;
        size_pos = v.pos;
      } else {
        ok = false;
      }
    }
  });
  if (!is_map) return std::nullopt;
  if (!has_path) missing(at.pos, at.path, "path", "the directory the disk tier keeps its files in");
  if (!size_pos && ok) missing(at.pos, at.path, "size", "the disk tier's byte budget, e.g. 10GiB");
  if (!has_path || !size_pos || !ok) return std::nullopt;
  while (disk.path.size() > 1 && disk.path.back() == '/') disk.path.pop_back();
  cfg_.cache.disk = std::move(disk);
  return size_pos;
}

void Walker::access_log_path(const At& at) {
  auto s = string(at);
  if (!s) return;
  if (s->empty()) {
    error(at, "expected stdout, off or a file path, got an empty string");
  } else if (s->size() > 4096) {
    error(at, "the path is longer than 4096 characters");
  } else if (std::any_of(s->begin(), s->end(), [](char c) {
               return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
             })) {
    error(at, "the path contains control characters");
  } else if (s->back() == '/') {
    error(at, quote(*s) + " names a directory; give a file path");
  } else {
    cfg_.access_log.path = *s;
  }
}

void Walker::trusted_proxies(const At& at) {
  items(at, detail::kMaxTrustedProxies, "trusted_proxies entries", [&](const At& item, size_t) {
    auto s = string(item);
    if (!s) return;
    auto cidr = core::Cidr::parse(*s);
    if (!cidr) {
      error(item, quote(*s) + " is not an IP address or CIDR prefix (e.g. 10.0.0.0/8)");
      return;
    }
    cfg_.trusted_proxies.add(*cidr);
  });
}

// ---- limits and timeouts ----

void Walker::limits(const At& at) {
  Limits& l = cfg_.limits;
  constexpr uint64_t kU32 = UINT32_MAX;
  fields(at, kLimitKeys, "", [&](std::string_view key, const At& v) {
    if (key == "max_request_line") {
      if (auto n = size(v, 256, 64 << 10)) {
        l.max_request_line = static_cast<uint32_t>(*n);
        where_.max_request_line = v.pos;
      }
    } else if (key == "max_header_bytes") {
      if (auto n = size(v, 1 << 10, 1 << 20)) {
        l.max_header_bytes = static_cast<uint32_t>(*n);
        where_.max_header_bytes = v.pos;
      }
    } else if (key == "max_header_count") {
      if (auto n = integer(v, 1, 10'000)) l.max_header_count = static_cast<uint32_t>(*n);
    } else if (key == "max_body_bytes") {
      if (auto n = size(v, 0, UINT64_MAX)) l.max_body_bytes = *n;
    } else if (key == "max_connections") {
      if (auto n = integer(v, 1, 10'000'000)) {
        l.max_connections = static_cast<uint32_t>(*n);
        where_.max_connections = v.pos;
      }
    } else if (key == "max_connections_per_ip") {
      if (auto n = integer(v, 1, 10'000'000)) {
        l.max_connections_per_ip = static_cast<uint32_t>(*n);
        where_.max_connections_per_ip = v.pos;
      }
    } else if (key == "max_requests_per_connection") {
      if (auto n = integer(v, 0, kU32)) l.max_requests_per_connection = static_cast<uint32_t>(*n);
    } else {
      guard_limit(key, v);  // walker_guard.cc
    }
  });
}

void Walker::timeouts(const At& at) {
  Timeouts& t = cfg_.timeouts;
  fields(at, kTimeoutKeys, "", [&](std::string_view key, const At& v) {
    auto d = duration(v);
    if (!d) return;
    if (key == "header_read") t.header_read = *d;
    if (key == "body_read") t.body_read = *d;
    if (key == "client_idle") t.client_idle = *d;
    if (key == "send") t.send = *d;
    if (key == "upstream_connect") t.upstream_connect = *d;
    if (key == "upstream_first_byte") t.upstream_first_byte = *d;
    if (key == "upstream_idle") t.upstream_idle = *d;
    if (key == "shutdown_grace") t.shutdown_grace = *d;
  });
}

// ---- modules ----

void Walker::modules(const At& at) {
  fields(at, kModuleNames, "the keys here are module names",
         [&](std::string_view name, const At& v) {
           ModuleSettings settings;
           bool ok = fields(v, kModuleKeys, "", [&](std::string_view key, const At& f) {
             if (key == "enabled") {
               if (auto b = boolean(f)) settings.enabled = *b;
             } else if (key == "fail_mode") {
               if (auto s = one_of(f, {"open", "closed"})) {
                 settings.fail_mode = *s == "open" ? FailMode::kOpen : FailMode::kClosed;
               }
             }
           });
           if (ok) cfg_.modules[std::string(name)] = settings;
         });
}

}  // namespace rampart::config::detail
