// The walker's TLS settings: a listener's `tls:` (versions, ciphers, tickets), a site's
// `tls:` (certificates, client authentication, redirect to HTTPS, HSTS) and a pool's
// `tls:` to its origins (CAs, SNI, verification, pins, client certificate). Only the
// names of files are read here; tls/ loads and checks their contents.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"
#include "core/ip.h"

namespace rampart::config::detail {
namespace {

using namespace std::chrono_literals;

const Keys kListenerTlsKeys = {"min_version",         "ciphers",
                               "ciphersuites",        "session_tickets",
                               "ticket_key_rotation", "handshake_timeout"};
const Keys kSiteTlsKeys = {"certificates", "client_auth", "https_redirect", "https_port", "hsts"};
const Keys kCertificateKeys = {"cert", "key", "ocsp_response"};
const Keys kClientAuthKeys = {"ca", "required"};
const Keys kHstsKeys = {"max_age", "include_subdomains", "preload"};
const Keys kOriginTlsKeys = {"ca",         "sni",  "verify", "insecure",
                             "pin_sha256", "cert", "key",    "min_version"};

constexpr size_t kMaxPathBytes = 4096;
constexpr size_t kMaxCipherListBytes = 4096;
constexpr size_t kMaxPins = 16;

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

std::optional<std::string> Walker::file_path(const At& at) {
  auto s = string(at);
  if (!s) return std::nullopt;
  if (s->empty()) {
    error(at, "expected a file path, got an empty string");
  } else if (s->size() > kMaxPathBytes) {
    error(at, "the path is longer than 4096 characters");
  } else if (has_control(*s)) {
    error(at, "the path contains control characters");
  } else {
    return resolve_path(*s);
  }
  return std::nullopt;
}

void Walker::listener_tls(const At& at, ListenerTls& out) {
  fields(at, kListenerTlsKeys, "", [&](std::string_view key, const At& v) {
    if (key == "min_version") {
      if (auto s = one_of(v, {"1.2", "1.3"})) {
        out.min_version = *s == "1.3" ? TlsVersion::kTls13 : TlsVersion::kTls12;
      }
    } else if (key == "ciphers" || key == "ciphersuites") {
      auto s = string(v);
      if (!s) return;
      // OpenSSL checks the names when tls/ builds the context; here only the shape.
      if (s->empty() || s->size() > kMaxCipherListBytes || has_control(*s)) {
        error(v, "expected a cipher list in OpenSSL syntax, such as \"ECDHE+AESGCM\"");
        return;
      }
      (key == "ciphers" ? out.ciphers : out.ciphersuites) = *s;
    } else if (key == "session_tickets") {
      if (auto b = boolean(v)) out.session_tickets = *b;
    } else if (key == "ticket_key_rotation") {
      if (auto d = duration_in(v, 1min, 7 * 24h)) out.ticket_key_rotation = *d;
    } else if (key == "handshake_timeout") {
      if (auto d = duration_in(v, 100ms, 5min)) out.handshake_timeout = *d;
    }
  });
}

void Walker::site_tls(const At& at, SiteTls& out, SiteSource& src) {
  fields(at, kSiteTlsKeys, "", [&](std::string_view key, const At& v) {
    if (key == "certificates") {
      if (v.node.IsSequence() && v.node.size() == 0) {
        error(v, "a site's certificate list needs at least one entry (or leave it out)");
        return;
      }
      items(v, kMaxCertificatesPerSite, "certificates",
            [&](const At& item, size_t) { certificate(item, out.certificates); });
    } else if (key == "client_auth") {
      client_auth(v, out.client_auth);
    } else if (key == "https_redirect") {
      if (auto b = boolean(v)) out.https_redirect = *b;
    } else if (key == "https_port") {
      if (auto n = integer(v, 1, 65535)) out.https_port = static_cast<uint16_t>(*n);
    } else if (key == "hsts") {
      hsts(v, out.hsts);
    }
  });
}

void Walker::certificate(const At& at, std::vector<CertificateFiles>& out) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a map with cert and key");
    return;
  }
  CertificateFiles files;
  bool has_cert = false;
  bool has_key = false;
  bool ok = true;
  fields(at, kCertificateKeys, "", [&](std::string_view key, const At& v) {
    auto path = file_path(v);
    if (!path) {
      ok = false;
      return;
    }
    if (key == "cert") {
      has_cert = true;
      files.cert = *path;
      files.cert_line = v.pos.line;
      files.cert_column = v.pos.column;
    } else if (key == "key") {
      has_key = true;
      files.key = *path;
      files.key_line = v.pos.line;
      files.key_column = v.pos.column;
    } else if (key == "ocsp_response") {
      files.ocsp_response = *path;
      files.ocsp_line = v.pos.line;
      files.ocsp_column = v.pos.column;
    }
  });
  if (!has_cert && ok) missing(at.pos, at.path, "cert", "the PEM file of the certificate chain");
  if (!has_key && ok) missing(at.pos, at.path, "key", "the PEM file of the private key");
  if (!has_cert || !has_key || !ok) return;
  out.push_back(std::move(files));
}

