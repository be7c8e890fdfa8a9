// The DDoS detector with an injected clock and synthetic traffic: the baseline it
// learns, an attack's onset, the fingerprint it finds and the rule it writes, what the
// rule matches, and the withdrawal once the attack subsides.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/message.h"
#include "modules/ddos/detector.h"
#include "modules/ddos/rule_synth.h"
#include "rules/request.h"

namespace {

using rampart::config::DdosSensitivity;
using rampart::config::RuleAction;
using namespace rampart::modules::ddos;

struct Req {
  std::string method = "GET";
  std::string path = "/";
  std::string ua = "Mozilla/5.0";
  std::string ip = "192.0.2.10";
};

// What the module records for a request, and what a rule sees of it.
class Traffic {
 public:
  explicit Traffic(SiteDetector& d) : d_(d) {}

  // One request: mitigated (counted by the rule that matched) or observed.
  bool send(const Req& r) {
    rampart::http::RequestHead head;
    head.method = r.method;
    head.path = r.path;
    head.target = r.path;
    if (!r.ua.empty()) head.headers.push_back({"User-Agent", r.ua});
    rampart::rules::Request facts;
    facts.head = &head;
    facts.client_ip = *rampart::core::IpAddress::parse(r.ip);
    if (d_.has_mitigations()) {
      if (Mitigation* m = d_.match(facts)) {
        m->matched.fetch_add(1);
        ++mitigated;
        return true;
      }
    }
    std::array<char, 48> buf;
    Sample s;
    s.values[static_cast<size_t>(Dim::kUserAgent)] = r.ua;
    s.values[static_cast<size_t>(Dim::kPath)] = r.path;
    s.values[static_cast<size_t>(Dim::kMethod)] = r.method;
    s.values[static_cast<size_t>(Dim::kPrefix)] = client_prefix(facts.client_ip, buf);
    d_.observe(s);
    ++passed;
    return false;
  }

  // `n` legitimate requests: four browsers, five pages, clients from 198.51.100.0/22.
  void legit(int n) {
    static const char* kUas[] = {"Mozilla/5.0 (X11)", "Mozilla/5.0 (Mac)", "Mozilla/5.0 (Win)",
                                 "curl/8.0"};
    static const char* kPaths[] = {"/", "/news", "/about", "/shop", "/cart"};
    for (int i = 0; i < n; ++i, ++k_) {
      Req r;
      r.ua = kUas[k_ % 4];
      r.path = kPaths[(k_ / 4) % 5];
      r.ip = "198.51." + std::to_string(100 + k_ % 4) + "." + std::to_string(1 + k_ % 200);
      legit_mitigated += send(r) ? 1 : 0;
    }
  }

  // `n` attack requests with one fingerprint from thousands of addresses.
  void attack(int n, const std::string& ua, const std::string& path) {
    for (int i = 0; i < n; ++i, ++a_) {
      Req r;
      r.ua = ua;
      r.path = path;
      r.ip = "203.0." + std::to_string(a_ % 64) + "." + std::to_string(1 + (a_ / 64) % 250);
      attack_mitigated += send(r) ? 1 : 0;
    }
  }

  long passed = 0, mitigated = 0, legit_mitigated = 0, attack_mitigated = 0;

 private:
  SiteDetector& d_;
  long k_ = 0, a_ = 0;
};

Settings fast_settings() {
  Settings s;
  s.sensitivity = DdosSensitivity::kMedium;
  s.min_rate = 20;
  s.learning_period_ms = 10'000;
  s.baseline_window_ms = 20'000;
  s.withdraw_after_ms = 5'000;
  return s;
}

// A detector that has seen `seconds` of 100 legitimate requests per second.
struct Scenario {
  explicit Scenario(Settings s = fast_settings(), int seconds = 15) : d("shop"), t(d) {
    d.configure(s);
    d.advance(now);
    for (int i = 0; i < seconds; ++i) second([&] { t.legit(100); });
  }
  template <typename F>
  void second(F&& traffic) {
    traffic();
    now += 1000;
    d.advance(now);
  }
  SiteDetector d;
  Traffic t;
  int64_t now = 1'000'000;
};

TEST(DdosDetector, LearnsTheBaselineAndStaysQuietOnNormalTraffic) {
  Scenario s;
  EXPECT_NEAR(s.d.baseline_rate(), 100, 1);
  // Ordinary ups and downs (up to twice the rate) are not an attack.
  for (int i = 0; i < 10; ++i) s.second([&] { s.t.legit(i % 2 ? 200 : 60); });
  EXPECT_EQ(s.d.active_count(), 0u);
  EXPECT_EQ(s.d.mitigations_started(), 0u);
  EXPECT_EQ(s.t.mitigated, 0);
}

TEST(DdosDetector, FindsTheAttackFingerprintExactlyAndBlocksOnlyIt) {
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, "EvilBot/2.1", "/search");
  });
  ASSERT_EQ(s.d.active_count(), 1u);
  EXPECT_EQ(s.d.active_rules(), std::vector<std::string>{R"(http.user_agent eq "EvilBot/2.1" and )"
                                                         R"(http.request.uri.path eq "/search")"});
  // Both values were never seen before: a high-confidence signature, blocked.
  std::string json = s.d.to_json(s.now);
  EXPECT_NE(json.find(R"("action":"block","confidence":"high")"), std::string::npos) << json;

  long legit_before = s.t.legit_mitigated;
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, "EvilBot/2.1", "/search");
  });
  EXPECT_EQ(s.t.attack_mitigated, 3000);         // every attack request of the next second
  EXPECT_EQ(s.t.legit_mitigated, legit_before);  // and no visitor
  Traffic probe(s.d);
  EXPECT_FALSE(probe.send({"GET", "/search", "Mozilla/5.0 (X11)", "198.51.100.7"}));
  EXPECT_FALSE(probe.send({"GET", "/", "EvilBot/2.1", "203.0.1.1"}));
  EXPECT_TRUE(probe.send({"GET", "/search", "EvilBot/2.1", "192.0.2.99"}));
}

