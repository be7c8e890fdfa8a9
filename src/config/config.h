#pragma once
// The validated configuration: plain data produced by the loader after every check
// passed. Immutable once built; shared read-only by all workers through a Snapshot.
// The settings of each area live in their own header, included here.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/basics.h"
#include "config/cache_settings.h"
#include "config/cluster_settings.h"
#include "config/deployment_settings.h"
#include "config/pool_settings.h"
#include "config/rule_settings.h"
#include "config/safety_settings.h"
#include "config/security_settings.h"
#include "config/tls_settings.h"
#include "core/ip.h"

namespace rampart::config {

struct Listener {
  std::string name;
  HostPort address;
  std::optional<ListenerTls> tls;  // set: the listener speaks TLS
  // On TLS, ALPN offers h2 then http/1.1; on plain TCP, prior-knowledge h2c is accepted.
  bool http2 = true;
};

struct Redirect {
  std::string from;     // request path
  bool prefix = false;  // match: prefix keeps the rest of the path after `from`
  std::string to;       // absolute URL or path
  int status = 301;     // 301, 302, 303, 307 or 308
  bool keep_query = true;
};

// On-the-fly compression of the site's responses (gzip, brotli, zstd by Accept-Encoding).
struct SiteCompression {
  bool enabled = true;
};

struct Site {
  std::string name;
  std::vector<std::string> hosts;  // lowercase; exact names or "*.suffix" wildcards
  bool is_default = false;
  Origin origin;
  std::vector<HeaderRule> request_headers;
  std::vector<HeaderRule> response_headers;
  std::vector<Redirect> redirects;
  bool websocket = true;  // pass Upgrade: websocket through
  Ruleset firewall;       // evaluated after the config-wide firewall rules
  // Evaluated after the config-wide rate-limit rules.
  RateLimitRules rate_limit;
  SiteCache cache;
  SiteCompression compression;
  SiteTls tls;
  SiteDdos ddos;
};

struct Timeouts {
  Millis header_read{10'000};
  Millis body_read{30'000};    // max gap between body bytes
  Millis client_idle{60'000};  // keep-alive idle between requests
  Millis send{30'000};         // max time a write to a client may stall
  Millis upstream_connect{3'000};
  Millis upstream_first_byte{30'000};
  Millis upstream_idle{60'000};  // pooled idle upstream connections and body gaps
  Millis shutdown_grace{10'000};
};

struct Admin {
  bool enabled = true;
  HostPort address{"127.0.0.1", 9901};
  std::string token;  // bearer token for mutations; empty = mutations refused
};

struct AccessLog {
  std::string path = "stdout";  // "stdout", "off", or a file path
};

enum class FailMode : uint8_t { kOpen, kClosed };

struct ModuleSettings {
  bool enabled = true;  // the kill switch
  FailMode fail_mode = FailMode::kOpen;
};

struct Config {
  std::string version;   // the `version:` label, else derived from the file's hash
  std::string source;    // file path or "<embedded>"
  uint32_t workers = 0;  // 0 = one per core
  std::vector<Listener> listeners;
  std::vector<Site> sites;  // at most one has is_default
  Limits limits;
  Overload overload;
  Timeouts timeouts;
  core::CidrSet trusted_proxies;
  Admin admin;
  AccessLog access_log;
  std::string log_level = "info";
  bool allow_connect = false;
  std::map<std::string, ModuleSettings, std::less<>> modules;  // by module name
  std::map<std::string, NamedList, std::less<>> lists;         // by list name
  Ruleset firewall;         // config-wide ("account") rules, evaluated before each site's
  std::vector<Pool> pools;  // named pools plus the sites' implicit ones
  CacheSettings cache;
  WafSettings waf;
  // Config-wide rate-limit rules, evaluated before each site's.
  RateLimitRules rate_limit;
  ClusterSettings cluster;  // rate-limit counters shared through Redis
  BotSettings bot;
  Deployment deployment;
  SafetySettings safety;

  const ModuleSettings& module(std::string_view name) const;
  const Pool* pool(std::string_view name) const;
};

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:col: error: message"
};

struct LoadResult {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<Diagnostic> errors;
  bool ok() const { return config != nullptr; }
};

// Parses and checks a YAML config. Every error found is reported, not only the first.
LoadResult load_file(const std::string& path);
LoadResult load_string(std::string_view yaml_text, std::string_view source_name);

// The demo config compiled into the binary (used by `rampart run` without -c).
std::string_view embedded_demo_config();

}  // namespace rampart::config
