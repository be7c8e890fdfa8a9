#include "tls/origin_contexts.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <unordered_map>

#include "core/log.h"

namespace rampart::tls {

// What every SSL of one context needs after the context itself may be gone: the pins
// and the session cache. Held by each connection's state.
struct OriginContext::Shared {
  bool verify = true;
  std::string sni;                // empty: the endpoint's host when it is a name
  std::vector<std::string> pins;  // 32-byte digests
  std::mutex mutex;
  std::unordered_map<std::string, SSL_SESSION*> sessions;  // by endpoint key; owned

  ~Shared() {
    for (auto& [key, session] : sessions) SSL_SESSION_free(session);
  }
};

namespace {

std::atomic<uint64_t> g_next_id{1};

// Contexts still in use, by everything that went into them, so a reload that changes
// nothing of a pool's TLS keeps its context: its id (pooled connections stay reusable)
// and its session cache.
std::mutex g_live_mutex;
std::unordered_map<std::string, std::weak_ptr<const OriginContext>> g_live;

std::string file_digest(const std::string& path) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1) return {};
  return std::string(reinterpret_cast<const char*>(digest), len);
}

std::string fingerprint(const config::OriginTls& t, std::string_view pool, bool http2) {
  std::string out(pool);
  out += http2 ? 'h' : '1';
  for (const std::string* part : {&t.ca, &t.sni, &t.cert, &t.key}) {
    out += '\0';
    out += *part;
  }
  out += t.verify ? 'v' : '-';
  out += t.insecure ? 'i' : '-';
  out += t.min_version == config::TlsVersion::kTls13 ? '3' : '2';
  for (const std::string& pin : t.pins_sha256) out += pin;
  out += '\0';
  out += file_digest(t.ca) + file_digest(t.cert) + file_digest(t.key);
  return out;
}

// Per connection, freed with the SSL.
struct ConnectionState {
  std::shared_ptr<OriginContext::Shared> shared;
  std::string endpoint_key;
  bool pin_mismatch = false;
};

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ConnectionState*>(ptr);
}

int state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_state);
  return index;
}

ConnectionState* state_of(const SSL* ssl) {
  if (ssl == nullptr || state_index() < 0) return nullptr;
  return static_cast<ConnectionState*>(SSL_get_ex_data(ssl, state_index()));
}

std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  return reason ? reason : "refused by OpenSSL";
}

// A file must be readable as such before OpenSSL is asked to parse it: its errors for
// a missing file are less clear than errno's.
bool readable(const std::string& path, std::string& problem) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::string("cannot be read: ") + (errno ? std::strerror(errno) : "open failed");
    return false;
  }
  char c;
  in.read(&c, 1);
  if (in.bad()) {
    problem = "cannot be read (is it a directory?)";
    return false;
  }
  return true;
}

int no_password(char*, int, int, void*) {
  return -1;
}

bool spki_matches(X509* cert, const std::vector<std::string>& pins) {
  unsigned char* der = nullptr;
  int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (len <= 0) return false;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  bool ok =
      EVP_Digest(der, static_cast<size_t>(len), digest, &digest_len, EVP_sha256(), nullptr) == 1;
  OPENSSL_free(der);
  if (!ok || digest_len != 32) return false;
  std::string_view got(reinterpret_cast<const char*>(digest), digest_len);
  return std::any_of(pins.begin(), pins.end(), [&](const std::string& p) { return p == got; });
}

// Chain and name errors fail the handshake only when verification is on; a pin is
// checked on the leaf either way, so a pinned origin may use a self-signed certificate.
int on_verify(int preverify_ok, X509_STORE_CTX* store) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  ConnectionState* state = state_of(ssl);
  if (state == nullptr) return preverify_ok;
  if (!preverify_ok && state->shared->verify) return 0;
  if (X509_STORE_CTX_get_error_depth(store) != 0 || state->shared->pins.empty()) return 1;
  X509* leaf = X509_STORE_CTX_get_current_cert(store);
  if (leaf != nullptr && spki_matches(leaf, state->shared->pins)) return 1;
  state->pin_mismatch = true;
  X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// A session the server issued (during the handshake for TLS 1.2, in a ticket after it
