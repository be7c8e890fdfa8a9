#include "tls/server_contexts.h"

#include <openssl/err.h>
#include <openssl/tls1.h>

#include <algorithm>
#include <cstring>

#include "tls/connection.h"

namespace rampart::tls {
namespace {

// TLS 1.2: forward secrecy and AEAD only, ECDSA before RSA at equal strength.
constexpr char kDefaultCiphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// TLS 1.3: the same order as for 1.2, AES-128-GCM first. Its SHA-256 key schedule and
// transcript hash cost noticeably less per handshake than AES-256-GCM's SHA-384 (SHA-256
// has instructions of its own on current CPUs), at a security margin no one questions.
constexpr char kDefaultCiphersuites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr char kGroups[] = "X25519:P-256:P-384";
constexpr unsigned char kListenerSessionContext[] = "rampart";
// TLS 1.3 tickets cannot live longer than 7 days (RFC 8446 §4.6.1).
constexpr long kMaxSessionSeconds = 7 * 24 * 3600;

constexpr std::string_view kH2 = "h2";
constexpr std::string_view kHttp11 = "http/1.1";

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  return reason ? reason : "refused by OpenSSL";
}

// Settings every context shares. Options and modes are copied into each SSL from the
// listener's context when it is made; a site's context matters for certificates,
// verification, OCSP and ALPN only, but carrying the same settings keeps it usable alone.
SslCtxPtr new_server_ctx() {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // The chain sent is the one the certificate file holds: without this OpenSSL would
  // try to build one from the verify store (the client CAs) on every handshake.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_NO_AUTO_CHAIN);
  // Non-blocking writes may be partial and retried from a buffer that moved. The record
  // buffers stay while a connection is busy (SSL_MODE_RELEASE_BUFFERS would free and
  // allocate both, ~17 kB each, around every read and write) and are given back when it
  // goes idle (server::TlsLayer::release_idle_memory).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read() takes whatever arrived (a request is often one record), instead of
  // a read for each record's header and another for its body.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set1_groups_list(ctx.get(), kGroups);
  // Tickets carry the sessions; nothing is kept on the server.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  return ctx;
}

config::Diagnostic listener_error(const config::Config& config, size_t i,
                                  const std::string& message) {
  const config::ListenerTls& tls = *config.listeners[i].tls;
  return config::Diagnostic{config.source, tls.line, tls.column,
                            "listeners[" + std::to_string(i) + "].tls: " + message};
}

std::string_view protocol_in(std::string_view wanted, const unsigned char* in, unsigned in_len,
                             const unsigned char** out) {
  for (unsigned i = 0; i < in_len;) {
    unsigned len = in[i];
    if (i + 1 + len > in_len) break;
    std::string_view offered(reinterpret_cast<const char*>(in + i + 1), len);
    if (offered == wanted) {
      *out = in + i + 1;
      return offered;
    }
    i += 1 + len;
  }
  return {};
}

// The first ClientHello, parsed from the raw message (see client_hello.cc for why not
// OpenSSL's accessors). The callback removes itself so the rest of the connection pays
// nothing for it.
void on_message(int write_p, int, int content_type, const void* buf, size_t len, SSL* ssl, void*) {
  if (write_p || content_type != SSL3_RT_HANDSHAKE || len == 0) return;
  const auto* bytes = static_cast<const uint8_t*>(buf);
  if (bytes[0] != SSL3_MT_CLIENT_HELLO) return;
  if (detail::ConnectionState* state = detail::connection_state(ssl)) {
    if (auto hello = parse_client_hello({bytes, len})) {
      state->hello = std::move(*hello);
      state->hello_seen = true;
    }
  }
  SSL_set_msg_callback(ssl, nullptr);
}

// The host_name of a server_name extension's body, or empty.
std::string_view server_name(const unsigned char* data, size_t len) {
  // list length (2), then entries of type (1), length (2), name.
  if (len < 5) return {};
  size_t list_len = (size_t{data[0]} << 8) | data[1];
  if (list_len + 2 > len || data[2] != 0) return {};
  size_t name_len = (size_t{data[3]} << 8) | data[4];
  if (name_len == 0 || 5 + name_len > 2 + list_len) return {};
  return {reinterpret_cast<const char*>(data + 5), name_len};
}

}  // namespace

ServerContexts::~ServerContexts() = default;

bool ServerContexts::is_tls(size_t listener_index) const {
  return listener_index < listeners_.size() && listeners_[listener_index].ctx != nullptr;
}

