#include "tls/certificates.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>

namespace rampart::tls {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;  // a chain of a few certificates is ~10 KiB
constexpr size_t kMaxOcspBytes = 64 << 10;

// Reads a whole file; on failure returns nullopt and says why in `problem`.
std::optional<std::string> read_file(const std::string& path, size_t max_bytes,
                                     std::string& problem) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problem = std::string("cannot be read: ") + (errno ? std::strerror(errno) : "open failed");
    return std::nullopt;
  }
  std::string data;
  data.resize(max_bytes + 1);
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  if (in.bad()) {
    problem = "cannot be read (is it a directory?)";
    return std::nullopt;
  }
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > max_bytes) {
    problem = "is larger than " + std::to_string(max_bytes / 1024) + " KiB";
    return std::nullopt;
  }
  return data;
}

// The reason of OpenSSL's most recent error, and the error queue emptied.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  std::string out;
  if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    out = reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
  }
  ERR_clear_error();
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A password callback that refuses: without it OpenSSL would prompt on the terminal for
// an encrypted key, and a server must never block on that.
int no_password(char*, int, int, void*) {
  return -1;
}

// Optional client auth keeps connections whose certificate does not verify; the rules
// see tls.client_cert.verified = false (SSL_get_verify_result keeps the reason).
int accept_unverified(int, X509_STORE_CTX*) {
  return 1;
}

bool looks_like_pem(std::string_view text) {
  return text.find("-----BEGIN ") != text.npos;
}

std::string time_text(const ASN1_TIME* t) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || ASN1_TIME_print(bio.get(), t) != 1) return "?";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

struct Chain {
  X509Ptr leaf;
  std::vector<X509Ptr> intermediates;
};

class SiteLoader {
 public:
  SiteLoader(SSL_CTX* ctx, size_t index, const std::string& source,
             std::vector<config::Diagnostic>& errors)
      : ctx_(ctx), index_(index), source_(source), errors_(errors) {}

  void certificate(size_t i, const config::CertificateFiles& files, std::vector<Staple>& staples);
  void client_ca(const config::ClientAuth& auth);
  bool failed() const { return failed_; }

 private:
  void error(int line, int column, const std::string& key, const std::string& path,
             const std::string& problem) {
    errors_.push_back(
        config::Diagnostic{source_, line, column, key + ": " + path + ": " + problem});
    failed_ = true;
  }
  std::string key_path(size_t i, const char* key) const {
    return "sites[" + std::to_string(index_) + "].tls.certificates[" + std::to_string(i) + "]." +
           key;
  }
  std::optional<Chain> read_chain(size_t i, const config::CertificateFiles& files);
  PkeyPtr read_key(size_t i, const config::CertificateFiles& files);

  SSL_CTX* ctx_;
  size_t index_;
  const std::string& source_;
  std::vector<config::Diagnostic>& errors_;
  std::vector<int> key_types_;  // one certificate per key type
  bool failed_ = false;
};

std::optional<Chain> SiteLoader::read_chain(size_t i, const config::CertificateFiles& files) {
  const std::string where = key_path(i, "cert");
  auto fail = [&](const std::string& problem) {
    error(files.cert_line, files.cert_column, where, files.cert, problem);
    return std::nullopt;
  };
  std::string problem;
  auto text = read_file(files.cert, kMaxPemBytes, problem);
  if (!text) return fail(problem);
  if (!looks_like_pem(*text))
    return fail("is not a PEM file (expected -----BEGIN CERTIFICATE-----)");
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  Chain chain;
  chain.leaf.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, no_password, nullptr));
  if (!chain.leaf) {
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) {
      return fail("holds no certificate (is it the key?)");
    }
    return fail("the first certificate does not parse");
  }
  while (true) {
    X509Ptr next(PEM_read_bio_X509(bio.get(), nullptr, no_password, nullptr));
    if (next) {
      if (chain.intermediates.size() >= 16) return fail("holds more than 16 chain certificates");
      chain.intermediates.push_back(std::move(next));
      continue;
    }
    unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    // Reading stops at the end with "no start line"; anything else is a broken block.
    if (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) break;
    return fail("certificate " + std::to_string(chain.intermediates.size() + 2) +
                " of the chain does not parse");
  }
  if (X509_cmp_current_time(X509_get0_notAfter(chain.leaf.get())) < 0) {
    return fail("the certificate expired on " + time_text(X509_get0_notAfter(chain.leaf.get())));
  }
  if (X509_cmp_current_time(X509_get0_notBefore(chain.leaf.get())) > 0) {
    return fail("the certificate is not valid before " +
                time_text(X509_get0_notBefore(chain.leaf.get())));
  }
  return chain;
}

