#pragma once
// The client side of TLS: one context per pool whose origins speak TLS (trusted CAs,
// protocol floor, client certificate), what each connection to an endpoint sends and
// checks (SNI, the name or address the certificate must carry, SubjectPublicKeyInfo
// pins), and a session cache per endpoint so a new connection to an origin seen before
// resumes instead of paying a full handshake.
//
// Built with the snapshot, immutable after (only the session cache changes, under its
// lock); shared by the workers and the health checker. Each SSL made here holds a
// reference to what it needs, so a pooled connection may outlive its snapshot.

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "tls/openssl_ptr.h"

namespace rampart::tls {

// Handshakes with origins, by outcome, for the whole process (/metrics).
struct OriginHandshakeCounters {
  std::atomic<uint64_t> full{0};
  std::atomic<uint64_t> resumed{0};
  std::atomic<uint64_t> untrusted{0};     // chain or name did not verify
  std::atomic<uint64_t> pin_mismatch{0};  // verified (or not checked) but not pinned
  std::atomic<uint64_t> failed{0};        // anything else: protocol, reset, timeout
};
OriginHandshakeCounters& origin_handshake_counters();

// Why a client handshake failed, classified for the counters and the log.
enum class OriginFailure : uint8_t { kUntrusted, kPinMismatch, kOther };

struct OriginHandshakeError {
  OriginFailure kind = OriginFailure::kOther;
  // "origin certificate not trusted: <reason>", "pin mismatch", or OpenSSL's text.
  std::string reason;
};

class OriginContext {
 public:
  // Loads the CA file (or the system store), the client certificate and key, and sets
  // the protocol floor. Problems (unreadable or empty CA file, unreadable certificate
  // or key, a key that does not match) are appended to `errors` at the key that named
  // the file, and the result is then null. `pool` names the pool in messages. With
  // `insecure: true`, a warning naming the pool is logged on each build. While a
  // context built for the same pool from the same settings and file contents is alive,
  // that one is returned: a reload that changes nothing keeps its sessions and id.
  // `http2`: the handshake offers ALPN "h2" only (the pool's `http2: true`).
  static std::shared_ptr<const OriginContext> build(const config::OriginTls& settings,
                                                    std::string_view pool,
                                                    const std::string& source_file,
                                                    std::vector<config::Diagnostic>& errors,
                                                    bool http2 = false);

  OriginContext(const OriginContext&) = delete;
  OriginContext& operator=(const OriginContext&) = delete;
  ~OriginContext();

  // A client SSL for a connection to one endpoint, in connect state, a previous
  // session to that endpoint attached when there is one. `endpoint_key` names the
  // endpoint in the session cache (its resolved address and port); `host` is how the
  // config wrote it: a name is sent as SNI and verified unless `sni:` overrides it, an
  // IP address is checked against the certificate's IP addresses. Null when OpenSSL is
  // out of memory.
  SslPtr new_connection(std::string_view endpoint_key, std::string_view host) const;

  // After a failed SSL_connect on an SSL from new_connection: why.
  static OriginHandshakeError failure(const SSL* ssl, int ssl_error);

  // Unique per distinct context: pooled connections are reused only under the context
  // they were made with (a reload that changes pins must not reuse a connection pinned
  // before).
  uint64_t id() const { return id_; }
  const std::string& pool() const { return pool_; }

  // What the connections share with the context (pins, session cache); opaque.
  struct Shared;

 private:
  OriginContext() = default;

  SslCtxPtr ctx_;
  std::shared_ptr<Shared> shared_;
  std::string pool_;
  uint64_t id_ = 0;
};

}  // namespace rampart::tls
