#pragma once
// The validated configuration: plain data produced by the loader after every check
// passed. Immutable once built; shared read-only by all workers through a Snapshot.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/ip_range_set.h"

namespace rampart::config {

using Millis = std::chrono::milliseconds;

struct HostPort {
  std::string host;  // literal IP or DNS name (resolved at load time for endpoints)
  uint16_t port = 0;
  std::string to_string() const;
};

// ---- TLS: a listener's protocol settings and a site's certificates ----

enum class TlsVersion : uint8_t { kTls12, kTls13 };

// A TLS listener's handshake settings (`listeners[].tls`).
struct ListenerTls {
  TlsVersion min_version = TlsVersion::kTls12;
  std::string ciphers;       // TLS 1.2 list in OpenSSL syntax; empty: ECDHE with AEAD only
  std::string ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's defaults
  bool session_tickets = true;
  // A ticket key encrypts for one period and is still accepted for two more.
  Millis ticket_key_rotation{12 * 3600 * 1000};
  Millis handshake_timeout{10'000};
  int line = 0;  // where `tls:` is written
  int column = 0;
};

struct Listener {
  std::string name;
  HostPort address;
  std::optional<ListenerTls> tls;  // set: the listener speaks TLS
  // On TLS, ALPN offers h2 then http/1.1; on plain TCP, prior-knowledge h2c is accepted.
  bool http2 = true;
};

// One certificate of a site: paths are resolved against the config file's directory.
// The positions let the TLS loader (tls/), which reads the files, point its errors at
// the config key that named them.
struct CertificateFiles {
  std::string cert;           // PEM: the leaf, then its chain
  std::string key;            // PEM private key
  std::string ocsp_response;  // DER OCSP response to staple; empty: none
  int cert_line = 0, cert_column = 0;
  int key_line = 0, key_column = 0;
  int ocsp_line = 0, ocsp_column = 0;
};

struct ClientAuth {
  bool enabled = false;  // `client_auth:` written
  std::string ca;        // PEM file of the CAs that client certificates must chain to
  bool required = true;  // false: ask for a certificate, accept a connection without one
  int ca_line = 0, ca_column = 0;
};

struct Hsts {
  bool enabled = false;  // `hsts:` written
  Millis max_age{180ll * 24 * 3600 * 1000};
  bool include_subdomains = false;
  bool preload = false;
};

struct SiteTls {
  std::vector<CertificateFiles> certificates;  // RSA and ECDSA may sit side by side
  ClientAuth client_auth;
  bool https_redirect = false;  // answer plain-HTTP requests with a redirect to https
  uint16_t https_port = 443;    // the redirect's port (omitted from Location when 443)
  Hsts hsts;
};

enum class HeaderOp : uint8_t { kSet, kAdd, kRemove };

struct HeaderRule {
  HeaderOp op = HeaderOp::kSet;
  std::string name;
  std::string value;  // unused for kRemove
};

struct Redirect {
  std::string from;     // request path
  bool prefix = false;  // match: prefix keeps the rest of the path after `from`
  std::string to;       // absolute URL or path
  int status = 301;     // 301, 302, 303, 307 or 308
  bool keep_query = true;
};

// ---- rules: the config side of the expression language (compiled by rules/) ----

// An expression exactly as written, with a map from offsets in `text` back to the
// file, so an error inside an expression can point at the offending token.
struct SourceText {
  struct Line {
    size_t offset = 0;  // where this source line starts in `text`
    int line = 0;       // its 1-based line and column in the file
    int column = 0;
  };
  std::string text;
  int line = 0;  // where the YAML value starts
  int column = 0;
  // One entry per source line when `text` appears verbatim in the file (plain or
  // quoted without escapes, or a literal block); empty when YAML folded or unescaped
  // it, and then positions fall back to the value's start.
  std::vector<Line> lines;

