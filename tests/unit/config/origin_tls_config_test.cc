// TLS to origins in the config: a pool's `tls:` and a site's inline `origin: tls:`,
// their defaults, pins in hex and base64, and the errors at the offending key (verify
// turned off without saying insecure, contradictions, half a client certificate).

#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "config/value_parsers.h"
#include "config_test_util.h"

namespace rampart::config {
namespace {

using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::load;
using testing::yaml;

// SHA-256 of "x" in the three spellings a user may paste.
constexpr char kPinHex[] = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";
constexpr char kPinHexColons[] =
    "2D:71:16:42:B7:26:B0:44:01:62:7C:A9:FB:AC:32:F5:C8:53:0F:B1:90:3C:C4:DB:02:25:87:17:92:1A:"
    "48:81";
constexpr char kPinBase64[] = "LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=";

std::string raw_pin() {
  std::string out;
  std::string hex = kPinHex;
  for (size_t i = 0; i < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

TEST(OriginTlsConfigTest, PoolWithoutTlsIsPlain) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:9000]}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_FALSE(r.config->pools[0].tls);
}

TEST(OriginTlsConfigTest, DefaultsOfAnEmptyTlsMap) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [origin.example:443]
    tls: {}
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const Pool& p = r.config->pools[0];
  ASSERT_TRUE(p.tls);
  EXPECT_TRUE(p.tls->verify);
  EXPECT_FALSE(p.tls->insecure);
  EXPECT_TRUE(p.tls->ca.empty());   // the system store
  EXPECT_TRUE(p.tls->sni.empty());  // the endpoint's name
  EXPECT_TRUE(p.tls->pins_sha256.empty());
  EXPECT_EQ(p.tls->min_version, TlsVersion::kTls12);
  EXPECT_EQ(p.tls->line, 5);
}

TEST(OriginTlsConfigTest, AllKeys) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:8443]
    tls:
      ca: /etc/rampart/origin-ca.pem
      sni: Origin.Example
      pin_sha256: [LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=,
                   2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881]
      cert: /etc/rampart/client.pem
      key: /etc/rampart/client.key
      min_version: "1.3"
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const OriginTls& t = *r.config->pools[0].tls;
  EXPECT_EQ(t.ca, "/etc/rampart/origin-ca.pem");
  EXPECT_EQ(t.ca_line, 6);
  EXPECT_EQ(t.sni, "origin.example");
  ASSERT_EQ(t.pins_sha256.size(), 2u);
  EXPECT_EQ(t.pins_sha256[0], raw_pin());
  EXPECT_EQ(t.pins_sha256[1], raw_pin());
  EXPECT_EQ(t.cert, "/etc/rampart/client.pem");
  EXPECT_EQ(t.key, "/etc/rampart/client.key");
  EXPECT_EQ(t.cert_line, 10);
  EXPECT_EQ(t.key_line, 11);
  EXPECT_EQ(t.min_version, TlsVersion::kTls13);
  EXPECT_TRUE(t.verify);
}

TEST(OriginTlsConfigTest, InlineOriginTakesTls) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
sites:
  - name: s
    hosts: [s.example]
    origin:
      endpoints: [127.0.0.1:8443]
      tls: {insecure: true}
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->pools.size(), 1u);
  const Pool& p = r.config->pools[0];
  ASSERT_TRUE(p.tls);
  EXPECT_TRUE(p.tls->insecure);
  EXPECT_FALSE(p.tls->verify);
}

TEST(OriginTlsConfigTest, TlsOnANamedPoolReferenceIsRefused) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools: {web: {endpoints: [127.0.0.1:9000]}}
sites:
  - name: s
    hosts: [s.example]
    origin:
      pool: web
      tls: {}
)"));
  EXPECT_TRUE(has_error_at(r, 8, 12, "tls goes with the endpoints shorthand")) << all_errors(r);
}

TEST(OriginTlsConfigTest, OnePinMayBeWrittenWithoutAList) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:8443]
    tls: {pin_sha256: "sha256/LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=", verify: false}
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const OriginTls& t = *r.config->pools[0].tls;
  ASSERT_EQ(t.pins_sha256.size(), 1u);
  EXPECT_EQ(t.pins_sha256[0], raw_pin());
  // Pinned: turning chain verification off needs no insecure switch.
  EXPECT_FALSE(t.verify);
  EXPECT_FALSE(t.insecure);
}

TEST(OriginTlsConfigTest, VerifyFalseWithoutPinsNeedsInsecure) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:8443]
    tls:
      verify: false
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  EXPECT_TRUE(has_error_at(r, 6, 15, "write insecure: true")) << all_errors(r);
}

TEST(OriginTlsConfigTest, VerifyTrueContradictsInsecure) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:8443]
    tls:
      insecure: true
      verify: true
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  EXPECT_TRUE(has_error_at(r, 7, 15, "contradicts insecure")) << all_errors(r);
}

TEST(OriginTlsConfigTest, BadValuesAreErrorsAtTheirKey) {
  auto r = load(yaml(R"(
listeners: [{address: 127.0.0.1:8080}]
pools:
  web:
    endpoints: [127.0.0.1:8443]
    tls:
      pin_sha256: [abcd, LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=]
      sni: 10.0.0.1
      min_version: "1.1"
      ca: ""
      bogus: 1
  other:
    endpoints: [127.0.0.1:8444]
    tls: {cert: /c.pem}
sites: [{name: s, hosts: [s.example], origin: {pool: web}}]
)"));
  EXPECT_TRUE(has_error_at(r, 6, 20, "SHA-256 digest")) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 7, 12, "IP addresses cannot be")) << all_errors(r);
  EXPECT_NE(find_error(r, "1.1"), nullptr) << all_errors(r);
  EXPECT_TRUE(has_error_at(r, 9, 11, "empty string")) << all_errors(r);
  EXPECT_NE(find_error(r, "bogus"), nullptr) << all_errors(r);
  EXPECT_NE(find_error(r, "private key of the client certificate"), nullptr) << all_errors(r);
}

TEST(OriginTlsConfigTest, PinParserSpellings) {
  auto hex = parse_sha256_pin(kPinHex);
  auto colons = parse_sha256_pin(kPinHexColons);
  auto b64 = parse_sha256_pin(kPinBase64);
  ASSERT_TRUE(hex && colons && b64);
  EXPECT_EQ(*hex.value, raw_pin());
  EXPECT_EQ(*colons.value, raw_pin());
  EXPECT_EQ(*b64.value, raw_pin());
  EXPECT_FALSE(parse_sha256_pin(""));
  EXPECT_FALSE(parse_sha256_pin(std::string(kPinHex).substr(2)));           // 31 bytes
  EXPECT_FALSE(parse_sha256_pin(std::string(kPinHex).replace(0, 1, "g")));  // not hex
  EXPECT_FALSE(parse_sha256_pin(std::string(kPinBase64).replace(3, 1, "*")));
  // The last base64 digit carries 2 bits too many; a non-zero remainder is a typo.
  EXPECT_FALSE(parse_sha256_pin(std::string(kPinBase64).replace(42, 1, "F")));
}

}  // namespace
}  // namespace rampart::config
