#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

#include "http/structured_field.h"
#include "modules/bot/bot_feeds.h"
#include "modules/bot/clearance.h"
#include "modules/bot/reverse_dns.h"
#include "modules/bot/web_bot_auth.h"

namespace rampart::modules::bot {
namespace {

core::IpAddress ip(const char* text) {
  return *core::IpAddress::parse(text);
}

TEST(ReverseDnsLogic, SuffixMatchesWholeLabelsOnly) {
  EXPECT_TRUE(host_has_suffix("crawl-66-249-66-1.googlebot.com", "googlebot.com"));
  EXPECT_TRUE(host_has_suffix("Crawl.GoogleBot.COM.", "googlebot.com"));
  EXPECT_TRUE(host_has_suffix("googlebot.com", "googlebot.com"));
  EXPECT_FALSE(host_has_suffix("evilgooglebot.com", "googlebot.com"));
  EXPECT_FALSE(host_has_suffix("googlebot.com.evil.example", "googlebot.com"));
  EXPECT_FALSE(host_has_suffix("", "googlebot.com"));
}

TEST(ReverseDnsLogic, ForwardConfirmationNeedsTheSameAddress) {
  std::string a4("\x42\xf9\x42\x01", 4);  // 66.249.66.1
  EXPECT_TRUE(forward_confirms(ip("66.249.66.1"), {std::string("\x01\x02\x03\x04", 4), a4}));
  EXPECT_FALSE(forward_confirms(ip("66.249.66.2"), {a4}));
  EXPECT_FALSE(forward_confirms(ip("66.249.66.1"), {}));
  std::string a6(16, '\0');
  a6[0] = 0x20;
  a6[1] = 0x01;
  a6[15] = 1;
  EXPECT_TRUE(forward_confirms(ip("2001::1"), {a6}));
  EXPECT_FALSE(forward_confirms(ip("2001::2"), {a6}));
  EXPECT_FALSE(forward_confirms(ip("66.249.66.1"), {a6}));  // families never mix
}

TEST(ReverseDnsLogic, AMissIsPendingAndNeverBlocks) {
  ReverseDnsOptions o;
  o.resolver = "127.0.0.1:9";  // nothing answers: the lookup times out in the background
  o.timeout = std::chrono::milliseconds(400);
  ReverseDns dns(o);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(dns.lookup(ip("192.0.2.1")).status, ReverseDns::Status::kPending);
  EXPECT_EQ(dns.lookup(ip("192.0.2.1")).status, ReverseDns::Status::kPending);
  // Well under one timeout, with room for a busy machine: the lookups never wait on DNS.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  // Then a negative answer is cached.
  for (int i = 0; i < 300 && dns.lookup(ip("192.0.2.1")).status == ReverseDns::Status::kPending;
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(dns.lookup(ip("192.0.2.1")).status, ReverseDns::Status::kFailed);
  EXPECT_EQ(dns.stats().failed, 1u);
}

TEST(BotFeeds, IpRangesInThePublishedFormat) {
  auto c = compile_ip_ranges(
      R"({"creationTime":"2026-01-01T00:00:00","prefixes":[{"ipv4Prefix":"66.249.64.0/27"},)"
      R"({"ipv6Prefix":"2001:4860:4801:10::/64"}]})",
      100);
  ASSERT_TRUE(c.error.empty()) << c.error;
  EXPECT_EQ(c.entries, 2u);
  auto set = std::static_pointer_cast<const core::IpRangeSet>(c.data);
  EXPECT_TRUE(set->contains(ip("66.249.64.31")));
  EXPECT_FALSE(set->contains(ip("66.249.64.32")));
  EXPECT_TRUE(set->contains(ip("2001:4860:4801:10::5")));
}

TEST(BotFeeds, IpRangesRefuseWhatIsNotTheSchema) {
  EXPECT_FALSE(compile_ip_ranges("not json", 10).error.empty());
  EXPECT_FALSE(compile_ip_ranges("[]", 10).error.empty());
  EXPECT_FALSE(compile_ip_ranges(R"({"prefixes":{}})", 10).error.empty());
  EXPECT_FALSE(
      compile_ip_ranges(R"({"prefixes":[{"ipv4Prefix":"2001:db8::/32"}]})", 10).error.empty());
  EXPECT_FALSE(
      compile_ip_ranges(R"({"prefixes":[{"ipv4Prefix":"10.0.0.0/33"}]})", 10).error.empty());
  EXPECT_FALSE(compile_ip_ranges(R"({"prefixes":[{"ipv4Prefix":7}]})", 10).error.empty());
  auto over = compile_ip_ranges(
      R"({"prefixes":[{"ipv4Prefix":"10.0.0.0/8"},{"ipv4Prefix":"11.0.0.0/8"}]})", 1);
  EXPECT_GT(over.entries, 1u);  // stops early; the feed reports it over its limit
}

// RFC 8037 Appendix A.3: the thumbprint of the RFC's Ed25519 example key.
TEST(BotFeeds, JwkThumbprintOfTheRfc8037Key) {
  EXPECT_EQ(ed25519_thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
  auto c = compile_jwks(
      R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]})",
      10);
  ASSERT_TRUE(c.error.empty()) << c.error;
  auto keys = std::static_pointer_cast<const PublicKeys>(c.data);
  EXPECT_EQ(keys->by_thumbprint.count("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"), 1u);
  EXPECT_FALSE(compile_jwks(R"({"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]})", 10).error.empty());
  EXPECT_FALSE(
      compile_jwks(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAA"}]})", 10).error.empty());
}

class WebBotAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EVP_PKEY* k = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
    ASSERT_EQ(EVP_PKEY_keygen_init(ctx), 1);
    ASSERT_EQ(EVP_PKEY_keygen(ctx, &k), 1);
    EVP_PKEY_CTX_free(ctx);
    key_.reset(k);
    uint8_t raw[32];
    size_t len = sizeof raw;
    ASSERT_EQ(EVP_PKEY_get_raw_public_key(k, raw, &len), 1);
    std::string x = base64url_encode(raw);
    keyid_ = ed25519_thumbprint(x);
    auto c = compile_jwks(R"({"keys":[{"kty":"OKP","crv":"Ed25519","x":")" + x + "\"}]}", 10);
    ASSERT_TRUE(c.error.empty()) << c.error;
    keys_ = std::static_pointer_cast<const PublicKeys>(c.data);
  }

  std::string params(int64_t created, int64_t expires) const {
    return R"(("@authority" "signature-agent");created=)" + std::to_string(created) +
           ";expires=" + std::to_string(expires) + ";keyid=\"" + keyid_ +
           "\";alg=\"ed25519\";tag=\"web-bot-auth\"";
  }

  std::string sign(std::string_view message) const {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    EVP_DigestSignInit(md, nullptr, nullptr, nullptr, key_.get());
    uint8_t sig[64];
    size_t len = sizeof sig;
    EVP_DigestSign(md, sig, &len, reinterpret_cast<const uint8_t*>(message.data()), message.size());
    EVP_MD_CTX_free(md);
    std::string out = ":";
    static const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < len; i += 3) {
      uint32_t v = uint32_t{sig[i]} << 16 | (i + 1 < len ? uint32_t{sig[i + 1]} << 8 : 0) |
                   (i + 2 < len ? sig[i + 2] : 0);
      out += kB64[(v >> 18) & 63];
      out += kB64[(v >> 12) & 63];
      out += i + 1 < len ? kB64[(v >> 6) & 63] : '=';
      out += i + 2 < len ? kB64[v & 63] : '=';
    }
    return out + ":";
  }

  SignedRequest request(std::string_view agent) {
    SignedRequest r;
    r.method = "GET";
    r.scheme = "https";
    r.authority = "Example.COM";
    r.path = "/page";
    agent_ = std::string(agent);
    r.header = [this](std::string_view name) -> std::optional<std::string> {
      if (name == "signature-agent" && !agent_.empty()) return agent_;
      return std::nullopt;
    };
    return r;
  }

  struct Deleter {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  std::unique_ptr<EVP_PKEY, Deleter> key_;
  std::string keyid_, agent_;
  std::shared_ptr<const PublicKeys> keys_;
};

TEST_F(WebBotAuthTest, SignatureBaseFollowsRfc9421) {
  SignedRequest r = request("\"https://bot.example\"");
  std::string input = "sig1=" + params(100, 400);
  auto dict = http::sf::parse_dictionary(input);
  ASSERT_TRUE(dict);
  SigVerdict why = SigVerdict::kNone;
  auto base = signature_base((*dict)[0], r, why);
  ASSERT_TRUE(base);
  EXPECT_EQ(*base,
            "\"@authority\": example.com\n"
            "\"signature-agent\": \"https://bot.example\"\n"
            "\"@signature-params\": " +
                params(100, 400));
}