SSL* ServerContexts::new_connection(size_t listener_index) const {
  if (!is_tls(listener_index)) return nullptr;
  const ListenerContext& listener = listeners_[listener_index];
  SslPtr ssl(SSL_new(listener.ctx.get()));
  if (!ssl) return nullptr;
  if (!pin_ciphers(ssl.get(), listener)) return nullptr;
  auto state = std::make_unique<detail::ConnectionState>();
  state->owner = shared_from_this();
  state->listener = listener_index;
  if (!detail::attach_connection_state(ssl.get(), std::move(state))) return nullptr;
  SSL_set_msg_callback(ssl.get(), on_message);
  SSL_set_accept_state(ssl.get());
  return ssl.release();
}

// Until an SSL has cipher lists of its own it reads its context's, and the SNI switch
// (SSL_set_SSL_CTX in on_client_hello) changes that context to the site's: without a
// copy made here the listener's `ciphers` and `ciphersuites` would never apply.
bool ServerContexts::pin_ciphers(SSL* ssl, const ListenerContext& listener) {
  STACK_OF(SSL_CIPHER)* shared = SSL_CTX_get_ciphers(listener.ctx.get());
  // OpenSSL 3 copies the context's list when the SSL's TLS 1.3 suites are set: cheap,
  // no cipher string to parse.
  if (SSL_set_ciphersuites(ssl, listener.ciphersuites.c_str()) == 1 &&
      SSL_get_ciphers(ssl) != shared) {
    return true;
  }
  ERR_clear_error();
  // Otherwise, build the SSL's own list from the listener's strings.
  if (SSL_set_cipher_list(ssl, listener.ciphers.c_str()) != 1) {
    ERR_clear_error();
    return false;
  }
  return SSL_set_ciphersuites(ssl, listener.ciphersuites.c_str()) == 1 &&
         SSL_get_ciphers(ssl) != shared;
}

int ServerContexts::on_client_hello(SSL* ssl, int* alert, void*) {
  detail::ConnectionState* state = detail::connection_state(ssl);
  if (state == nullptr) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  const ServerContexts& self = *state->owner;
  std::optional<size_t> site;
  const unsigned char* data = nullptr;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &len) == 1) {
    std::string_view name = server_name(data, len);
    if (!name.empty() && self.host_lookup_) site = self.host_lookup_(name);
  }
  state->sni_site = site;
  std::optional<size_t> chosen = site;
  if (!chosen || *chosen >= self.sites_.size() || !self.sites_[*chosen].ctx) {
    chosen = self.fallback_site_;
  }
  if (!chosen) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_CLIENT_HELLO_ERROR;
  }
  SSL_CTX* ctx = self.sites_[*chosen].ctx.get();
  state->certificate_site = chosen;
  if (SSL_set_SSL_CTX(ssl, ctx) != ctx) {
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_CLIENT_HELLO_ERROR;
  }
  // SSL_set_SSL_CTX takes the certificates and the verify store, not the verify mode.
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
  SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
  return SSL_CLIENT_HELLO_SUCCESS;
}

int ServerContexts::on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_len,
                            const unsigned char* in, unsigned int in_len, void*) {
  const detail::ConnectionState* state = detail::connection_state(ssl);
  const bool h2 = state && state->owner->listeners_[state->listener].http2;
  std::string_view chosen;
  if (h2) chosen = protocol_in(kH2, in, in_len, out);
  if (chosen.empty()) chosen = protocol_in(kHttp11, in, in_len, out);
  // A client offering neither gets no ALPN and speaks HTTP/1.1, as without ALPN.
  if (chosen.empty()) return SSL_TLSEXT_ERR_NOACK;
  *out_len = static_cast<unsigned char>(chosen.size());
  return SSL_TLSEXT_ERR_OK;
}