  struct Position {
    int line = 0;
    int column = 0;
  };
  Position locate(size_t offset) const;
};

enum class RuleAction : uint8_t {
  kBlock,
  kAllow,      // skip the remaining firewall rules and the later security phases
  kLog,        // record the match and go on
  kSkip,       // skip named later rules, phases, or the rest of the firewall
  kChallenge,  // the three challenges record a verdict; the bot phase serves it
  kJsChallenge,
  kManagedChallenge,
  kRedirect,
  kRewrite,
  kRoute,  // send the request to another pool (or failover list) than the site's
};

std::string_view rule_action_name(RuleAction action);

// A value that is either a literal or an expression of the rules language yielding a
// string (redirect targets, rewritten paths and queries).
struct DynamicValue {
  std::string literal;
  std::optional<SourceText> expression;  // set: evaluated per request; literal unused
};

// Every action's parameters in one struct; the loader allows only the keys that the
// rule's action uses.
struct ActionParameters {
  // block
  int status_code = 403;
  std::string content_type;  // empty: rampart's own error page (HTML, or JSON if asked)
  std::string content;
  // skip
  std::vector<std::string> skip_rules;   // ids of later rules
  std::vector<std::string> skip_phases;  // later security phases: rate_limit, bot, waf
  bool skip_remaining_rules = false;     // the rest of the firewall rules
  // Managed-WAF (SecLang) rules not to run for the request: ids and inclusive id ranges.
  std::vector<std::pair<int64_t, int64_t>> skip_waf_rules;
  // redirect
  std::optional<DynamicValue> target_url;
  int redirect_status = 302;  // 301, 302, 303, 307 or 308
  bool preserve_query_string = false;
  // rewrite
  std::optional<DynamicValue> rewrite_path;
  std::optional<DynamicValue> rewrite_query;
  // route
  std::vector<std::string> route_pools;  // failover order
  std::string route_fallback;
};

struct Rule {
  std::string id;  // unique in a config (a label: also a metrics label)
  std::string description;
  SourceText expression;
  RuleAction action = RuleAction::kLog;
  ActionParameters parameters;
  bool enabled = true;
  bool logging = true;  // false: a match is counted but not listed in the access log
  int line = 0;         // where the rule's list item starts
  int column = 0;
};

struct Ruleset {
  std::vector<Rule> rules;  // evaluated in order
};

// ---- rate limiting (the rate_limit phase, modules/rate_limit/) ----

// A rate-limit rule: requests matching `expression` are counted per key, the key
// being the values of `characteristics`; past `requests_per_period` per `period` the
// action applies.
struct RateLimitRule {
  std::string id;  // shares the id space of firewall rules
  std::string description;
  SourceText expression;
  // Each as written: "ip.src", "ip.src/24" (or "ip.src/24/48": the IPv4 and IPv6
  // prefix lengths), or any expression of the rules language giving a value.
  std::vector<SourceText> characteristics;
  Millis period{60'000};
  uint64_t requests_per_period = 0;
  Millis mitigation_timeout{0};  // 0: only the excess is refused
  // Set: a request counts only when this is true of its response.
  std::optional<SourceText> counting_expression;
  // block (429), challenge, js_challenge, managed_challenge or log.
  RuleAction action = RuleAction::kBlock;
  bool response_headers = false;  // RateLimit and RateLimit-Policy on matching responses
  uint64_t max_keys = 100'000;    // keys the rule's table tracks at once
  bool enabled = true;
  int line = 0;
  int column = 0;
};

struct RateLimitRules {
  std::vector<RateLimitRule> rules;  // evaluated in order
};

enum class ListKind : uint8_t { kIp };

// A named list, referenced from expressions as `$name`.
struct NamedList {
  std::string name;
  ListKind kind = ListKind::kIp;
  std::string file;  // empty: the items were inline in the YAML
  std::shared_ptr<const core::IpRangeSet> ips;
  int line = 0;  // where the list is defined
  int column = 0;
};

// ---- origins: pools of endpoints, health, failover, retries ----

enum class Steering : uint8_t {
  kRoundRobin,        // "round_robin": smooth weighted round robin (the default)
  kRandom,            // "random": weighted random
  kLeastOutstanding,  // "least_outstanding": fewest in-flight requests
  kPowerOfTwo,        // "p2c": two random candidates, the less busy one
  kLatency,           // "latency": EWMA of time to first byte
  kHash,              // "hash": Maglev consistent hashing on `hash_key`
};

std::string_view steering_name(Steering steering);

struct PoolEndpoint {
  HostPort address;
  uint32_t weight = 1;  // 1-1000
  bool enabled = true;  // false: configured but sent no traffic (and not checked)
  int line = 0;         // where the endpoint is written
  int column = 0;
};

// Inclusive status code ranges, e.g. "2xx" = {200,299}; "200-299,301" = two ranges.
struct StatusRange {
  int low = 0;
  int high = 0;
};

enum class HealthCheckKind : uint8_t { kHttp, kTcp };

struct HealthCheck {
  bool enabled = false;  // a pool without `health_check:` is not actively checked
  HealthCheckKind kind = HealthCheckKind::kHttp;
  std::string method = "GET";
  std::string path = "/";
  std::string host;                   // Host header; empty: the endpoint's address
  std::vector<HeaderRule> headers;    // only kSet entries
  std::vector<StatusRange> expected;  // default {200,399}
  std::string expected_body;          // substring of the first 64 KiB; empty: not checked
  Millis interval{5'000};
  Millis timeout{2'000};
  uint32_t healthy_threshold = 2;    // consecutive passes to go up
  uint32_t unhealthy_threshold = 3;  // consecutive failures to go down
  uint32_t jitter_percent = 10;      // each interval is stretched by up to this much
};

// Passive health: ejection after consecutive failures seen on real traffic.
struct OutlierDetection {
  bool enabled = true;
  uint32_t consecutive_failures = 5;  // connect failures, resets, timeouts (and 5xx if set)
  bool count_5xx = true;              // a 5xx answer counts as a failure
  Millis base_ejection{10'000};       // doubled for each ejection in a row
  Millis max_ejection{300'000};
  uint32_t max_ejected_percent = 50;  // of the pool's endpoints at once
};

struct Affinity {
  bool enabled = false;
  std::string cookie = "rampart_affinity";
  Millis ttl{0};  // 0: a session cookie
};

struct RetryBudget {
  uint32_t percent = 20;     // retries at most this share of requests...
  Millis window{10'000};     // ...over this sliding window
  uint32_t min_retries = 3;  // plus this many per window, so a quiet pool can retry
};

// TLS to a pool's origins (`pools.<name>.tls`, or `tls` in a site's inline origin).
// Files are only named here; tls/ reads them when it builds the pool's client context.
struct OriginTls {
  std::string ca;         // PEM file of trusted CAs; empty: the system store
  std::string sni;        // server name sent and verified; empty: the endpoint's host if a name
  bool verify = true;     // check the chain and the name
  bool insecure = false;  // verify: false without pins; logged as a warning on each load
  std::vector<std::string> pins_sha256;  // 32-byte SHA-256 digests of accepted leaf SPKIs
  std::string cert;                      // client certificate (PEM chain) for mTLS origins
  std::string key;                       // its private key
  TlsVersion min_version = TlsVersion::kTls12;
  int line = 0;  // where `tls:` is written
  int column = 0;
  int ca_line = 0, ca_column = 0;
  int cert_line = 0, cert_column = 0;
  int key_line = 0, key_column = 0;
};

struct Pool {
  std::string name;
  Steering steering = Steering::kRoundRobin;
  std::optional<SourceText> hash_key;  // kHash: a rules expression yielding a string
  Affinity affinity;
  std::vector<PoolEndpoint> endpoints;  // at least one
  uint32_t min_healthy = 1;             // fewer usable endpoints: failover moves on
  HealthCheck health_check;
  OutlierDetection outlier_detection;
  uint32_t max_connections = 0;  // per endpoint, open connections; 0 = unlimited
  uint32_t max_pending = 0;      // requests queued for a full pool; 0 = shed at once
  // Idle keep-alive connections kept per endpoint and worker; more are closed.
  uint32_t max_idle = 1024;
  Millis pending_timeout{1'000};
  RetryBudget retry_budget;
  std::optional<OriginTls> tls;  // set: endpoints are reached over TLS
  bool http2 = false;            // HTTP/2 to the origins: ALPN h2 with tls, else prior knowledge
  bool implicit = false;         // made from a site's `origin: endpoints:` shorthand
  int line = 0;                  // where the pool is defined
  int column = 0;
};

enum class RetryOn : uint8_t {
  kConnectFailure = 1,  // connect refused or timed out (nothing was sent)
  kReset = 2,           // the connection closed before a response
  kTimeout = 4,         // no response head within per_try_timeout
  k5xx = 8,             // the origin answered 500-599
  kGatewayError = 16,   // the origin answered 502, 503 or 504
};

struct RetryPolicy {
  uint32_t max_tries = 2;     // first try included; 1 = no retries
  Millis per_try_timeout{0};  // 0: timeouts.upstream_first_byte
  uint8_t retry_on = static_cast<uint8_t>(RetryOn::kConnectFailure) |
                     static_cast<uint8_t>(RetryOn::kReset) |
                     static_cast<uint8_t>(RetryOn::kTimeout);
  Millis hedge_after{0};  // 0: no hedging; else a second try for idempotent GETs
};

struct Origin {
  // Names of pools in failover order (config `pools:` or, with the `endpoints:`
  // shorthand, one implicit pool named after the site).
  std::vector<std::string> pools;
  std::string fallback;  // used when no pool in `pools` has min_healthy endpoints
  RetryPolicy retries;
  Millis retry_after{5'000};  // Retry-After on the 503 when every endpoint is down
};

// ---- cache rules: per-site settings for the cache, chosen by rules-language expressions ----

enum class EdgeTtlMode : uint8_t {
  kRespectOrigin,    // the origin's lifetime; `default` when it gives none
  kOverrideOrigin,   // `default`, whatever the origin says (no-store and private still win)
  kBypassByDefault,  // the origin's lifetime; not stored when it gives none
};

enum class BrowserTtlMode : uint8_t {
  kRespectOrigin,   // the client sees the origin's Cache-Control
  kOverrideOrigin,  // the client sees max-age=`default`
  kBypass,          // the client sees no-store
};

// A status code range and the edge lifetime for it; 0 seconds: not stored.
struct StatusTtl {
  StatusRange codes;
  int64_t seconds = 0;
};

struct EdgeTtl {
  EdgeTtlMode mode = EdgeTtlMode::kRespectOrigin;
  std::optional<int64_t> default_seconds;  // required by override_origin
  std::vector<StatusTtl> status_ttls;      // first matching entry wins over the mode
};

struct BrowserTtl {
  BrowserTtlMode mode = BrowserTtlMode::kRespectOrigin;
  int64_t default_seconds = 0;  // override_origin
};

// How the query string takes part in the cache key.
enum class QueryKeyMode : uint8_t {
  kAll,      // every argument, as sent
  kInclude,  // only the named arguments
  kExclude,  // every argument except the named ones
  kNone,     // none (exclude: ["*"])
};

struct QueryKey {
  QueryKeyMode mode = QueryKeyMode::kAll;
  std::vector<std::string> names;  // as written (matched against decoded argument names)
};

// Every setting a cache rule may carry; an unset optional leaves the value that earlier
// rules (or the defaults) gave. Later matching rules override earlier ones per setting.
struct CacheRuleSettings {
  std::optional<bool> cache;  // true: eligible even on a site with enabled: false; false: bypass
  std::optional<EdgeTtl> edge_ttl;
  std::optional<BrowserTtl> browser_ttl;
  std::optional<bool> ignore_query_strings_order;
  std::optional<bool> cache_deception_armor;
  std::optional<QueryKey> query_string;
  std::optional<std::vector<std::string>> key_headers;  // lower-case names
  std::optional<std::vector<std::string>> key_cookies;
  std::optional<bool> host_resolved;  // true: the site's first host name instead of Host
  std::optional<bool> disable_stale_while_updating;
  std::optional<bool> disable_stale_if_error;
};

struct CacheRule {
  std::string id;  // unique in a config, like firewall rule ids
  std::string description;
  SourceText expression;
  CacheRuleSettings settings;
  bool enabled = true;
  int line = 0;  // where the rule's list item starts
  int column = 0;
};

// The site's use of the shared cache.
struct SiteCache {
  bool enabled = false;
  // Serve stale copies when the origin is down, times out or answers 5xx, for as long
  // as they are kept, not only within the response's stale-if-error window.
  bool always_online = false;
  // stale-while-revalidate and stale-if-error from the origin are honoured (off: a
  // stale copy is always validated first and never served on errors).
  bool serve_stale = true;
  std::vector<CacheRule> rules;  // evaluated in order in the cache_lookup phase
};

// The cache's disk tier: a directory of its own and a byte budget for its files.
struct DiskCacheSettings {
  std::string path;  // absolute; empty: no disk tier
  uint64_t size_bytes = 0;
};

// The cache shared by every site: its memory budget, the largest object it keeps and
// its disk tier.
struct CacheSettings {
  uint64_t memory_bytes = 256ull << 20;
  uint64_t max_object_bytes = 8ull << 20;
  DiskCacheSettings disk;
};

// The managed WAF (`waf:` section): SecLang files run by the seclang engine — by
// default the OWASP CRS from Debian's modsecurity-crs package. The rule files are read
// and compiled when the WAF module is built from the snapshot, so their errors are
// config errors with the rule file's own file:line.
struct WafSettings {
  bool enabled = false;  // a `waf:` section turns it on
  bool crs = true;       // load crs_setup then every *.conf of crs_rules, in name order
  std::string crs_setup = "/etc/modsecurity/crs/crs-setup.conf";
  std::string crs_rules = "/usr/share/modsecurity-crs/rules";
  std::vector<std::string> files;            // more SecLang files, loaded before the CRS
  std::string rules;                         // inline SecLang, loaded after everything else
  int rules_line = 0;                        // where `rules:` starts in the YAML
  std::string mode = "block";                // block (SecRuleEngine On) or detect (DetectionOnly)
  uint32_t paranoia_level = 1;               // tx.paranoia_level (and executing level)
  uint32_t inbound_threshold = 5;            // tx.inbound_anomaly_score_threshold
  uint32_t outbound_threshold = 4;           // tx.outbound_anomaly_score_threshold
  uint64_t request_body_limit = 1ull << 20;  // bytes of a request body inspected
  Millis time_budget{50};                    // per request; past it the fail mode applies
  bool prefilter = false;  // Vectorscan prefilters for @rx (compiled in the background)
  int line = 0;            // where `waf:` starts
};

// Bot management (`bot:`): the challenge pages and clearance cookies.
struct BotKey {
  uint8_t id = 0;
  std::string secret;  // raw bytes (the YAML gives hex), at least 32
};

struct BotSettings {
  uint32_t difficulty = 18;       // bits: about 2^difficulty SHA-256 evaluations to solve
  uint32_t puzzles = 8;           // sub-puzzles the difficulty is split into (a power of two)
  Millis challenge_ttl{300'000};  // how long an issued challenge may be answered
  Millis clearance_lifetime{1'800'000};  // full clearance (proof of work)
  bool no_js = true;                     // offer the <noscript> step
  Millis no_js_delay{5'000};             // wait before the no-JS step may be answered
  Millis no_js_lifetime{300'000};        // low-level clearance it grants
  std::vector<BotKey> keys;              // empty: a key generated per process
  std::string brand_name;                // shown on the page; empty: the site's name
  std::string brand_color = "#1f5fbf";
  int line = 0;  // where `bot:` starts (0: absent)
};

// On-the-fly compression of the site's responses (gzip, brotli, zstd by Accept-Encoding).
struct SiteCompression {
  bool enabled = true;
};

// Adaptive layer-7 DDoS mitigation of one site (modules/ddos/). Present only when the
// site has a `ddos:` section.
enum class DdosSensitivity : uint8_t { kOff, kLow, kMedium, kHigh };

struct SiteDdos {
  bool configured = false;
  DdosSensitivity sensitivity = DdosSensitivity::kMedium;
  // What a synthesized rule does: kChallenge, kJsChallenge, kManagedChallenge, kBlock or kLog.
  RuleAction action = RuleAction::kChallenge;
  bool block_high_confidence = true;  // a fingerprint of values never seen before: block
  bool under_attack = false;          // challenge every visitor without a clearance
  uint32_t min_rate = 50;             // requests/s below which no attack is declared
  Millis learning_period{60'000};     // baseline age before detection starts
  Millis baseline_window{600'000};    // time constant of the baseline's averages
  Millis withdraw_after{60'000};      // calm time before a mitigation is withdrawn
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

// Client addresses a guard setting matches: inline prefixes and named `lists:`, merged
// into one set at load.
struct IpMatch {
  std::vector<std::string> lists;               // the list names written, in order
  std::shared_ptr<const core::IpRangeSet> set;  // null: matches nothing
  bool contains(const core::IpAddress& ip) const { return set != nullptr && set->contains(ip); }
};

struct Limits {
  uint32_t max_request_line = 8192;
  uint32_t max_header_bytes = 32768;
  uint32_t max_header_count = 100;
  uint64_t max_body_bytes = 100ull << 20;  // 0 = unlimited
  uint32_t max_connections = 20000;
  uint32_t max_connections_per_ip = 512;
  uint32_t max_requests_per_connection = 10000;  // 0 = unlimited
  // The connection guard (server/accept_guard.h): checked at accept, before any byte.
  uint32_t accept_rate_per_ip = 0;   // new connections a second per client IP; 0 = off
  uint32_t accept_burst_per_ip = 0;  // 0 = twice accept_rate_per_ip
  IpMatch deny;                      // connections from these close at once
  // Slow-loris and slow-read floors, in bytes a second averaged over the time rampart
  // waited on the client, enforced once min_rate_window of waiting has passed; 0 = off.
  uint32_t min_request_rate = 128;  // request heads and bodies
  uint32_t min_send_rate = 128;     // responses
  Millis min_rate_window{10'000};
};

// Load shedding (server/overload.h): past any threshold new requests get a 503.
struct Overload {
  Millis max_event_loop_lag{0};  // per worker; 0 = not watched
  uint32_t max_connections = 0;  // open client connections, all workers; 0 = not watched
  uint64_t max_memory = 0;       // resident set size in bytes; 0 = not watched
  // Clients in `allow` are shed only once the pressure passes a threshold by this much.
  uint32_t allow_headroom_percent = 50;
  IpMatch allow;
  Millis retry_after{5'000};
  bool enabled() const {
    return max_event_loop_lag.count() > 0 || max_connections > 0 || max_memory > 0;
  }
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
  BotSettings bot;

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
