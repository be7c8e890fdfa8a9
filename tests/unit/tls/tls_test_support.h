#pragma once
// Helpers for the TLS tests: keys and certificates made with the OpenSSL API in a
// temporary directory, configs naming them, and in-memory handshakes (a client and a
// server SSL joined by a BIO pair).

#include <openssl/ssl.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "tls/openssl_ptr.h"
#include "tls/server_contexts.h"

namespace rampart::tls::testing {

PkeyPtr make_ec_key();
PkeyPtr make_rsa_key();  // 2048 bits, made once per process and shared (slow to make)

struct CertSpec {
  std::string common_name;
  std::vector<std::string> dns_names;
  long not_before_seconds = -3600;  // relative to now
  long not_after_seconds = 30 * 86400;
  bool ca = false;
  long serial = 1;
  EVP_PKEY* issuer_key = nullptr;  // null: self-signed
  X509* issuer = nullptr;
};
X509Ptr make_cert(EVP_PKEY* key, const CertSpec& spec);

std::string to_pem(X509* cert);
std::string to_pem(EVP_PKEY* key);
// The subject's CN of a certificate.
std::string common_name(const X509* cert);

// A fresh directory per test (ctest runs tests in parallel processes), removed after.
class TempDir {
 public:
  explicit TempDir(std::string_view name);
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& relative, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

// Loads a config from text; fails the test on errors.
std::shared_ptr<const config::Config> load_config(const std::string& yaml);

// Exact name, then the longest "*.suffix" wildcard, then the default site: the way the
// server's SiteRouter routes (which this test binary does not link).
HostLookup lookup_for(const config::Config& config);

struct ClientOptions {
  std::string sni;                 // empty: no server_name extension
  std::vector<std::string> alpn;   // empty: no ALPN extension
  SSL_SESSION* session = nullptr;  // to resume
  EVP_PKEY* client_key = nullptr;  // with client_cert: present a certificate
  X509* client_cert = nullptr;
  bool status_request = false;  // ask for an OCSP staple
  int max_version = 0;          // 0: TLS 1.3
  std::string sigalgs;          // empty: OpenSSL's list
};

struct HandshakeResult {
  SslPtr client;
  SslPtr server;
  bool ok = false;
  // After a successful handshake the client has read one byte of application data, so
  // any TLS 1.3 ticket has been received.
  std::string client_error;
  std::string server_error;
};

HandshakeResult handshake(const ServerContexts& contexts, size_t listener,
                          const ClientOptions& options);

// The certificate the client received, or null.
X509* server_certificate(const HandshakeResult& result);

}  // namespace rampart::tls::testing
