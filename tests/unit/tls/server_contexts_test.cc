// SNI selection (exact, wildcard, default, no SNI, RSA next to ECDSA), ALPN, minimum
// version and OCSP stapling, through real in-memory handshakes.

#include "tls/server_contexts.h"

#include <gtest/gtest.h>
#include <openssl/ocsp.h>

#include <string>

#include "tls/connection.h"
#include "tls_test_support.h"

namespace rampart::tls {
namespace {

using testing::ClientOptions;
using testing::common_name;
using testing::handshake;
using testing::server_certificate;

// Four sites: exact names with an ECDSA and an RSA certificate, a wildcard, one without
// certificates, and the default site; two TLS listeners (the second without HTTP/2) and
// one with TLS 1.3 only.
class ServerContextsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_pair("shop-ec", testing::make_ec_key(), "shop.example");
    write_pair("shop-rsa", testing::make_rsa_key(), "shop-rsa.example");
    write_pair("api", testing::make_ec_key(), "wild.api.example");
    write_pair("fallback", testing::make_ec_key(), "fallback.example");
    // A DER OCSP response (tryLater carries no body, but is a well-formed response).
    OCSP_RESPONSE* response = OCSP_response_create(OCSP_RESPONSE_STATUS_TRYLATER, nullptr);
    unsigned char* der = nullptr;
    int len = i2d_OCSP_RESPONSE(response, &der);
    ocsp_der_.assign(reinterpret_cast<char*>(der), static_cast<size_t>(len));
    OPENSSL_free(der);
    OCSP_RESPONSE_free(response);
    dir_.write("shop.ocsp.der", ocsp_der_);
  }

  void write_pair(const std::string& name, PkeyPtr key, const std::string& cn) {
    X509Ptr cert = testing::make_cert(key.get(), {.common_name = cn, .dns_names = {cn}});
    dir_.write(name + ".pem", testing::to_pem(cert.get()));
    dir_.write(name + ".key", testing::to_pem(key.get()));
  }

  std::string yaml(bool with_default = true) const {
    const std::string d = dir_.path().string() + "/";
    std::string text = R"(
listeners:
  - {name: https, address: 127.0.0.1:8443, tls: {}}
  - {name: h1, address: 127.0.0.1:8444, tls: {}, http2: false}
  - {name: modern, address: 127.0.0.1:8445, tls: {min_version: "1.3"}}
  - {name: plain, address: 127.0.0.1:8080}
sites:
  - name: shop
    hosts: [shop.example]
    origin: {endpoints: [127.0.0.1:9000]}
    tls:
      certificates:
        - {cert: D/shop-ec.pem, key: D/shop-ec.key, ocsp_response: D/shop.ocsp.der}
        - {cert: D/shop-rsa.pem, key: D/shop-rsa.key}
  - name: api
    hosts: ["*.api.example"]
    origin: {endpoints: [127.0.0.1:9000]}
    tls: {certificates: [{cert: D/api.pem, key: D/api.key}]}
  - name: plain
    hosts: [plain.example]
    origin: {endpoints: [127.0.0.1:9000]}
  - name: fallback
    hosts: [fallback.example]
    default: DEFAULT
    origin: {endpoints: [127.0.0.1:9000]}
    tls: {certificates: [{cert: D/fallback.pem, key: D/fallback.key}]}
)";
    for (size_t at; (at = text.find("D/")) != std::string::npos;) text.replace(at, 2, d);
    text.replace(text.find("DEFAULT"), 7, with_default ? "true" : "false");
    return text;
  }

  std::shared_ptr<const ServerContexts> build(bool with_default = true) {
    config_ = testing::load_config(yaml(with_default));
    if (!config_) return nullptr;
    std::vector<config::Diagnostic> errors;
    auto contexts = ServerContexts::build(*config_, std::make_shared<TicketKeys>(),
                                          testing::lookup_for(*config_), errors);
    for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    return contexts;
  }

  std::string cert_for(const ServerContexts& contexts, const std::string& sni,
                       const std::string& sigalgs = "") {
    auto r = handshake(contexts, 0, ClientOptions{.sni = sni, .sigalgs = sigalgs});
    EXPECT_TRUE(r.ok) << sni << ": " << r.client_error << r.server_error;
    return common_name(server_certificate(r));
  }

  testing::TempDir dir_{"contexts"};
  std::string ocsp_der_;
  std::shared_ptr<const config::Config> config_;
};

TEST_F(ServerContextsTest, SniPicksTheSiteCertificate) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  EXPECT_EQ(cert_for(*contexts, "shop.example"), "shop.example");
  EXPECT_EQ(cert_for(*contexts, "SHOP.Example"), "shop.example");
  EXPECT_EQ(cert_for(*contexts, "a.api.example"), "wild.api.example");
  EXPECT_EQ(cert_for(*contexts, "x.y.api.example"), "wild.api.example");
  // The wildcard does not cover the bare suffix: the default site answers.
  EXPECT_EQ(cert_for(*contexts, "api.example"), "fallback.example");
  EXPECT_EQ(cert_for(*contexts, "unknown.example"), "fallback.example");
  // A site without certificates gets the fallback's, but is still the SNI's site.
  auto r = handshake(*contexts, 0, ClientOptions{.sni = "plain.example"});
  ASSERT_TRUE(r.ok) << r.server_error;
  EXPECT_EQ(common_name(server_certificate(r)), "fallback.example");
  EXPECT_EQ(sni_site(r.server.get()), std::optional<size_t>(2));
  EXPECT_EQ(contexts->fallback_site(), std::optional<size_t>(3));
}

