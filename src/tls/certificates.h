#pragma once
// Loading a site's certificate files into an SSL_CTX, with every problem reported as a
// config diagnostic at the key that named the file.

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "tls/openssl_ptr.h"

namespace rampart::tls {

// An OCSP response (DER) to staple when `leaf` is the certificate presented.
struct Staple {
  X509Ptr leaf;
  std::string der;
};

// Loads each of the site's certificates (leaf, chain, key, optional OCSP response)
// into `ctx`, and the client-auth CA file when set. Checks that each file reads and
// parses, that the key matches its certificate, that the certificate is valid now, and
// that no two certificates have the same key type (the second would silently replace
// the first). Appends one diagnostic per problem to `errors` (file = `source`) and goes
// on with the next file; returns false when it appended any.
bool load_site_certificates(SSL_CTX* ctx, const config::Site& site, size_t site_index,
                            const std::string& source, std::vector<Staple>& staples,
                            std::vector<config::Diagnostic>& errors);

}  // namespace rampart::tls
