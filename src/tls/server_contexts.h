#pragma once
// The TLS server contexts of one config snapshot: one SSL_CTX per TLS listener (protocol
// versions, ciphers, ALPN, session tickets) and one per site with certificates
// (certificates, OCSP staples, client authentication), chosen per connection by SNI.
//
// Built once per config (re)load and immutable after; shared read-only by the worker
// threads. Every SSL made by new_connection() holds a reference to the set it came
// from, so a reload that drops the old set never pulls contexts from under a live or
// half-done connection.

#include <openssl/ssl.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "tls/certificates.h"
#include "tls/openssl_ptr.h"
#include "tls/ticket_keys.h"

namespace rampart::tls {

// Maps a host name (as the client sent it in SNI: any case, no port) to an index into
// config.sites, the way requests are routed (the server's SiteRouter: exact name, then
// the longest "*.suffix" wildcard, then the default site).
using HostLookup = std::function<std::optional<size_t>(std::string_view host)>;

class ServerContexts : public std::enable_shared_from_this<ServerContexts> {
 public:
  // Loads every site's certificate files and builds the listeners' contexts. Problems
  // (unreadable, not PEM, no certificate, key mismatch, expired or not yet valid,
  // broken chain, bad OCSP file or client CA file, cipher lists OpenSSL refuses) are
  // appended to `errors` as config diagnostics at the key that named the file, all of
  // them, and the result is then null: the caller keeps its running contexts.
  // `ticket_keys` lives for the process (so resumption survives reloads); its rotation
  // period becomes the shortest `ticket_key_rotation` of the TLS listeners.
  static std::shared_ptr<const ServerContexts> build(const config::Config& config,
                                                     std::shared_ptr<TicketKeys> ticket_keys,
                                                     HostLookup host_lookup,
                                                     std::vector<config::Diagnostic>& errors);

  ServerContexts(const ServerContexts&) = delete;
  ServerContexts& operator=(const ServerContexts&) = delete;
  ~ServerContexts();

  // Whether config.listeners[listener_index] speaks TLS.
  bool is_tls(size_t listener_index) const;

  // A new server-side SSL for a connection accepted on a TLS listener, in accept state,
  // ready for SSL_set_fd and SSL_accept (or SSL_do_handshake). The caller owns it
  // (SSL_free). Null when the listener does not speak TLS or OpenSSL is out of memory.
  SSL* new_connection(size_t listener_index) const;

  // The site whose certificates a connection without SNI (or with a name of a site
  // without certificates) gets: the default site if it has certificates, else the
  // first site with certificates in config order.
  std::optional<size_t> fallback_site() const { return fallback_site_; }

 private:
  struct ListenerContext {
    SslCtxPtr ctx;  // null: plain TCP listener
    bool http2 = true;
    // As configured (or the defaults), for pin_ciphers.
    std::string ciphers;
    std::string ciphersuites;
  };
  struct SiteContext {
    SslCtxPtr ctx;  // null: the site has no certificates
    std::vector<Staple> staples;
  };

  ServerContexts() = default;

  static bool pin_ciphers(SSL* ssl, const ListenerContext& listener);
  static int on_client_hello(SSL* ssl, int* alert, void* arg);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                     const unsigned char* in, unsigned int in_len, void* arg);
  static int on_status_request(SSL* ssl, void* arg);
  static int on_ticket_key(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                           EVP_MAC_CTX* mac, int enc);

  std::vector<ListenerContext> listeners_;  // parallel to config.listeners
  std::vector<SiteContext> sites_;          // parallel to config.sites
  std::optional<size_t> fallback_site_;
  HostLookup host_lookup_;
  std::shared_ptr<TicketKeys> ticket_keys_;
};

}  // namespace rampart::tls
