#include "modules/bot/bot_feeds.h"

#include <openssl/sha.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "modules/bot/clearance.h"

namespace rampart::modules::bot {
namespace json = boost::json;

namespace {

feeds::Compiled fail(std::string message) {
  feeds::Compiled c;
  c.error = std::move(message);
  return c;
}

const json::value* member(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

}  // namespace

feeds::Compiled compile_ip_ranges(std::string_view text, uint64_t max_entries) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return fail("not JSON: " + ec.message());
  if (!doc.is_object()) return fail("expected a JSON object with \"prefixes\"");
  const json::value* prefixes = member(doc.as_object(), "prefixes");
  if (prefixes == nullptr || !prefixes->is_array())
    return fail("expected \"prefixes\": an array of {\"ipv4Prefix\"|\"ipv6Prefix\": CIDR}");
  core::IpRangeSet::Builder builder;
  uint64_t entries = 0;
  size_t index = 0;
  for (const json::value& p : prefixes->as_array()) {
    if (++entries > max_entries) {
      feeds::Compiled c;
      c.data = std::make_shared<int>(0);
      c.entries = entries;  // the caller reports "over the limit"
      return c;
    }
    if (!p.is_object()) return fail("prefixes[" + std::to_string(index) + "] is not an object");
    const json::object& o = p.as_object();
    const json::value* v4 = member(o, "ipv4Prefix");
    const json::value* v6 = member(o, "ipv6Prefix");
    const json::value* v = v4 != nullptr ? v4 : v6;
    if (v == nullptr || (v4 != nullptr && v6 != nullptr) || !v->is_string())
      return fail("prefixes[" + std::to_string(index) +
                  "]: expected one ipv4Prefix or ipv6Prefix string");
    std::string_view cidr_text(v->as_string().data(), v->as_string().size());
    auto cidr = core::Cidr::parse(cidr_text);
    bool family_ok = cidr && (v4 != nullptr) == (cidr_text.find(':') == std::string_view::npos);
    if (!family_ok)
      return fail("prefixes[" + std::to_string(index) + "]: \"" +
                  std::string(cidr_text.substr(0, 64)) + "\" is not a valid " +
                  (v4 != nullptr ? "IPv4" : "IPv6") + " prefix");
    builder.add(*cidr);
    ++index;
  }
  feeds::Compiled c;
  c.entries = entries;
  c.data = std::make_shared<const core::IpRangeSet>(std::move(builder).build());
  return c;
}

std::string ed25519_thumbprint(std::string_view x) {
  std::string canonical = "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"";
  canonical += x;
  canonical += "\"}";
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(canonical.data()), canonical.size(), digest);
  return base64url_encode(digest);
}

feeds::Compiled compile_jwks(std::string_view text, uint64_t max_entries) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return fail("not JSON: " + ec.message());
  if (!doc.is_object()) return fail("expected a JWKS object with \"keys\"");
  const json::value* keys = member(doc.as_object(), "keys");
  if (keys == nullptr || !keys->is_array()) return fail("expected \"keys\": an array of JWKs");
  auto out = std::make_shared<PublicKeys>();
  uint64_t entries = 0;
  size_t index = 0;
  for (const json::value& k : keys->as_array()) {
    std::string where = "keys[" + std::to_string(index++) + "]";
    if (++entries > max_entries) {
      feeds::Compiled c;
      c.data = out;
      c.entries = entries;
      return c;
    }
    if (!k.is_object()) return fail(where + " is not an object");
    const json::object& o = k.as_object();
    const json::value* kty = member(o, "kty");
    const json::value* crv = member(o, "crv");
    const json::value* x = member(o, "x");
    if (kty == nullptr || !kty->is_string() || kty->as_string() != "OKP" || crv == nullptr ||
        !crv->is_string() || crv->as_string() != "Ed25519")
      return fail(where + ": only {\"kty\":\"OKP\",\"crv\":\"Ed25519\"} keys are supported");
    if (x == nullptr || !x->is_string()) return fail(where + ": missing \"x\"");
    std::string_view x_text(x->as_string().data(), x->as_string().size());
    uint8_t raw[32];
    auto n = base64url_decode(x_text, raw);
    if (!n || *n != sizeof raw)
      return fail(where + ": \"x\" is not a base64url Ed25519 public key");
    EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw, sizeof raw);
    if (pkey == nullptr) return fail(where + ": not a usable Ed25519 public key");
    out->by_thumbprint[ed25519_thumbprint(x_text)].reset(pkey);
  }
  feeds::Compiled c;
  c.entries = entries;
  c.data = std::move(out);
  return c;
}

}  // namespace rampart::modules::bot
