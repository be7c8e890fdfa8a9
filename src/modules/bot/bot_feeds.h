#pragma once
// The verified bots' data-feed formats (compilers for feeds::Feed), pure code:
// - crawler IP ranges as crawlers publish them:
//   {"creationTime": "...", "prefixes": [{"ipv4Prefix": "66.249.64.0/27"},
//                                        {"ipv6Prefix": "2001:4860:4801:10::/64"}]}
// - Web Bot Auth keys as a JWKS: {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "..."}]},
//   each key known by its RFC 7638 JWK thumbprint (the signature's keyid).

#include <openssl/evp.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/ip_range_set.h"
#include "feeds/feed.h"

namespace rampart::modules::bot {

feeds::Compiled compile_ip_ranges(std::string_view text, uint64_t max_entries);

struct PublicKeys {
  struct Deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  std::map<std::string, std::unique_ptr<EVP_PKEY, Deleter>, std::less<>> by_thumbprint;
};
feeds::Compiled compile_jwks(std::string_view text, uint64_t max_entries);

// base64url(SHA-256 of {"crv":"Ed25519","kty":"OKP","x":"<x>"}), RFC 7638.
std::string ed25519_thumbprint(std::string_view x_base64url);

}  // namespace rampart::modules::bot