PkeyPtr SiteLoader::read_key(size_t i, const config::CertificateFiles& files) {
  const std::string where = key_path(i, "key");
  std::string problem;
  auto text = read_file(files.key, kMaxPemBytes, problem);
  if (!text) {
    error(files.key_line, files.key_column, where, files.key, problem);
    return nullptr;
  }
  if (!looks_like_pem(*text)) {
    error(files.key_line, files.key_column, where, files.key,
          "is not a PEM file (expected -----BEGIN PRIVATE KEY-----)");
    return nullptr;
  }
  ERR_clear_error();
  BioPtr bio(BIO_new_mem_buf(text->data(), static_cast<int>(text->size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
  if (!key) {
    const bool encrypted = text->find("ENCRYPTED") != std::string::npos;
    ERR_clear_error();
    error(files.key_line, files.key_column, where, files.key,
          encrypted ? "is encrypted; rampart needs the key without a passphrase"
                    : "holds no private key that parses");
  }
  return key;
}

void SiteLoader::certificate(size_t i, const config::CertificateFiles& files,
                             std::vector<Staple>& staples) {
  auto chain = read_chain(i, files);
  PkeyPtr key = read_key(i, files);
  if (!chain || !key) return;
  const std::string where = key_path(i, "key");
  if (EVP_PKEY_eq(X509_get0_pubkey(chain->leaf.get()), key.get()) != 1) {
    ERR_clear_error();
    error(files.key_line, files.key_column, where, files.key,
          "does not match the certificate in " + files.cert);
    return;
  }
  const int type = EVP_PKEY_get_base_id(key.get());
  for (int seen : key_types_) {
    if (seen == type) {
      error(files.cert_line, files.cert_column, key_path(i, "cert"), files.cert,
            std::string("the site already has a certificate with a ") +
                EVP_PKEY_get0_type_name(key.get()) + " key; OpenSSL keeps one per key type");
      return;
    }
  }
  key_types_.push_back(type);
  bool ok = SSL_CTX_use_certificate(ctx_, chain->leaf.get()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx_, key.get()) == 1;
  // The chain belongs to the certificate just set (one chain per key type).
  for (size_t c = 0; ok && c < chain->intermediates.size(); ++c) {
    ok = SSL_CTX_add1_chain_cert(ctx_, chain->intermediates[c].get()) == 1;
  }
  if (!ok) {
    error(files.cert_line, files.cert_column, key_path(i, "cert"), files.cert,
          "OpenSSL refused it: " + openssl_reason());
    return;
  }
  if (files.ocsp_response.empty()) return;
  std::string problem;
  auto der = read_file(files.ocsp_response, kMaxOcspBytes, problem);
  if (der) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der->data());
    OCSP_RESPONSE* response = d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der->size()));
    if (!response || p != reinterpret_cast<const unsigned char*>(der->data() + der->size())) {
      problem = "is not a DER-encoded OCSP response";
    }
    OCSP_RESPONSE_free(response);
    ERR_clear_error();
  }
  if (!problem.empty()) {
    error(files.ocsp_line, files.ocsp_column, key_path(i, "ocsp_response"), files.ocsp_response,
          problem);
    return;
  }
  X509_up_ref(chain->leaf.get());
  staples.push_back(Staple{X509Ptr(chain->leaf.get()), std::move(*der)});
}

void SiteLoader::client_ca(const config::ClientAuth& auth) {
  const std::string where = "sites[" + std::to_string(index_) + "].tls.client_auth.ca";
  std::string problem;
  auto text = read_file(auth.ca, kMaxPemBytes, problem);
  if (!text) {
    error(auth.ca_line, auth.ca_column, where, auth.ca, problem);
    return;
  }
  ERR_clear_error();
  // The verify store checks client chains; the name list tells clients which CAs to use.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(auth.ca.c_str());
  if (!names || sk_X509_NAME_num(names) == 0 ||
      SSL_CTX_load_verify_locations(ctx_, auth.ca.c_str(), nullptr) != 1) {
    sk_X509_NAME_pop_free(names, X509_NAME_free);
    ERR_clear_error();
    error(auth.ca_line, auth.ca_column, where, auth.ca, "holds no CA certificate that parses");
    return;
  }
  SSL_CTX_set_client_CA_list(ctx_, names);
  int mode = SSL_VERIFY_PEER;
  if (auth.required) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx_, mode, auth.required ? nullptr : accept_unverified);
  SSL_CTX_set_verify_depth(ctx_, 8);
}

}  // namespace

bool load_site_certificates(SSL_CTX* ctx, const config::Site& site, size_t site_index,
                            const std::string& source, std::vector<Staple>& staples,
                            std::vector<config::Diagnostic>& errors) {
  SiteLoader loader(ctx, site_index, source, errors);
  for (size_t i = 0; i < site.tls.certificates.size(); ++i) {
    loader.certificate(i, site.tls.certificates[i], staples);
  }
  if (site.tls.client_auth.enabled) loader.client_ca(site.tls.client_auth);
  return !loader.failed();
}

}  // namespace rampart::tls