// for TLS 1.3): kept as the one to offer on the next connection to the endpoint.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  ConnectionState* state = state_of(ssl);
  if (state == nullptr || state->pin_mismatch) return 0;
  std::lock_guard lock(state->shared->mutex);
  SSL_SESSION*& slot = state->shared->sessions[state->endpoint_key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
  return 1;  // the cache owns it now
}

bool is_ip_literal(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[' || host.find(':') != std::string_view::npos) return true;
  return std::all_of(host.begin(), host.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

}  // namespace

OriginHandshakeCounters& origin_handshake_counters() {
  static OriginHandshakeCounters counters;
  return counters;
}

OriginContext::~OriginContext() = default;

std::shared_ptr<const OriginContext> OriginContext::build(const config::OriginTls& settings,
                                                          std::string_view pool,
                                                          const std::string& source_file,
                                                          std::vector<config::Diagnostic>& errors,
                                                          bool http2) {
  std::string who = "pool \"" + std::string(pool) + "\" tls";
  size_t errors_before = errors.size();
  auto fail = [&](int line, int column, std::string message) {
    errors.push_back(config::Diagnostic{source_file, line, column, who + message});
  };
  std::shared_ptr<OriginContext> out(new OriginContext());
  out->pool_ = std::string(pool);
  out->id_ = g_next_id.fetch_add(1, std::memory_order_relaxed);
  out->shared_ = std::make_shared<Shared>();
  out->shared_->verify = settings.verify;
  out->shared_->pins = settings.pins_sha256;
  out->shared_->sni = settings.sni;
  out->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = out->ctx_.get();
  if (ctx == nullptr) {
    fail(settings.line, settings.column, ": out of memory making a TLS context");
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(
      ctx, settings.min_version == config::TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // Origins often close without a close_notify; HTTP framing (Content-Length, chunked)
  // is what says whether a response is complete, as over plain TCP, so the close reads
  // as an end of stream rather than an error.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, on_verify);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  SSL_CTX_set_default_passwd_cb(ctx, no_password);
  // Only h2 is offered: an origin that cannot speak it fails the handshake check
  // (UpstreamIo::connect) instead of silently answering in HTTP/1.1.
  static constexpr unsigned char kAlpnH2[] = {2, 'h', '2'};
  if (http2 && SSL_CTX_set_alpn_protos(ctx, kAlpnH2, sizeof(kAlpnH2)) != 0) {
    fail(settings.line, settings.column, ": out of memory setting ALPN");
    return nullptr;
  }

  std::string problem;
  if (!settings.ca.empty()) {
    if (!readable(settings.ca, problem)) {
      fail(settings.ca_line, settings.ca_column, ".ca: " + settings.ca + ": " + problem);
    } else if (SSL_CTX_load_verify_locations(ctx, settings.ca.c_str(), nullptr) != 1) {
      fail(settings.ca_line, settings.ca_column,
           ".ca: " + settings.ca + ": no CA certificate could be read (" + openssl_reason() + ")");
    }
  } else if (settings.verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
    fail(settings.line, settings.column,
         ": the system's CA store could not be loaded (" + openssl_reason() + "); set ca");
  }
  if (!settings.cert.empty()) {
    bool cert_ok = false;
    if (!readable(settings.cert, problem)) {
      fail(settings.cert_line, settings.cert_column, ".cert: " + settings.cert + ": " + problem);
    } else if (SSL_CTX_use_certificate_chain_file(ctx, settings.cert.c_str()) != 1) {
      fail(settings.cert_line, settings.cert_column,
           ".cert: " + settings.cert + ": not a PEM certificate (" + openssl_reason() + ")");
    } else {
      cert_ok = true;
    }
    if (!readable(settings.key, problem)) {
      fail(settings.key_line, settings.key_column, ".key: " + settings.key + ": " + problem);
    } else if (SSL_CTX_use_PrivateKey_file(ctx, settings.key.c_str(), SSL_FILETYPE_PEM) != 1) {
      // OpenSSL checks a key against the certificate already loaded as it reads it.
      bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
      std::string reason = openssl_reason();
      fail(settings.key_line, settings.key_column,
           ".key: " + settings.key +
               (mismatch ? ": does not match the certificate in " + settings.cert
                         : ": not an unencrypted PEM private key (" + reason + ")"));
    } else if (cert_ok && SSL_CTX_check_private_key(ctx) != 1) {
      ERR_clear_error();
      fail(settings.key_line, settings.key_column,
           ".key: " + settings.key + ": does not match the certificate in " + settings.cert);
    }
  }
  ERR_clear_error();
  if (errors.size() != errors_before) return nullptr;
  if (settings.insecure) {
    core::log(core::LogLevel::kWarn,
              "pool \"{}\": tls insecure: true, origin certificates are not verified{}", pool,
              settings.pins_sha256.empty() ? "" : " (pins are still checked)");
  }
  std::string key = fingerprint(settings, pool, http2);
  std::lock_guard lock(g_live_mutex);
  std::erase_if(g_live, [](const auto& entry) { return entry.second.expired(); });
  if (auto live = g_live[key].lock()) return live;
  g_live[key] = out;
  return out;
}

SslPtr OriginContext::new_connection(std::string_view endpoint_key, std::string_view host) const {
  SslPtr ssl(SSL_new(ctx_.get()));
  if (!ssl) return nullptr;
  auto state = std::make_unique<ConnectionState>();
  state->shared = shared_;
  state->endpoint_key = std::string(endpoint_key);
  if (state_index() < 0 || SSL_set_ex_data(ssl.get(), state_index(), state.get()) != 1) {
    return nullptr;
  }
  state.release();
  const std::string& sni = shared_->sni;
  bool ip = sni.empty() && is_ip_literal(host);
  std::string name = sni.empty() ? std::string(host) : sni;
  if (!ip && !name.empty()) {
    if (SSL_set_tlsext_host_name(ssl.get(), name.c_str()) != 1) return nullptr;
  }
  if (shared_->verify) {
    bool set = false;
    if (ip) {
      std::string bare(host);
      if (bare.size() > 2 && bare.front() == '[') bare = bare.substr(1, bare.size() - 2);
      set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), bare.c_str()) == 1;
    } else {
      set = SSL_set1_host(ssl.get(), name.c_str()) == 1;
    }
    if (!set) return nullptr;
  }
  {
    std::lock_guard lock(shared_->mutex);
    auto it = shared_->sessions.find(state_of(ssl.get())->endpoint_key);
    if (it != shared_->sessions.end()) SSL_set_session(ssl.get(), it->second);
  }
  SSL_set_connect_state(ssl.get());
  return ssl;
}

OriginHandshakeError OriginContext::failure(const SSL* ssl, int ssl_error) {
  OriginHandshakeError out;
  const ConnectionState* state = state_of(ssl);
  if (state != nullptr && state->pin_mismatch) {
    ERR_clear_error();
    out.kind = OriginFailure::kPinMismatch;
    out.reason = "pin mismatch";
    return out;
  }
  long verify = SSL_get_verify_result(ssl);
  unsigned long code = ERR_peek_last_error();
  bool verify_failed = code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL &&
                       ERR_GET_REASON(code) == SSL_R_CERTIFICATE_VERIFY_FAILED;
  if (verify_failed && verify != X509_V_OK) {
    ERR_clear_error();
    out.kind = OriginFailure::kUntrusted;
    out.reason =
        std::string("origin certificate not trusted: ") + X509_verify_cert_error_string(verify);
    return out;
  }
  if (code != 0) {
    out.reason = openssl_reason();
  } else {
    out.reason = ssl_error == SSL_ERROR_SYSCALL ? "connection closed during the TLS handshake"
                                                : "TLS handshake failed";
  }
  return out;
}

}  // namespace rampart::tls
