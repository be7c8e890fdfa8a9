#pragma once
// What a client session knows of its connection beyond the peer address: the listener
// it arrived on, whether it is one HTTP/2 stream, and what its TLS handshake established.

#include <cstddef>
#include <memory>
#include <string>

#include "rules/request.h"
#include "tls/connection.h"

namespace rampart::server {

// The TLS facts of one connection, kept for its life: the strings, and the rules' view
// of them (tls.*, ssl).
struct TlsFacts {
  tls::ConnectionFacts facts;
  rules::TlsInfo view;  // points into `facts`

  explicit TlsFacts(tls::ConnectionFacts from);
  TlsFacts(const TlsFacts&) = delete;
  TlsFacts& operator=(const TlsFacts&) = delete;
};

// Owned by the connection's session; the streams of an HTTP/2 connection share its TLS
// facts.
struct ConnectionInfo {
  size_t listener = 0;                  // index into the config's listeners
  bool http2 = false;                   // the session is one HTTP/2 stream
  std::shared_ptr<const TlsFacts> tls;  // null: plaintext
  uint32_t canary_key = 0;              // HTTP/2 streams: their connection's (see snapshot.h)
};

}  // namespace rampart::server
