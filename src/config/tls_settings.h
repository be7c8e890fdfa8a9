#pragma once
// TLS settings: a listener's handshake parameters and a site's certificates
// (read and checked by tls/, which reports errors at the positions kept here).

#include <cstdint>
#include <string>
#include <vector>

#include "config/basics.h"

namespace rampart::config {

enum class TlsVersion : uint8_t { kTls12, kTls13 };

// A TLS listener's handshake settings (`listeners[].tls`).
struct ListenerTls {
  TlsVersion min_version = TlsVersion::kTls12;
  std::string ciphers;       // TLS 1.2 list in OpenSSL syntax; empty: ECDHE with AEAD only
  std::string ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's defaults
  bool session_tickets = true;
  // A ticket key encrypts for one period and is still accepted for two more.
  Millis ticket_key_rotation{12 * 3600 * 1000};
  Millis handshake_timeout{10'000};
  int line = 0;  // where `tls:` is written
  int column = 0;
};

// One certificate of a site: paths are resolved against the config file's directory.
// The positions let the TLS loader (tls/), which reads the files, point its errors at
// the config key that named them.
struct CertificateFiles {
  std::string cert;           // PEM: the leaf, then its chain
  std::string key;            // PEM private key
  std::string ocsp_response;  // DER OCSP response to staple; empty: none
  int cert_line = 0, cert_column = 0;
  int key_line = 0, key_column = 0;
  int ocsp_line = 0, ocsp_column = 0;
};

struct ClientAuth {
  bool enabled = false;  // `client_auth:` written
  std::string ca;        // PEM file of the CAs that client certificates must chain to
  bool required = true;  // false: ask for a certificate, accept a connection without one
  int ca_line = 0, ca_column = 0;
};

struct Hsts {
  bool enabled = false;  // `hsts:` written
  Millis max_age{180ll * 24 * 3600 * 1000};
  bool include_subdomains = false;
  bool preload = false;
};

struct SiteTls {
  std::vector<CertificateFiles> certificates;  // RSA and ECDSA may sit side by side
  ClientAuth client_auth;
  bool https_redirect = false;  // answer plain-HTTP requests with a redirect to https
  uint16_t https_port = 443;    // the redirect's port (omitted from Location when 443)
  Hsts hsts;
};

}  // namespace rampart::config