TEST(DdosDetector, WithdrawsTheMitigationWhenTheAttackSubsides) {
  Scenario s;
  for (int i = 0; i < 4; ++i) {
    s.second([&] {
      s.t.legit(100);
      s.t.attack(2000, "EvilBot/2.1", "/search");
    });
  }
  ASSERT_EQ(s.d.active_count(), 1u);
  // The attack stops; the mitigation stays for withdraw_after (5 s) of calm, then goes.
  for (int i = 0; i < 4; ++i) s.second([&] { s.t.legit(100); });
  EXPECT_EQ(s.d.active_count(), 1u);
  for (int i = 0; i < 3; ++i) s.second([&] { s.t.legit(100); });
  EXPECT_EQ(s.d.active_count(), 0u);
  std::string json = s.d.to_json(s.now);
  EXPECT_NE(json.find(R"("mitigations":[])"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("withdrawn":[{"id":"ddos-shop-1")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("requests_mitigated":6000)"), std::string::npos) << json;
  // Withdrawn means the traffic passes again.
  Traffic probe(s.d);
  EXPECT_FALSE(probe.send({"GET", "/search", "EvilBot/2.1", "203.0.1.1"}));
  // The attack did not become the baseline.
  EXPECT_LT(s.d.baseline_rate(), 150);
}

TEST(DdosDetector, AnAttackThatKeepsGoingKeepsItsMitigation) {
  Scenario s;
  for (int i = 0; i < 12; ++i) {
    s.second([&] {
      s.t.legit(100);
      s.t.attack(1000, "EvilBot/2.1", "/search");
    });
  }
  EXPECT_EQ(s.d.active_count(), 1u);
  EXPECT_EQ(s.d.mitigations_started(), 1u);
}

TEST(DdosDetector, FamiliarValuesInTheFingerprintAreChallengedNotBlocked) {
  // The attack uses a page visitors use too, with a new user agent: both are
  // over-represented, so the rule names both, but a familiar value is no proof.
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    s.t.attack(2000, "python-requests/2.31", "/news");
  });
  ASSERT_EQ(s.d.active_count(), 1u);
  EXPECT_EQ(s.d.active_rules(),
            std::vector<std::string>{R"(http.user_agent eq "python-requests/2.31" and )"
                                     R"(http.request.uri.path eq "/news")"});
  std::string json = s.d.to_json(s.now);
  EXPECT_NE(json.find(R"("action":"challenge","confidence":"normal")"), std::string::npos) << json;
  Traffic probe(s.d);
  EXPECT_FALSE(probe.send({"GET", "/news", "Mozilla/5.0 (Mac)", "198.51.100.9"}));
}

TEST(DdosDetector, AConcentratedNetworkBecomesAPrefixInTheRule) {
  // Visitors' own browser and page, but all from one /24 nobody used before.
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    for (int i = 0; i < 2000; ++i) {
      s.t.send({"GET", "/", "Mozilla/5.0 (X11)", "192.0.2." + std::to_string(1 + i % 250)});
    }
  });
  ASSERT_EQ(s.d.active_count(), 1u);
  EXPECT_EQ(s.d.active_rules(),
            std::vector<std::string>{"http.user_agent eq \"Mozilla/5.0 (X11)\" and "
                                     R"(http.request.uri.path eq "/" and )"
                                     R"(ip.src in {192.0.2.0/24})"});
  // The same browser on the same page from the visitors' networks passes.
  Traffic probe(s.d);
  EXPECT_FALSE(probe.send({"GET", "/", "Mozilla/5.0 (X11)", "198.51.100.9"}));
  EXPECT_TRUE(probe.send({"GET", "/", "Mozilla/5.0 (X11)", "192.0.2.77"}));
}

TEST(DdosDetector, NoFingerprintNoRule) {
  // Every request different: a flood, but nothing to write a rule on.
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    for (int i = 0; i < 2000; ++i) {
      s.t.send({"GET", "/p" + std::to_string(i), "agent-" + std::to_string(i),
                "10." + std::to_string(i % 200) + "." + std::to_string(i / 200) + ".1"});
    }
  });
  EXPECT_EQ(s.d.active_count(), 0u);
}

