#include "modules/bot/clearance.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::modules::bot {
namespace {

const char kChromeUa[] =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
    "Safari/537.36";
const char kFirefoxUa[] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

KeySpec spec(uint8_t kid, char fill) {
  return {kid, std::string(32, fill)};
}

core::IpAddress ip(const char* text) {
  return *core::IpAddress::parse(text);
}

struct BotClearance : ::testing::Test {
  std::vector<KeySpec> specs{spec(1, 'a')};
  KeyRing ring{specs};
  Binding binding{ua_family(kChromeUa), "t13d1516h2_8daaf6152771_02713d6af862"};
  uint32_t net = network_hint(ip("192.0.2.10"));
  const int64_t now = 1'800'000'000;

  std::string token(Level level = Level::kFull, uint32_t lifetime = 1800) {
    IssueParams p;
    p.level = level;
    p.now = now;
    p.lifetime = lifetime;
    p.binding = binding;
    p.network = net;
    p.id = {1, 2, 3, 4, 5, 6, 7, 8};
    return issue_token(ring, p);
  }
};

TEST_F(BotClearance, FreshTokenIsValidWithItsLevelAndTimes) {
  std::string t = token(Level::kLow, 300);
  ASSERT_EQ(t.size(), kTokenChars);
  TokenInfo info;
  ASSERT_EQ(verify_token(ring, t, binding, net, now + 10, &info), Verdict::kValid);
  EXPECT_EQ(info.level, Level::kLow);
  EXPECT_EQ(info.issued_at, now);
  EXPECT_EQ(info.lifetime, 300u);
  EXPECT_FALSE(info.network_changed);
}

TEST_F(BotClearance, ExpiredTokenIsRefused) {
  std::string t = token(Level::kFull, 60);
  EXPECT_EQ(verify_token(ring, t, binding, net, now + 59), Verdict::kValid);
  EXPECT_EQ(verify_token(ring, t, binding, net, now + 60), Verdict::kExpired);
}

TEST_F(BotClearance, TokenFromTheFutureIsRefused) {
  EXPECT_EQ(verify_token(ring, token(), binding, net, now - 3600), Verdict::kFuture);
}

TEST_F(BotClearance, AnyChangedCharacterIsRefused) {
  std::string t = token();
  for (size_t i = 0; i < t.size(); ++i) {
    std::string bad = t;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    Verdict v = verify_token(ring, bad, binding, net, now);
    EXPECT_NE(v, Verdict::kValid) << "position " << i;
  }
}

TEST_F(BotClearance, RaisedLevelFailsTheMac) {
  std::string t = token(Level::kLow);
  std::array<uint8_t, kTokenBytes> raw;
  ASSERT_TRUE(base64url_decode(t, raw));
  raw[2] = static_cast<uint8_t>(Level::kFull);
  EXPECT_EQ(verify_token(ring, base64url_encode(raw), binding, net, now), Verdict::kForged);
  raw[2] = static_cast<uint8_t>(Level::kLow);
  raw[16] = 0xff;  // a longer lifetime
  EXPECT_EQ(verify_token(ring, base64url_encode(raw), binding, net, now), Verdict::kForged);
}

TEST_F(BotClearance, TokenSignedWithAnotherSecretIsForged) {
  std::vector<KeySpec> other{spec(1, 'b')};
  KeyRing attacker(other);
  IssueParams p;
  p.now = now;
  p.binding = binding;
  p.network = net;
  EXPECT_EQ(verify_token(ring, issue_token(attacker, p), binding, net, now), Verdict::kForged);
}

TEST_F(BotClearance, ReboundToAnotherBrowserOrTlsStackIsRefused) {
  std::string t = token();
  Binding firefox{ua_family(kFirefoxUa), binding.ja4};
  EXPECT_EQ(verify_token(ring, t, firefox, net, now), Verdict::kRebound);
  Binding other_tls{binding.ua_family, "t13d1715h2_5b57614c22b0_3d5424432f57"};
  EXPECT_EQ(verify_token(ring, t, other_tls, net, now), Verdict::kRebound);
  Binding no_tls{binding.ua_family, ""};
  EXPECT_EQ(verify_token(ring, t, no_tls, net, now), Verdict::kRebound);
}

TEST_F(BotClearance, BrowserUpdateKeepsTheFamily) {
  std::string newer = kChromeUa;
  newer.replace(newer.find("131"), 3, "132");
  Binding updated{ua_family(newer), binding.ja4};
  EXPECT_EQ(verify_token(ring, token(), updated, net, now), Verdict::kValid);
}

TEST_F(BotClearance, NetworkChangeIsOnlyASignal) {
  TokenInfo info;
  EXPECT_EQ(verify_token(ring, token(), binding, network_hint(ip("192.0.2.200")), now, &info),
            Verdict::kValid);
  EXPECT_FALSE(info.network_changed);  // same /24
  EXPECT_EQ(verify_token(ring, token(), binding, network_hint(ip("198.51.100.7")), now, &info),
            Verdict::kValid);
  EXPECT_TRUE(info.network_changed);
}

TEST_F(BotClearance, TokenCopiedToManyNetworksIsRefused) {
  std::string t = token();
  NetworkSpread spread;
  auto use_from = [&](const char* addr) {
    uint32_t n = network_hint(ip(addr));
    TokenInfo info;
    EXPECT_EQ(verify_token(ring, t, binding, n, now, &info), Verdict::kValid);
    return spread.admit(info, n, now);
  };
  EXPECT_TRUE(use_from("192.0.2.10"));  // where it was issued
  EXPECT_TRUE(use_from("198.51.100.1"));
  EXPECT_TRUE(use_from("198.51.100.200"));  // the same /24 again
  EXPECT_TRUE(use_from("203.0.113.1"));
  EXPECT_TRUE(use_from("100.64.0.1"));
  EXPECT_FALSE(use_from("100.64.1.1"));   // a fourth other network: copied
  EXPECT_TRUE(use_from("198.51.100.7"));  // networks it was already seen from still work
  EXPECT_TRUE(use_from("192.0.2.99"));
}

TEST_F(BotClearance, RotationKeepsOldKeyUntilItIsRemoved) {
  std::string old_token = token();
  std::vector<KeySpec> rotated{spec(2, 'c'), spec(1, 'a')};
  KeyRing next(rotated);
  EXPECT_EQ(next.signing_kid(), 2);
  EXPECT_EQ(verify_token(next, old_token, binding, net, now), Verdict::kValid);
  std::vector<KeySpec> only_new{spec(2, 'c')};
  KeyRing later(only_new);
  EXPECT_EQ(verify_token(later, old_token, binding, net, now), Verdict::kUnknownKey);
}

TEST_F(BotClearance, GarbageIsMalformed) {
  for (std::string_view bad :
       {"", "abc", "not a token at all",
        "====", "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"}) {
    EXPECT_EQ(verify_token(ring, bad, binding, net, now), Verdict::kMalformed) << bad;
  }
  std::string t = token();
  std::array<uint8_t, kTokenBytes> raw;
  ASSERT_TRUE(base64url_decode(t, raw));
  raw[0] = 2;  // a version this code does not know
  EXPECT_EQ(verify_token(ring, base64url_encode(raw), binding, net, now), Verdict::kMalformed);
}

TEST_F(BotClearance, ProcessGeneratedKeysAreStable) {
  auto a = KeyRing::process_generated();
  auto b = KeyRing::process_generated();
  EXPECT_EQ(a.get(), b.get());
  IssueParams p;
  p.now = now;
  p.binding = binding;
  EXPECT_EQ(verify_token(*b, issue_token(*a, p), binding, 0, now), Verdict::kValid);
  EXPECT_EQ(verify_token(ring, issue_token(*a, p), binding, 0, now), Verdict::kUnknownKey);
}

TEST(UaFamily, KnownBrowsersAndTools) {
  EXPECT_EQ(ua_family(kChromeUa), "chrome");
  EXPECT_EQ(ua_family(kFirefoxUa), "firefox");
  EXPECT_EQ(ua_family("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 "
                      "Safari/537.36 Edg/131.0"),
            "edge");
  EXPECT_EQ(ua_family("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605.1.15 "
                      "Version/17.0 Mobile/15E148 Safari/604.1"),
            "safari");
  EXPECT_EQ(ua_family("curl/8.5.0"), "curl");
  EXPECT_EQ(ua_family("python-requests/2.31"), "python-requests");
  EXPECT_EQ(ua_family(""), "none");
}

TEST(Base64Url, RoundTripsAndRefusesNonCanonical) {
  std::vector<uint8_t> bytes = {0, 1, 2, 250, 251, 252, 253};
  for (size_t n = 0; n <= bytes.size(); ++n) {
    std::string enc = base64url_encode({bytes.data(), n});
    std::array<uint8_t, 16> out;
    auto len = base64url_decode(enc, out);
    ASSERT_TRUE(len);
    EXPECT_EQ(*len, n);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.begin() + n, out.begin()));
  }
  std::array<uint8_t, 4> out;
  EXPECT_FALSE(base64url_decode("AB", out));  // trailing bits set: 'B' leaves 1 bit
  EXPECT_TRUE(base64url_decode("AA", out));
  EXPECT_FALSE(base64url_decode("AA+/", out));
}

}  // namespace
}  // namespace rampart::modules::bot
