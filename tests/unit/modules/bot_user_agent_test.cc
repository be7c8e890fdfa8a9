// The per-thread memory of User-Agent readings (user_agent_facts): whatever it has seen
// before, it answers exactly what the uncached classification would.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "modules/bot/clearance.h"
#include "modules/bot/score_signals.h"
#include "modules/bot/user_agent.h"

namespace rampart::modules::bot {
namespace {

void expect_uncached(std::string_view ua) {
  UaFacts facts = user_agent_facts(ua);
  UaInfo info = classify_user_agent(ua);
  EXPECT_EQ(facts.info.kind, info.kind) << ua;
  EXPECT_EQ(facts.info.major, info.major) << ua;
  EXPECT_EQ(facts.info.headless, info.headless) << ua;
  EXPECT_EQ(facts.family, ua_family(ua)) << ua;
}

TEST(BotUserAgentFacts, SameBufferNewUserAgentGetsItsOwnReading) {
  // A connection's read buffer holds the next request's User-Agent at the same address
  // and, here, with the same length.
  std::string curl = "curl/8.5.0 (x86_64-pc-linux-gnu) libcurl/8.5.0 OpenSSL/3.0.13 zlib/1.3";
  std::string firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
  ASSERT_EQ(curl.size(), firefox.size());
  std::vector<char> buffer(curl.begin(), curl.end());
  std::string_view ua(buffer.data(), buffer.size());
  UaFacts first = user_agent_facts(ua);
  EXPECT_EQ(first.info.kind, UaKind::kAutomation);
  EXPECT_EQ(first.family, "curl");
  std::copy(firefox.begin(), firefox.end(), buffer.begin());
  UaFacts second = user_agent_facts(ua);
  EXPECT_EQ(second.info.kind, UaKind::kFirefox);
  EXPECT_EQ(second.info.major, 128);
  EXPECT_EQ(second.family, "firefox");
  std::copy(curl.begin(), curl.end(), buffer.begin());
  EXPECT_EQ(user_agent_facts(ua).family, "curl");
}

TEST(BotUserAgentFacts, ManyInterleavedUserAgentsMatchTheUncachedReading) {
  // More distinct User-Agents than the memory holds, seen in turn several times, so
  // every kind of entry is stored, found again and evicted by another.
  std::vector<std::string> uas;
  for (int v = 60; v < 200; ++v) {
    uas.push_back("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/" +
                  std::to_string(v) + ".0.0.0 Safari/537.36");
    uas.push_back("Mozilla/5.0 (X11; Linux x86_64; rv:" + std::to_string(v) +
                  ".0) Gecko/20100101 Firefox/" + std::to_string(v) + ".0");
    uas.push_back("MyApp/" + std::to_string(v) + " (iOS)");
    uas.push_back("python-requests/2." + std::to_string(v));
  }
  uas.push_back(
      "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 "
      "Edg/131.0");
  uas.push_back("Mozilla/5.0 (X11) HeadlessChrome/156.0 Safari/537");
  uas.push_back(" leading space/1.0");
  uas.push_back(std::string(300, 'a') + " Firefox/1");  // longer than what is kept
  for (int round = 0; round < 3; ++round) {
    for (const std::string& ua : uas) {
      expect_uncached(ua);
      // A copy elsewhere in memory: the family must view the caller's text.
      std::string copy = ua;
      UaFacts facts = user_agent_facts(copy);
      std::string_view own = ua_family(ua);
      if (own.data() == ua.data()) EXPECT_EQ(facts.family.data(), copy.data()) << ua;
    }
  }
  expect_uncached("");
}

}  // namespace
}  // namespace rampart::modules::bot