void Walker::client_auth(const At& at, ClientAuth& out) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a map with ca and required");
    return;
  }
  bool has_ca = false;
  fields(at, kClientAuthKeys, "", [&](std::string_view key, const At& v) {
    if (key == "ca") {
      has_ca = true;
      if (auto path = file_path(v)) {
        out.ca = *path;
        out.ca_line = v.pos.line;
        out.ca_column = v.pos.column;
      }
    } else if (key == "required") {
      if (auto b = boolean(v)) out.required = *b;
    }
  });
  if (!has_ca) {
    missing(at.pos, at.path, "ca", "the PEM file of the CAs that client certificates chain to");
    return;
  }
  out.enabled = !out.ca.empty();
}

void Walker::hsts(const At& at, Hsts& out) {
  if (!at.node.IsMap() && !at.node.IsNull()) {
    wrong_type(at, "a map with max_age, include_subdomains and preload");
    return;
  }
  out.enabled = true;
  fields(at, kHstsKeys, "", [&](std::string_view key, const At& v) {
    if (key == "max_age") {
      // 0 is how a site tells browsers to forget an earlier HSTS policy.
      if (auto d = duration_in(v, 0s, 2 * 365 * 24h)) out.max_age = *d;
    } else if (key == "include_subdomains") {
      if (auto b = boolean(v)) out.include_subdomains = *b;
    } else if (key == "preload") {
      if (auto b = boolean(v)) out.preload = *b;
    }
  });
}

void Walker::origin_tls(const At& at, OriginTls& out) {
  if (!at.node.IsMap() && !at.node.IsNull()) {
    wrong_type(at, "a map with ca, sni, verify, insecure, pin_sha256, cert and key");
    return;
  }
  out.line = at.pos.line;
  out.column = at.pos.column;
  std::optional<At> verify_at;
  std::optional<At> insecure_at;
  std::optional<At> cert_at;
  std::optional<At> key_at;
  bool verify_written = false;
  fields(at, kOriginTlsKeys, "", [&](std::string_view key, const At& v) {
    if (key == "ca" || key == "cert" || key == "key") {
      auto path = file_path(v);
      if (!path) return;
      if (key == "ca") {
        out.ca = *path;
        out.ca_line = v.pos.line;
        out.ca_column = v.pos.column;
      } else if (key == "cert") {
        cert_at = v;
        out.cert = *path;
        out.cert_line = v.pos.line;
        out.cert_column = v.pos.column;
      } else {
        key_at = v;
        out.key = *path;
        out.key_line = v.pos.line;
        out.key_column = v.pos.column;
      }
    } else if (key == "sni") {
      auto s = string(v);
      if (!s) return;
      std::string lower = to_lower(*s);
      if (!is_valid_hostname(lower) || core::IpAddress::parse(lower)) {
        error(v, quote(*s) + " is not a host name to send as SNI (IP addresses cannot be)");
        return;
      }
      out.sni = std::move(lower);
    } else if (key == "verify") {
      verify_at = v;
      if (auto b = boolean(v)) {
        out.verify = *b;
        verify_written = true;
      }
    } else if (key == "insecure") {
      insecure_at = v;
      if (auto b = boolean(v)) out.insecure = *b;
    } else if (key == "pin_sha256") {
      std::vector<std::string> pins;
      if (v.node.IsScalar()) {
        // One pin may be written without the list brackets.
        auto s = string(v);
        if (!s) return;
        auto pin = parse_sha256_pin(*s);
        if (!pin) {
          error(v, pin.error);
          return;
        }
        out.pins_sha256.push_back(std::move(*pin.value));
        return;
      }
      if (v.node.IsSequence() && v.node.size() == 0) {
        error(v, "pin_sha256 needs at least one digest (or leave it out)");
        return;
      }
      items(v, kMaxPins, "pins", [&](const At& item, size_t) {
        auto s = string(item);
        if (!s) return;
        auto pin = parse_sha256_pin(*s);
        if (!pin) {
          error(item, pin.error);
          return;
        }
        out.pins_sha256.push_back(std::move(*pin.value));
      });
    } else if (key == "min_version") {
      if (auto s = one_of(v, {"1.2", "1.3"})) {
        out.min_version = *s == "1.3" ? TlsVersion::kTls13 : TlsVersion::kTls12;
      }
    }
  });
  if (diags_.stopped()) return;
  if (cert_at && !key_at) {
    missing(at.pos, at.path, "key", "the private key of the client certificate");
  } else if (key_at && !cert_at) {
    missing(at.pos, at.path, "cert", "the client certificate that goes with key");
  }
  if (out.insecure) {
    if (verify_written && out.verify) {
      error(*verify_at, "verify: true contradicts insecure: true; keep one of them");
      return;
    }
    out.verify = false;
  } else if (!out.verify && out.pins_sha256.empty()) {
    // Turning verification off must be said out loud: a pin keeps the origin
    // authenticated, nothing else does.
    error(*verify_at,
          "verify: false leaves the origin unauthenticated; pin its key with pin_sha256 or "
          "write insecure: true to accept any certificate");
  }
}

}  // namespace rampart::config::detail
