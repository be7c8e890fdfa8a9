// The client side of TLS to origins, through real in-memory handshakes against a bare
// OpenSSL server: trust, names and IP addresses, pins, resumption from the per-endpoint
// session cache, how failures are classified, and the file errors of a pool's tls.

#include "tls/origin_contexts.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <string>

#include "tls_test_support.h"

namespace rampart::tls {
namespace {

using testing::CertSpec;
using testing::make_cert;
using testing::make_ec_key;
using testing::TempDir;
using testing::to_pem;

struct Outcome {
  bool ok = false;
  OriginHandshakeError error;
  bool resumed = false;
  std::string alpn;  // what the server chose
};

// The test server picks "h2" when the client offers it, and nothing otherwise.
int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
              unsigned int inlen, void*) {
  for (unsigned int i = 0; i < inlen; i += 1u + in[i]) {
    if (in[i] == 2 && i + 2 < inlen && in[i + 1] == 'h' && in[i + 2] == '2') {
      *out = in + i + 1;
      *outlen = 2;
      return SSL_TLSEXT_ERR_OK;
    }
  }
  return SSL_TLSEXT_ERR_NOACK;
}

class OriginContextsTest : public ::testing::Test {
 protected:
  OriginContextsTest() : dir_("origin_contexts") {
    ca_key_ = make_ec_key();
    ca_ = make_cert(ca_key_.get(), CertSpec{.common_name = "test CA", .ca = true});
    ca_path_ = dir_.write("ca.pem", to_pem(ca_.get()));
    leaf_key_ = make_ec_key();
    leaf_ = make_cert(leaf_key_.get(), CertSpec{.common_name = "origin.test",
                                                .dns_names = {"origin.test"},
                                                .serial = 2,
                                                .issuer_key = ca_key_.get(),
                                                .issuer = ca_.get()});
    server_.reset(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(server_.get(), leaf_.get());
    SSL_CTX_use_PrivateKey(server_.get(), leaf_key_.get());
    SSL_CTX_set_alpn_select_cb(server_.get(), select_h2, nullptr);
  }

  std::shared_ptr<const OriginContext> build(config::OriginTls settings, bool http2 = false) {
    std::vector<config::Diagnostic> errors;
    auto ctx = OriginContext::build(settings, "web", "test.yaml", errors, http2);
    for (const auto& e : errors) ADD_FAILURE() << e.to_string();
    return ctx;
  }

  // One connection to "endpoint" named `host`, pumped through a BIO pair. After the
  // handshake the server writes a byte the client reads, so TLS 1.3 tickets arrive.
  Outcome connect(const OriginContext& ctx, std::string_view host,
                  std::string_view endpoint = "10.0.0.1:443") {
    Outcome out;
    SslPtr client = ctx.new_connection(endpoint, host);
    SslPtr server(SSL_new(server_.get()));
    BIO* cb = nullptr;
    BIO* sb = nullptr;
    BIO_new_bio_pair(&cb, 0, &sb, 0);
    SSL_set_bio(client.get(), cb, cb);
    SSL_set_bio(server.get(), sb, sb);
    SSL_set_accept_state(server.get());
    bool client_done = false;
    bool server_done = false;
    for (int round = 0; round < 50 && !(client_done && server_done); ++round) {
      if (!client_done) {
        int rc = SSL_do_handshake(client.get());
        int e = SSL_get_error(client.get(), rc);
        if (rc == 1) {
          client_done = true;
        } else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          out.error = OriginContext::failure(client.get(), e);
          ERR_clear_error();
          return out;
        }
      }
      if (!server_done) {
        int rc = SSL_do_handshake(server.get());
        int e = SSL_get_error(server.get(), rc);
        if (rc == 1) server_done = true;
        if (rc != 1 && e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
          ERR_clear_error();
          if (!client_done) continue;  // the client's alert says more
          return out;
        }
      }
    }
    if (!client_done || !server_done) return out;
    SSL_write(server.get(), "x", 1);
    char byte = 0;
    out.ok = SSL_read(client.get(), &byte, 1) == 1 && byte == 'x';
    out.resumed = SSL_session_reused(client.get()) == 1;
    const unsigned char* proto = nullptr;
    unsigned int proto_len = 0;
    SSL_get0_alpn_selected(client.get(), &proto, &proto_len);
    out.alpn.assign(reinterpret_cast<const char*>(proto), proto_len);
    // As proxy::UpstreamTls does: a connection freed without a close_notify loses its
    // session in OpenSSL.
    SSL_shutdown(client.get());
    ERR_clear_error();
    return out;
  }

