#pragma once
// What one TLS connection is: the per-connection state kept with its SSL object (ex_data,
// freed with it) and the facts the server copies into a request's rule fields once the
// handshake is done.

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tls/client_hello.h"

namespace rampart::tls {

class ServerContexts;

// The client certificate as the rules see it (tls.client_cert.*).
struct ClientCertificate {
  bool presented = false;
  bool verified = false;   // the chain verified against the site's client CA file
  std::string subject;     // RFC 2253, e.g. "CN=alice,O=Example"
  std::string issuer;      // RFC 2253
  std::string serial;      // lowercase hex, no separators
  std::string sha256;      // fingerprint of the DER certificate, lowercase hex
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;
};

struct ConnectionFacts {
  std::string version;  // "TLSv1.3", "TLSv1.2"
  std::string cipher;   // OpenSSL's name, e.g. "TLS_AES_128_GCM_SHA256"
  std::string alpn;     // "h2", "http/1.1", or empty when none was agreed
  std::string sni;      // the server_name the client sent; empty: none
  bool resumed = false;
  std::string ja4;  // empty when the ClientHello could not be read
  ClientCertificate client_cert;
};

// Facts about a connection whose handshake completed.
ConnectionFacts facts_after_handshake(const SSL* ssl);

// The ClientHello of a connection made by ServerContexts::new_connection, once the
// handshake has read it; null before that or for other SSL objects.
const ClientHello* client_hello(const SSL* ssl);

// The site that the connection's SNI name mapped to (through the HostLookup), if any;
// the certificate presented may be the fallback site's when that site has none.
std::optional<size_t> sni_site(const SSL* ssl);

namespace detail {

struct ConnectionState {
  std::shared_ptr<const ServerContexts> owner;  // keeps the contexts alive
  size_t listener = 0;
  std::optional<size_t> sni_site;
  std::optional<size_t> certificate_site;  // whose context the connection switched to
  bool hello_seen = false;
  ClientHello hello;
};

// The state attached to `ssl` (null for SSL objects made elsewhere).
ConnectionState* connection_state(const SSL* ssl);
// Attaches `state` to `ssl`, which frees it with itself. False on failure (then
// `state` was freed).
bool attach_connection_state(SSL* ssl, std::unique_ptr<ConnectionState> state);

}  // namespace detail
}  // namespace rampart::tls
