// TLS settings in the config: listener `tls:` and `http2`, site certificates (paths
// resolved against the config's directory), client auth, redirect and HSTS, and the
// errors at the offending key.

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using namespace std::chrono_literals;
using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;
using testing::yaml;

TEST(TlsConfigTest, ListenerDefaultsAndSiteCertificates) {
  auto r = load(yaml(R"(
listeners:
  - name: https
    address: 127.0.0.1:8443
    tls: {}
  - address: 127.0.0.1:8080
    http2: false
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls:
      certificates:
        - cert: certs/ec.pem
          key: certs/ec.key
          ocsp_response: certs/ec.ocsp.der
        - {cert: /abs/rsa.pem, key: /abs/rsa.key}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Config& c = *r.config;
  ASSERT_TRUE(c.listeners[0].tls);
  const ListenerTls& t = *c.listeners[0].tls;
  EXPECT_EQ(t.min_version, TlsVersion::kTls12);
  EXPECT_TRUE(t.session_tickets);
  EXPECT_EQ(t.ticket_key_rotation, 12h);
  EXPECT_EQ(t.handshake_timeout, 10s);
  EXPECT_TRUE(t.ciphers.empty());
  EXPECT_EQ(t.line, 4);
  EXPECT_TRUE(c.listeners[0].http2);
  EXPECT_FALSE(c.listeners[1].tls);
  EXPECT_FALSE(c.listeners[1].http2);

  const SiteTls& s = c.sites[0].tls;
  ASSERT_EQ(s.certificates.size(), 2u);
  // load_string has no directory: relative paths stay as written.
  EXPECT_EQ(s.certificates[0].cert, "certs/ec.pem");
  EXPECT_EQ(s.certificates[0].ocsp_response, "certs/ec.ocsp.der");
  EXPECT_EQ(s.certificates[0].cert_line, 13);
  EXPECT_EQ(s.certificates[0].key_line, 14);
  EXPECT_EQ(s.certificates[0].ocsp_line, 15);
  EXPECT_EQ(s.certificates[1].key, "/abs/rsa.key");
  EXPECT_FALSE(s.client_auth.enabled);
  EXPECT_FALSE(s.hsts.enabled);
  EXPECT_FALSE(s.https_redirect);
  EXPECT_EQ(s.https_port, 443);
}

TEST(TlsConfigTest, AllListenerAndSiteKeys) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8443
    tls:
      min_version: "1.3"
      ciphers: "ECDHE+AESGCM"
      ciphersuites: "TLS_AES_128_GCM_SHA256"
      session_tickets: false
      ticket_key_rotation: 1h
      handshake_timeout: 5s
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls:
      certificates: [{cert: /c.pem, key: /k.pem}]
      client_auth: {ca: /ca.pem, required: false}
      https_redirect: true
      https_port: 8443
      hsts: {max_age: 180d, include_subdomains: true, preload: true}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const ListenerTls& t = *r.config->listeners[0].tls;
  EXPECT_EQ(t.min_version, TlsVersion::kTls13);
  EXPECT_EQ(t.ciphers, "ECDHE+AESGCM");
  EXPECT_EQ(t.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_FALSE(t.session_tickets);
  EXPECT_EQ(t.ticket_key_rotation, 1h);
  EXPECT_EQ(t.handshake_timeout, 5s);
  const SiteTls& s = r.config->sites[0].tls;
  EXPECT_TRUE(s.client_auth.enabled);
  EXPECT_EQ(s.client_auth.ca, "/ca.pem");
  EXPECT_FALSE(s.client_auth.required);
  EXPECT_EQ(s.client_auth.ca_line, 16);
  EXPECT_TRUE(s.https_redirect);
  EXPECT_EQ(s.https_port, 8443);
  EXPECT_TRUE(s.hsts.enabled);
  EXPECT_EQ(s.hsts.max_age, 180 * 24h);
  EXPECT_TRUE(s.hsts.include_subdomains);
  EXPECT_TRUE(s.hsts.preload);
}

TEST(TlsConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("rampart_tls_cfg_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "rampart.yaml") << R"(listeners: [{address: 127.0.0.1:8443, tls: {}}]
sites:
  - name: s
    hosts: [s.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls:
      certificates: [{cert: certs/s.pem, key: ../keys/s.key}]
      client_auth: {ca: ca.pem}
)";
  auto r = load_file((dir / "rampart.yaml").string());
  fs::remove_all(dir);
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const SiteTls& s = r.config->sites[0].tls;
  EXPECT_EQ(s.certificates[0].cert, (dir / "certs/s.pem").string());
  EXPECT_EQ(s.certificates[0].key, (dir.parent_path() / "keys/s.key").string());
  EXPECT_EQ(s.client_auth.ca, (dir / "ca.pem").string());
  EXPECT_TRUE(s.client_auth.required);
}

constexpr std::string_view kTlsListener = "listeners: [{address: 127.0.0.1:8443, tls: {}}]\n";

LoadResult load_site_tls(std::string_view site_tls) {
  return load(std::string(kTlsListener) +
              "sites:\n"
              "  - name: s\n"
              "    hosts: [s.example]\n"
              "    origin: {endpoints: [127.0.0.1:9000]}\n"
              "    tls:\n" +
              yaml(site_tls));
}

TEST(TlsConfigTest, CertificateNeedsCertAndKey) {
  auto r = load_site_tls(R"(
      certificates:
        - cert: /c.pem
        - key: /k.pem
)");
  EXPECT_TRUE(has_error_at(r, 8, 11, "certificates[0]: missing required key \"key\""))
      << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 9, 11, "certificates[1]: missing required key \"cert\""));
}

TEST(TlsConfigTest, AtMostEightCertificates) {
  std::string list = "      certificates:\n";
  for (int i = 0; i < 9; ++i) list += "        - {cert: /c.pem, key: /k.pem}\n";
  auto r = load_site_tls(list);
  EXPECT_TRUE(find_error(r, "too many certificates: 9 (the limit is 8)")) << all_errors(r);
  EXPECT_FALSE(find_error(load_site_tls(list.substr(0, list.rfind("        -"))), "too many"));
}

TEST(TlsConfigTest, BadValuesAreErrorsAtTheirKey) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8443
    tls:
      min_version: "1.1"
      ticket_key_rotation: 10s
      bogus: 1
    http2: maybe
sites:
  - name: s
    hosts: [s.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls:
      certificates: [{cert: "", key: /k.pem}]
      https_port: 70000
      hsts: {max_age: 3y}
      client_auth: {required: true}
)"));
  EXPECT_TRUE(has_error_at(r, 4, 20, "\"1.1\" is not one of: 1.2, 1.3")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 5, 28, "\"10s\" is out of range"));
  EXPECT_TRUE(has_error_at(r, 6, 7, "unknown key \"bogus\""));
  EXPECT_TRUE(has_error_at(r, 7, 12, "http2"));
  EXPECT_TRUE(has_error_at(r, 13, 29, "expected a file path, got an empty string"));
  EXPECT_TRUE(has_error_at(r, 14, 19, "70000 is out of range (1 to 65535)"));
  EXPECT_TRUE(has_error_at(r, 15, 23, "max_age"));
  EXPECT_TRUE(has_error_at(r, 16, 20, "missing required key \"ca\""));
}

TEST(TlsConfigTest, TlsListenerNeedsASiteWithCertificates) {
  auto r = load(yaml(R"(
listeners:
  - address: 127.0.0.1:8080
  - name: secure
    address: 127.0.0.1:8443
    tls: {min_version: "1.2"}
sites:
  - name: s
    hosts: [s.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls: {https_redirect: true}
)"));
  EXPECT_TRUE(has_error_at(r, 5, 10, "listener \"secure\" speaks TLS but no site has certificates"))
      << all_errors(r);
}

TEST(TlsConfigTest, CertificatesWithoutTlsListenerAreAccepted) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: s
    hosts: [s.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls: {certificates: [{cert: /c.pem, key: /k.pem}]}
)"));
  EXPECT_TRUE(r.ok()) << all_errors(r);
}

}  // namespace
}  // namespace rampart::config
