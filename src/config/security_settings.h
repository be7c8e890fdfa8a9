#pragma once
// Settings of the security phases and the connection guard: rate-limit rules, the
// managed WAF, bot management, adaptive DDoS mitigation, limits and overload shedding.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/basics.h"
#include "config/rule_settings.h"
#include "config/verified_bot_settings.h"
#include "core/ip.h"
#include "core/ip_range_set.h"

namespace rampart::config {

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
  VerifiedBotSettings verified;  // verified_bots, feed_limits, reverse_dns, web_bot_auth
  int line = 0;                  // where `bot:` starts (0: absent)
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

}  // namespace rampart::config