int ServerContexts::on_status_request(SSL* ssl, void*) {
  const detail::ConnectionState* state = detail::connection_state(ssl);
  X509* leaf = SSL_get_certificate(ssl);
  if (!state || !state->certificate_site || leaf == nullptr) return SSL_TLSEXT_ERR_NOACK;
  for (const Staple& staple : state->owner->sites_[*state->certificate_site].staples) {
    if (X509_cmp(staple.leaf.get(), leaf) != 0) continue;
    // OpenSSL frees the copy with the connection.
    auto* copy = static_cast<unsigned char*>(OPENSSL_memdup(staple.der.data(), staple.der.size()));
    if (copy == nullptr) return SSL_TLSEXT_ERR_NOACK;
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(staple.der.size()));
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

int ServerContexts::on_ticket_key(SSL* ssl, unsigned char* name, unsigned char* iv,
                                  EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int enc) {
  const detail::ConnectionState* state = detail::connection_state(ssl);
  if (!state || !state->owner->ticket_keys_) return 0;
  return state->owner->ticket_keys_->use(name, iv, cipher, mac, enc);
}

std::shared_ptr<const ServerContexts> ServerContexts::build(
    const config::Config& config, std::shared_ptr<TicketKeys> ticket_keys, HostLookup host_lookup,
    std::vector<config::Diagnostic>& errors) {
  const size_t errors_before = errors.size();
  std::shared_ptr<ServerContexts> out(new ServerContexts());
  out->host_lookup_ = std::move(host_lookup);
  out->ticket_keys_ = std::move(ticket_keys);

  out->sites_.resize(config.sites.size());
  for (size_t i = 0; i < config.sites.size(); ++i) {
    const config::Site& site = config.sites[i];
    if (site.tls.certificates.empty()) continue;
    SslCtxPtr ctx = new_server_ctx();
    if (!ctx) {
      errors.push_back({config.source, 0, 0, "out of memory making a TLS context"});
      break;
    }
    // A session resumes only on the site that made it, so a client certificate checked
    // by one site never vouches for a connection to another.
    const std::string sid = "rampart/site/" + std::to_string(i);
    SSL_CTX_set_session_id_context(ctx.get(), reinterpret_cast<const unsigned char*>(sid.data()),
                                   static_cast<unsigned>(std::min<size_t>(sid.size(), 32)));
    SSL_CTX_set_alpn_select_cb(ctx.get(), on_alpn, nullptr);
    SSL_CTX_set_tlsext_status_cb(ctx.get(), on_status_request);
    if (!load_site_certificates(ctx.get(), site, i, config.source, out->sites_[i].staples,
                                errors)) {
      continue;
    }
    out->sites_[i].ctx = std::move(ctx);
  }
  for (size_t i = 0; i < config.sites.size() && !out->fallback_site_; ++i) {
    if (config.sites[i].is_default && out->sites_[i].ctx) out->fallback_site_ = i;
  }
  for (size_t i = 0; i < config.sites.size() && !out->fallback_site_; ++i) {
    if (out->sites_[i].ctx) out->fallback_site_ = i;
  }

  std::optional<std::chrono::milliseconds> rotation;
  out->listeners_.resize(config.listeners.size());
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const config::Listener& listener = config.listeners[i];
    out->listeners_[i].http2 = listener.http2;
    if (!listener.tls) continue;
    const config::ListenerTls& tls = *listener.tls;
    SslCtxPtr ctx = new_server_ctx();
    if (!ctx) {
      errors.push_back({config.source, 0, 0, "out of memory making a TLS context"});
      break;
    }
    if (tls.min_version == config::TlsVersion::kTls13) {
      SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
    }
    const std::string ciphers = tls.ciphers.empty() ? kDefaultCiphers : tls.ciphers;
    if (SSL_CTX_set_cipher_list(ctx.get(), ciphers.c_str()) != 1) {
      errors.push_back(listener_error(
          config, i,
          "ciphers \"" + ciphers + "\": no cipher OpenSSL knows (" + openssl_reason() + ")"));
    }
    const std::string suites = tls.ciphersuites.empty() ? kDefaultCiphersuites : tls.ciphersuites;
    if (SSL_CTX_set_ciphersuites(ctx.get(), suites.c_str()) != 1) {
      errors.push_back(listener_error(config, i,
                                      "ciphersuites \"" + suites +
                                          "\": not TLS 1.3 suites OpenSSL knows (" +
                                          openssl_reason() + ")"));
    }
    SSL_CTX_set_session_id_context(ctx.get(), kListenerSessionContext,
                                   sizeof(kListenerSessionContext) - 1);
    SSL_CTX_set_client_hello_cb(ctx.get(), on_client_hello, nullptr);
    SSL_CTX_set_alpn_select_cb(ctx.get(), on_alpn, nullptr);
    if (tls.session_tickets && out->ticket_keys_) {
      // Tickets are sealed and opened by the listener's context (OpenSSL uses the
      // context an SSL was made from, not the site's it switched to).
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx.get(), on_ticket_key);
      SSL_CTX_set_num_tickets(ctx.get(), 1);
      // Worst case a ticket made at the end of its key's period: two periods left.
      const long lifetime = static_cast<long>(
          std::chrono::duration_cast<std::chrono::seconds>(2 * tls.ticket_key_rotation).count());
      SSL_CTX_set_timeout(ctx.get(), std::clamp(lifetime, 60L, kMaxSessionSeconds));
      rotation = rotation ? std::min(*rotation, tls.ticket_key_rotation) : tls.ticket_key_rotation;
    } else {
      SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
      SSL_CTX_set_num_tickets(ctx.get(), 0);
    }
    out->listeners_[i].ctx = std::move(ctx);
    out->listeners_[i].ciphers = ciphers;
    out->listeners_[i].ciphersuites = suites;
  }
  if (rotation && out->ticket_keys_) out->ticket_keys_->set_period(*rotation);
  if (errors.size() != errors_before) return nullptr;
  return out;
}

}  // namespace rampart::tls