TEST_F(ServerContextsTest, NoSniGetsTheDefaultSite) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  auto r = handshake(*contexts, 0, ClientOptions{});
  ASSERT_TRUE(r.ok) << r.server_error;
  EXPECT_EQ(common_name(server_certificate(r)), "fallback.example");
  EXPECT_EQ(sni_site(r.server.get()), std::nullopt);
}

TEST_F(ServerContextsTest, WithoutADefaultTheFirstSiteWithCertificates) {
  auto contexts = build(/*with_default=*/false);
  ASSERT_TRUE(contexts);
  EXPECT_EQ(contexts->fallback_site(), std::optional<size_t>(0));
  EXPECT_EQ(cert_for(*contexts, ""), "shop.example");
  EXPECT_EQ(cert_for(*contexts, "unknown.example"), "shop.example");
}

TEST_F(ServerContextsTest, RsaAndEcdsaSideBySide) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  EXPECT_EQ(cert_for(*contexts, "shop.example", "ECDSA+SHA256"), "shop.example");
  EXPECT_EQ(cert_for(*contexts, "shop.example", "rsa_pss_rsae_sha256:RSA+SHA256"),
            "shop-rsa.example");
}

std::string alpn_of(const ServerContexts& contexts, size_t listener,
                    std::vector<std::string> offered) {
  auto r = handshake(contexts, listener, ClientOptions{.sni = "shop.example", .alpn = offered});
  EXPECT_TRUE(r.ok) << r.client_error << r.server_error;
  return r.ok ? facts_after_handshake(r.server.get()).alpn : "<failed>";
}

TEST_F(ServerContextsTest, AlpnPrefersH2ThenHttp11) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  EXPECT_EQ(alpn_of(*contexts, 0, {"h2", "http/1.1"}), "h2");
  // The server's preference wins over the client's order.
  EXPECT_EQ(alpn_of(*contexts, 0, {"http/1.1", "h2"}), "h2");
  EXPECT_EQ(alpn_of(*contexts, 0, {"http/1.1"}), "http/1.1");
  EXPECT_EQ(alpn_of(*contexts, 0, {"spdy/3", "h3"}), "");
  EXPECT_EQ(alpn_of(*contexts, 0, {}), "");
  // Listener "h1" has http2: false.
  EXPECT_EQ(alpn_of(*contexts, 1, {"h2", "http/1.1"}), "http/1.1");
  EXPECT_EQ(alpn_of(*contexts, 1, {"h2"}), "");
}

TEST_F(ServerContextsTest, ListenersAndVersions) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  EXPECT_TRUE(contexts->is_tls(0));
  EXPECT_FALSE(contexts->is_tls(3));
  EXPECT_FALSE(contexts->is_tls(4));
  EXPECT_EQ(contexts->new_connection(3), nullptr);
  auto tls12 =
      handshake(*contexts, 0, ClientOptions{.sni = "shop.example", .max_version = TLS1_2_VERSION});
  ASSERT_TRUE(tls12.ok) << tls12.server_error;
  EXPECT_EQ(facts_after_handshake(tls12.server.get()).version, "TLSv1.2");
  // The default TLS 1.2 ciphers are ECDHE with AEAD only.
  std::string cipher = facts_after_handshake(tls12.server.get()).cipher;
  EXPECT_EQ(cipher.rfind("ECDHE-", 0), 0u) << cipher;
  EXPECT_TRUE(cipher.find("GCM") != std::string::npos ||
              cipher.find("CHACHA20") != std::string::npos)
      << cipher;
  auto refused =
      handshake(*contexts, 2, ClientOptions{.sni = "shop.example", .max_version = TLS1_2_VERSION});
  EXPECT_FALSE(refused.ok);
  auto tls13 = handshake(*contexts, 2, ClientOptions{.sni = "shop.example"});
  ASSERT_TRUE(tls13.ok) << tls13.server_error;
  EXPECT_EQ(facts_after_handshake(tls13.server.get()).version, "TLSv1.3");
}

TEST_F(ServerContextsTest, OcspResponseStapledWhenAsked) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  auto asked = handshake(
      *contexts, 0,
      ClientOptions{.sni = "shop.example", .status_request = true, .sigalgs = "ECDSA+SHA256"});
  ASSERT_TRUE(asked.ok) << asked.server_error;
  const unsigned char* staple = nullptr;
  long len = SSL_get_tlsext_status_ocsp_resp(asked.client.get(), &staple);
  ASSERT_GT(len, 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(staple), static_cast<size_t>(len)),
            ocsp_der_);
  // The RSA certificate has no response file, and a client that does not ask gets none.
  auto rsa = handshake(*contexts, 0,
                       ClientOptions{.sni = "shop.example",
                                     .status_request = true,
                                     .sigalgs = "RSA+SHA256:rsa_pss_rsae_sha256"});
  ASSERT_TRUE(rsa.ok);
  EXPECT_EQ(common_name(server_certificate(rsa)), "shop-rsa.example");
  EXPECT_LE(SSL_get_tlsext_status_ocsp_resp(rsa.client.get(), &staple), 0);
  auto unasked = handshake(*contexts, 0, ClientOptions{.sni = "shop.example"});
  ASSERT_TRUE(unasked.ok);
  EXPECT_LE(SSL_get_tlsext_status_ocsp_resp(unasked.client.get(), &staple), 0);
}

TEST_F(ServerContextsTest, ConnectionKeepsItsContextsAfterTheSetIsDropped) {
  auto contexts = build();
  ASSERT_TRUE(contexts);
  // As after a reload: the server made an SSL, then the snapshot holding the set went.
  std::weak_ptr<const ServerContexts> weak = contexts;
  SslPtr pending(contexts->new_connection(0));
  contexts.reset();
  EXPECT_FALSE(weak.expired());
  pending.reset();
  EXPECT_TRUE(weak.expired());
}

}  // namespace
}  // namespace rampart::tls