  std::string spki_sha256(X509* cert) {
    unsigned char* der = nullptr;
    int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_Digest(der, static_cast<size_t>(len), digest, &n, EVP_sha256(), nullptr);
    OPENSSL_free(der);
    return std::string(reinterpret_cast<char*>(digest), n);
  }

  TempDir dir_;
  PkeyPtr ca_key_;
  X509Ptr ca_;
  std::string ca_path_;
  PkeyPtr leaf_key_;
  X509Ptr leaf_;
  SslCtxPtr server_;
};

TEST_F(OriginContextsTest, TrustedChainAndNameHandshake) {
  auto ctx = build({.ca = ca_path_});
  ASSERT_NE(ctx, nullptr);
  Outcome r = connect(*ctx, "origin.test");
  EXPECT_TRUE(r.ok) << r.error.reason;
  EXPECT_FALSE(r.resumed);
}

TEST_F(OriginContextsTest, SecondConnectionToTheEndpointResumes) {
  auto ctx = build({.ca = ca_path_});
  ASSERT_TRUE(connect(*ctx, "origin.test").ok);
  Outcome again = connect(*ctx, "origin.test");
  EXPECT_TRUE(again.ok);
  EXPECT_TRUE(again.resumed);
  // Sessions are per endpoint: another address starts afresh.
  Outcome other = connect(*ctx, "origin.test", "10.0.0.2:443");
  EXPECT_TRUE(other.ok);
  EXPECT_FALSE(other.resumed);
}

TEST_F(OriginContextsTest, UnknownCaIsUntrusted) {
  TempDir other("origin_contexts_other");
  PkeyPtr key = make_ec_key();
  X509Ptr other_ca = make_cert(key.get(), CertSpec{.common_name = "other CA", .ca = true});
  auto ctx = build({.ca = other.write("ca.pem", to_pem(other_ca.get()))});
  Outcome r = connect(*ctx, "origin.test");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.kind, OriginFailure::kUntrusted);
  EXPECT_TRUE(r.error.reason.starts_with("origin certificate not trusted: ")) << r.error.reason;
}

TEST_F(OriginContextsTest, WrongNameOrIpIsUntrusted) {
  auto ctx = build({.ca = ca_path_});
  Outcome name = connect(*ctx, "elsewhere.test");
  EXPECT_EQ(name.error.kind, OriginFailure::kUntrusted);
  EXPECT_NE(name.error.reason.find("hostname mismatch"), std::string::npos) << name.error.reason;
  // An IP endpoint without sni is checked against the certificate's IP addresses.
  Outcome ip = connect(*ctx, "10.0.0.1");
  EXPECT_EQ(ip.error.kind, OriginFailure::kUntrusted);
  EXPECT_NE(ip.error.reason.find("IP address mismatch"), std::string::npos) << ip.error.reason;
  // With sni, the configured name is what counts.
  auto with_sni = build({.ca = ca_path_, .sni = "origin.test"});
  EXPECT_TRUE(connect(*with_sni, "10.0.0.1").ok);
}