TEST_F(WebBotAuthTest, VerifiesAValidSignatureAndRefusesTampering) {
  const int64_t now = 1'800'000'000;
  SigCheck check{now, 60, 86'400};
  std::string p = params(now - 10, now + 300);
  std::string base =
      "\"@authority\": example.com\n\"signature-agent\": \"https://bot.example\"\n"
      "\"@signature-params\": " +
      p;
  std::string input = "sig1=" + p, signature = "sig1=" + sign(base);

  SignedRequest r = request("\"https://bot.example\"");
  r.signature_input = input;
  r.signature = signature;
  EXPECT_EQ(verify_web_bot_auth(r, *keys_, check).verdict, SigVerdict::kValid);

  SignedRequest other_agent = request("\"https://evil.example\"");
  other_agent.signature_input = input;
  other_agent.signature = signature;
  EXPECT_EQ(verify_web_bot_auth(other_agent, *keys_, check).verdict, SigVerdict::kBadSignature);

  SignedRequest other_host = r;
  other_host.authority = "example.org";
  EXPECT_EQ(verify_web_bot_auth(other_host, *keys_, check).verdict, SigVerdict::kBadSignature);

  SigCheck later{now + 1000, 60, 86'400};
  EXPECT_EQ(verify_web_bot_auth(r, *keys_, later).verdict, SigVerdict::kBadTime);
  SigCheck earlier{now - 1000, 60, 86'400};
  EXPECT_EQ(verify_web_bot_auth(r, *keys_, earlier).verdict, SigVerdict::kBadTime);

  PublicKeys none;
  EXPECT_EQ(verify_web_bot_auth(r, none, check).verdict, SigVerdict::kUnknownKey);

  SignedRequest garbage = r;
  garbage.signature = "sig1=:not base64!:";
  EXPECT_EQ(verify_web_bot_auth(garbage, *keys_, check).verdict, SigVerdict::kMalformed);

  SignedRequest untagged = r;
  std::string no_tag = input.substr(0, input.find(";tag="));
  untagged.signature_input = no_tag;
  EXPECT_EQ(verify_web_bot_auth(untagged, *keys_, check).verdict, SigVerdict::kNone);
}

TEST_F(WebBotAuthTest, TheAgentMustBeCoveredWhenSent) {
  const int64_t now = 1'800'000'000;
  std::string p = "(\"@authority\");created=" + std::to_string(now) +
                  ";expires=" + std::to_string(now + 60) + ";keyid=\"" + keyid_ +
                  "\";tag=\"web-bot-auth\"";
  std::string base = "\"@authority\": example.com\n\"@signature-params\": " + p;
  SignedRequest r = request("\"https://bot.example\"");
  std::string input = "sig1=" + p, signature = "sig1=" + sign(base);
  r.signature_input = input;
  r.signature = signature;
  EXPECT_EQ(verify_web_bot_auth(r, *keys_, {now, 60, 86'400}).verdict, SigVerdict::kNotCovered);
  SignedRequest no_agent = request("");
  no_agent.signature_input = input;
  no_agent.signature = signature;
  EXPECT_EQ(verify_web_bot_auth(no_agent, *keys_, {now, 60, 86'400}).verdict, SigVerdict::kValid);
}

TEST(StructuredFields, ParsesAndReserializesDictionaries) {
  auto d =
      http::sf::parse_dictionary(R"(a=1, b=?0, c=("x" "y";k=tok);p=-1.5, d=:AQID:, e;f="s\"q")");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->size(), 5u);
  std::string out;
  const auto& c = (*d)[2];
  ASSERT_TRUE(c.is_inner_list);
  http::sf::serialize_inner_list(c.inner, c.params, out);
  EXPECT_EQ(out, R"(("x" "y";k=tok);p=-1.5)");
  EXPECT_EQ((*d)[3].item.value.text, std::string("\x01\x02\x03"));
  EXPECT_EQ(http::sf::find_param((*d)[4].item.params, "f")->text, "s\"q");
  for (const char* bad :
       {"a=", "A=1", "a=(1", "a=\"x", "a=1,", "a=:AQI=x:", "a=1;", "a=?2", "a=1.2345", "a=(1)x"}) {
    EXPECT_FALSE(http::sf::parse_dictionary(bad)) << bad;
  }
}

}  // namespace
}  // namespace rampart::modules::bot
