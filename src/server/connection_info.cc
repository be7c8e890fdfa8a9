#include "server/connection_info.h"

namespace rampart::server {

TlsFacts::TlsFacts(tls::ConnectionFacts from) : facts(std::move(from)) {
  view.version = facts.version;
  view.cipher = facts.cipher;
  view.ja4 = facts.ja4;
  view.sni = facts.sni;
  const tls::ClientCertificate& cert = facts.client_cert;
  view.client_cert_presented = cert.presented;
  view.client_cert_verified = cert.verified;
  view.client_cert_subject_dn = cert.subject;
  view.client_cert_issuer_dn = cert.issuer;
  view.client_cert_serial = cert.serial;
  view.client_cert_fingerprint_sha256 = cert.sha256;
  view.client_cert_not_before = cert.not_before;
  view.client_cert_not_after = cert.not_after;
}

}  // namespace rampart::server
