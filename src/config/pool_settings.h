#pragma once
// Origins: pools of endpoints, steering, health checks, outlier detection, retries and
// TLS to origins.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/basics.h"
#include "config/rule_settings.h"
#include "config/tls_settings.h"

namespace rampart::config {

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

}  // namespace rampart::config
