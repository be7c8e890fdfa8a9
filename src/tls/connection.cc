#include "tls/connection.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <ctime>

#include "tls/ja4.h"
#include "tls/openssl_ptr.h"
#include "tls/server_contexts.h"

namespace rampart::tls {
namespace detail {
namespace {

void free_state(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ConnectionState*>(ptr);
}

int state_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, free_state);
  return index;
}

}  // namespace

ConnectionState* connection_state(const SSL* ssl) {
  if (ssl == nullptr || state_index() < 0) return nullptr;
  return static_cast<ConnectionState*>(SSL_get_ex_data(ssl, state_index()));
}

bool attach_connection_state(SSL* ssl, std::unique_ptr<ConnectionState> state) {
  if (state_index() < 0 || SSL_set_ex_data(ssl, state_index(), state.get()) != 1) return false;
  state.release();
  return true;
}

}  // namespace detail

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string serial_hex(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (!bn) return {};
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (!hex) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  for (char& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int64_t unix_seconds(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm));
}

ClientCertificate client_certificate(const SSL* ssl) {
  ClientCertificate out;
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return out;
  out.presented = true;
  out.verified = SSL_get_verify_result(ssl) == X509_V_OK;
  out.subject = name_text(X509_get_subject_name(cert));
  out.issuer = name_text(X509_get_issuer_name(cert));
  out.serial = serial_hex(cert);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &len) == 1) {
    for (unsigned int i = 0; i < len; ++i) {
      out.sha256 += kHex[digest[i] >> 4];
      out.sha256 += kHex[digest[i] & 0xf];
    }
  }
  out.not_before = unix_seconds(X509_get0_notBefore(cert));
  out.not_after = unix_seconds(X509_get0_notAfter(cert));
  return out;
}

}  // namespace

ConnectionFacts facts_after_handshake(const SSL* ssl) {
  ConnectionFacts facts;
  facts.version = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    facts.cipher = SSL_CIPHER_get_name(cipher);
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn != nullptr) facts.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  facts.resumed = SSL_session_reused(ssl) == 1;
  if (const detail::ConnectionState* state = detail::connection_state(ssl)) {
    facts.sni = state->hello.server_name;
    if (state->hello_seen) facts.ja4 = ja4(state->hello);
  }
  facts.client_cert = client_certificate(ssl);
  return facts;
}

const ClientHello* client_hello(const SSL* ssl) {
  const detail::ConnectionState* state = detail::connection_state(ssl);
  return state && state->hello_seen ? &state->hello : nullptr;
}

std::optional<size_t> sni_site(const SSL* ssl) {
  const detail::ConnectionState* state = detail::connection_state(ssl);
  return state ? state->sni_site : std::nullopt;
}

}  // namespace rampart::tls