TEST_F(OriginContextsTest, PinsDecideEvenWithoutVerification) {
  std::string good = spki_sha256(leaf_.get());
  std::string bad = spki_sha256(ca_.get());
  auto pinned = build({.ca = ca_path_, .pins_sha256 = {bad, good}});
  EXPECT_TRUE(connect(*pinned, "origin.test").ok);

  auto mismatch = build({.ca = ca_path_, .pins_sha256 = {bad}});
  Outcome r = connect(*mismatch, "origin.test");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.kind, OriginFailure::kPinMismatch);
  EXPECT_EQ(r.error.reason, "pin mismatch");

  // No CA, no name check: the pin alone authenticates.
  auto unverified = build({.sni = "anything.test", .verify = false, .pins_sha256 = {good}});
  EXPECT_TRUE(connect(*unverified, "anything.test").ok);
  auto unverified_bad = build({.sni = "anything.test", .verify = false, .pins_sha256 = {bad}});
  EXPECT_EQ(connect(*unverified_bad, "anything.test").error.kind, OriginFailure::kPinMismatch);
}

TEST_F(OriginContextsTest, InsecureAcceptsAnything) {
  auto ctx = build({.verify = false, .insecure = true});
  EXPECT_TRUE(connect(*ctx, "elsewhere.test").ok);
}

TEST_F(OriginContextsTest, FileProblemsAreConfigErrorsAtTheirKeys) {
  PkeyPtr other_key = make_ec_key();
  config::OriginTls settings;
  settings.ca = (dir_.path() / "missing.pem").string();
  settings.ca_line = 7;
  settings.ca_column = 11;
  settings.cert = dir_.write("client.pem", to_pem(leaf_.get()));
  settings.key = dir_.write("other.key", to_pem(other_key.get()));
  settings.key_line = 9;
  settings.key_column = 12;
  std::vector<config::Diagnostic> errors;
  EXPECT_EQ(OriginContext::build(settings, "web", "rampart.yaml", errors), nullptr);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 7);
  EXPECT_NE(errors[0].message.find("pool \"web\" tls.ca"), std::string::npos);
  EXPECT_NE(errors[0].message.find("cannot be read"), std::string::npos);
  EXPECT_EQ(errors[1].line, 9);
  EXPECT_NE(errors[1].message.find("does not match"), std::string::npos) << errors[1].message;

  errors.clear();
  settings = {};
  settings.ca = dir_.write("empty.pem", "not a certificate\n");
  EXPECT_EQ(OriginContext::build(settings, "web", "rampart.yaml", errors), nullptr);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("no CA certificate"), std::string::npos);
}

TEST_F(OriginContextsTest, UnchangedSettingsKeepTheContextAcrossBuilds) {
  auto a = build({.ca = ca_path_});
  ASSERT_TRUE(connect(*a, "origin.test").ok);
  auto same = build({.ca = ca_path_});
  EXPECT_EQ(same->id(), a->id());
  EXPECT_TRUE(connect(*same, "origin.test").resumed);  // the session cache came along

  auto other_setting = build({.ca = ca_path_, .sni = "origin.test"});
  EXPECT_NE(other_setting->id(), a->id());
  // The same path with new contents (a rotated CA file) is a new context.
  PkeyPtr key = make_ec_key();
  X509Ptr rotated = make_cert(key.get(), CertSpec{.common_name = "rotated CA", .ca = true});
  dir_.write("ca.pem", to_pem(ca_.get()) + to_pem(rotated.get()));
  auto reloaded = build({.ca = ca_path_});
  EXPECT_NE(reloaded->id(), a->id());
  EXPECT_FALSE(connect(*reloaded, "origin.test").resumed);
}

TEST_F(OriginContextsTest, Http2OffersAlpnH2AndIsItsOwnContext) {
  auto plain = build({.ca = ca_path_});
  auto h2 = build({.ca = ca_path_}, true);
  // Same TLS settings, different protocol: pooled connections must not mix.
  EXPECT_NE(plain->id(), h2->id());
  EXPECT_EQ(build({.ca = ca_path_}, true)->id(), h2->id());
  Outcome r = connect(*h2, "origin.test");
  EXPECT_TRUE(r.ok) << r.error.reason;
  EXPECT_EQ(r.alpn, "h2");
  Outcome p = connect(*plain, "origin.test");
  EXPECT_TRUE(p.ok) << p.error.reason;
  EXPECT_EQ(p.alpn, "");  // no ALPN offered, none chosen
}

}  // namespace
}  // namespace rampart::tls
