#include "tls_test_support.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

namespace rampart::tls::testing {

namespace fs = std::filesystem;

PkeyPtr make_ec_key() {
  return PkeyPtr(EVP_EC_gen("P-256"));
}

PkeyPtr make_rsa_key() {
  static EVP_PKEY* shared = EVP_RSA_gen(2048);
  EVP_PKEY_up_ref(shared);
  return PkeyPtr(shared);
}

namespace {

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  ASSERT_NE(ext, nullptr) << value;
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string drain_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace

X509Ptr make_cert(EVP_PKEY* key, const CertSpec& spec) {
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), spec.not_after_seconds);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("rampart tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509* issuer = spec.issuer ? spec.issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
  if (spec.ca) {
    add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(cert.get(), issuer, NID_basic_constraints, "CA:FALSE");
  }
  if (!spec.dns_names.empty()) {
    std::string san;
    for (const std::string& dns : spec.dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + dns;
    add_ext(cert.get(), issuer, NID_subject_alt_name, san);
  }
  X509_sign(cert.get(), spec.issuer_key ? spec.issuer_key : key, EVP_sha256());
  return cert;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  return bio_text(bio.get());
}

std::string to_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return bio_text(bio.get());
}

std::string common_name(const X509* cert) {
  if (cert == nullptr) return "<none>";
  char buf[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

TempDir::TempDir(std::string_view name)
    : path_(fs::temp_directory_path() /
            ("rampart_tls_" + std::string(name) + "_" + std::to_string(::getpid()))) {
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  fs::remove_all(path_);
}

std::string TempDir::write(const std::string& relative, std::string_view content) const {
  fs::path p = path_ / relative;
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  return p.string();
}

std::shared_ptr<const config::Config> load_config(const std::string& yaml) {
  config::LoadResult r = config::load_string(yaml, "test.yaml");
  std::string errors;
  for (const auto& d : r.errors) errors += d.to_string() + "\n";
  EXPECT_TRUE(r.ok()) << errors;
  return r.config;
}

HostLookup lookup_for(const config::Config& config) {
  return [&config](std::string_view host) -> std::optional<size_t> {
    std::string lower(host);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    for (size_t i = 0; i < config.sites.size(); ++i) {
      for (const std::string& h : config.sites[i].hosts) {
        if (h == lower) return i;
      }
    }
    std::optional<size_t> best;
    size_t best_len = 0;
    for (size_t i = 0; i < config.sites.size(); ++i) {
      for (const std::string& h : config.sites[i].hosts) {
        if (h.rfind("*.", 0) != 0) continue;
        std::string suffix = h.substr(1);
        if (lower.size() > suffix.size() && lower.ends_with(suffix) && suffix.size() > best_len) {
          best = i;
          best_len = suffix.size();
        }
      }
    }
    if (best) return best;
    for (size_t i = 0; i < config.sites.size(); ++i) {
      if (config.sites[i].is_default) return i;
    }
    return std::nullopt;
  };
}

HandshakeResult handshake(const ServerContexts& contexts, size_t listener,
                          const ClientOptions& options) {
  HandshakeResult result;
  ERR_clear_error();
  result.server.reset(contexts.new_connection(listener));
  if (!result.server) {
    result.server_error = "new_connection failed";
    return result;
  }
  SslCtxPtr client_ctx(SSL_CTX_new(TLS_client_method()));
  SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_NONE, nullptr);
  if (options.max_version) SSL_CTX_set_max_proto_version(client_ctx.get(), options.max_version);
  result.client.reset(SSL_new(client_ctx.get()));
  SSL* client = result.client.get();
  SSL* server = result.server.get();
  if (!options.sni.empty()) SSL_set_tlsext_host_name(client, options.sni.c_str());
  if (!options.alpn.empty()) {
    std::string wire;
    for (const std::string& p : options.alpn) wire += static_cast<char>(p.size()) + p;
    SSL_set_alpn_protos(client, reinterpret_cast<const unsigned char*>(wire.data()),
                        static_cast<unsigned>(wire.size()));
  }
  if (options.session) SSL_set_session(client, options.session);
  if (options.client_cert) {
    SSL_use_certificate(client, options.client_cert);
    SSL_use_PrivateKey(client, options.client_key);
  }
  if (options.status_request) SSL_set_tlsext_status_type(client, TLSEXT_STATUSTYPE_ocsp);
  if (!options.sigalgs.empty()) SSL_set1_sigalgs_list(client, options.sigalgs.c_str());
  BIO* client_bio = nullptr;
  BIO* server_bio = nullptr;
  BIO_new_bio_pair(&client_bio, 0, &server_bio, 0);
  SSL_set_bio(client, client_bio, client_bio);
  SSL_set_bio(server, server_bio, server_bio);
  SSL_set_connect_state(client);

  bool client_done = false;
  bool server_done = false;
  for (int round = 0; round < 50 && !(client_done && server_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client);
      int err = SSL_get_error(client, rc);
      if (rc == 1) {
        client_done = true;
      } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        result.client_error = "client handshake failed: " + drain_errors();
        break;
      }
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server);
      int err = SSL_get_error(server, rc);
      if (rc == 1) {
        server_done = true;
      } else if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        result.server_error = "server handshake failed: " + drain_errors();
        break;
      }
    }
  }
  if (!client_done || !server_done) {
    if (result.client_error.empty() && result.server_error.empty()) {
      result.server_error = "handshake did not finish";
    }
    return result;
  }
  // One byte of application data carries the client past any TLS 1.3 tickets.
  if (SSL_write(server, "x", 1) != 1) {
    result.server_error = "write failed: " + drain_errors();
    return result;
  }
  char byte = 0;
  for (int round = 0; round < 10; ++round) {
    if (SSL_read(client, &byte, 1) == 1) break;
  }
  result.ok = byte == 'x';
  if (!result.ok) result.client_error = "read failed: " + drain_errors();
  return result;
}

X509* server_certificate(const HandshakeResult& result) {
  return result.client ? SSL_get0_peer_certificate(result.client.get()) : nullptr;
}

}  // namespace rampart::tls::testing