TEST(DdosDetector, NothingIsDetectedWhileLearning) {
  Scenario s(fast_settings(), 3);  // learning_period is 10 s
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, "EvilBot/2.1", "/search");
  });
  EXPECT_EQ(s.d.active_count(), 0u);
}

TEST(DdosDetector, SensitivitySetsTheRateThatCounts) {
  auto spike = [](DdosSensitivity level) {
    Settings st = fast_settings();
    st.sensitivity = level;
    Scenario s(st);
    s.second([&] {
      s.t.legit(100);
      s.t.attack(500, "EvilBot/2.1", "/search");  // 6x the baseline
    });
    return s.d.active_count();
  };
  EXPECT_EQ(spike(DdosSensitivity::kHigh), 1u);
  EXPECT_EQ(spike(DdosSensitivity::kMedium), 1u);
  EXPECT_EQ(spike(DdosSensitivity::kLow), 0u);
  EXPECT_EQ(spike(DdosSensitivity::kOff), 0u);
}

TEST(DdosDetector, MinRateIsAFloor) {
  Settings st = fast_settings();
  st.min_rate = 5000;
  Scenario s(st);
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, "EvilBot/2.1", "/search");
  });
  EXPECT_EQ(s.d.active_count(), 0u);
}

TEST(DdosDetector, ConfiguredActionAppliesWhenNotEscalated) {
  Settings st = fast_settings();
  st.action = RuleAction::kManagedChallenge;
  st.block_high_confidence = false;
  Scenario s(st);
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, "EvilBot/2.1", "/search");
  });
  std::string json = s.d.to_json(s.now);
  EXPECT_NE(json.find(R"("action":"managed_challenge","confidence":"high")"), std::string::npos)
      << json;
}

TEST(DdosDetector, HostileValuesBecomeExactLiterals) {
  // Quotes, backslashes, control and non-UTF-8 bytes in the attacker's user agent end up
  // as a literal that matches exactly that value, not a broken or wider rule.
  std::string ua = "a\"b\\c\x01\xff or true";
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, ua, "/search");
  });
  ASSERT_EQ(s.d.active_count(), 1u);
  Traffic probe(s.d);
  EXPECT_TRUE(probe.send({"GET", "/search", ua, "203.0.9.9"}));
  EXPECT_FALSE(probe.send({"GET", "/search", "a\"b\\c", "203.0.9.9"}));
  EXPECT_FALSE(probe.send({"GET", "/search", "Mozilla/5.0 (X11)", "203.0.9.9"}));
}

TEST(DdosDetector, ALongValueIsMatchedByItsPrefix) {
  std::string ua(300, 'x');
  Scenario s;
  s.second([&] {
    s.t.legit(100);
    s.t.attack(3000, ua, "/search");
  });
  ASSERT_EQ(s.d.active_count(), 1u);
  EXPECT_EQ(s.d.active_rules()[0].rfind("starts_with(http.user_agent, \"xxx", 0), 0u);
  Traffic probe(s.d);
  EXPECT_TRUE(probe.send({"GET", "/search", ua + "yz", "203.0.9.9"}));
}

TEST(DdosDetector, TopKStaysBoundedAndKeepsTheHeavyHitter) {
  TopK<kMergedCapacity> top;
  for (int i = 0; i < 200'000; ++i) {
    std::string v = i % 3 == 0 ? std::string("heavy") : "v" + std::to_string(i);
    top.add(v, hash_value(v));
  }
  EXPECT_LE(top.size(), kMergedCapacity);
  ASSERT_TRUE(top.top().has_value());
  EXPECT_EQ(top.top()->value, "heavy");
  EXPECT_GE(top.top()->count, 66'667u);
}

TEST(DdosRuleSynth, WritesEachAttributeAsItsField) {
  std::vector<FingerprintPart> parts = {
      {Dim::kUserAgent, "x\"y", false, 0},
      {Dim::kPath, "/a", false, 0},
      {Dim::kMethod, "POST", false, 0},
      {Dim::kJa4, "t13d1516h2_8daaf6152771_e5627efa2ab1", false, 0},
      {Dim::kPrefix, "10.1.2.0/24", false, 0}};
  std::string text = rule_text(parts);
  EXPECT_EQ(
      text,
      R"(http.user_agent eq "x\"y" and http.request.uri.path eq "/a" and )"
      R"(http.request.method eq "POST" and tls.ja4 eq "t13d1516h2_8daaf6152771_e5627efa2ab1" )"
      R"(and ip.src in {10.1.2.0/24})");
  Mitigation m;
  std::string error;
  EXPECT_TRUE(compile_rule(text, m, error)) << error;
}

}  // namespace

namespace {

TEST(DdosDetector, ClientPrefixIsTheSlash24OrSlash64) {
  std::array<char, 48> buf;
  auto prefix = [&](const char* ip) {
    return std::string(client_prefix(*rampart::core::IpAddress::parse(ip), buf));
  };
  EXPECT_EQ(prefix("10.0.5.77"), "10.0.5.0/24");
  EXPECT_EQ(prefix("255.199.100.1"), "255.199.100.0/24");
  EXPECT_EQ(prefix("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::/64");
}

}  // namespace
