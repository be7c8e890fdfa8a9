#include "cache/ttl_policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "cache/storability.h"
#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

struct EdgeRow {
  std::string_view what;
  EdgePolicy policy;
  int64_t origin_lifetime;
  bool origin_explicit;
  bool store;
  int64_t lifetime;
  bool overridden;
};

TEST(TtlPolicy, EdgeTable) {
  using M = EdgeMode;
  const EdgeRow rows[] = {
      {"respect: the origin's lifetime", {M::kRespectOrigin, 600, {}}, 60, true, true, 60, false},
      {"respect: the default when the origin gives none",
       {M::kRespectOrigin, 600, {}},
       0,
       false,
       true,
       600,
       true},
      {"respect without default: as without rules",
       {M::kRespectOrigin, {}, {}},
       0,
       false,
       true,
       0,
       false},
      {"respect: an explicit max-age=0 is the origin's word",
       {M::kRespectOrigin, 600, {}},
       0,
       true,
       true,
       0,
       false},
      {"override: the default whatever the origin says",
       {M::kOverrideOrigin, 3600, {}},
       60,
       true,
       true,
       3600,
       true},
      {"override with 0: not stored", {M::kOverrideOrigin, 0, {}}, 60, true, false, 0, true},
      {"bypass_by_default: the origin's lifetime",
       {M::kBypassByDefault, {}, {}},
       60,
       true,
       true,
       60,
       false},
      {"bypass_by_default: not stored without one",
       {M::kBypassByDefault, {}, {}},
       10,
       false,
       false,
       0,
       false},
      {"status entry wins over the mode", {M::kOverrideOrigin, 3600, 60}, 0, false, true, 60, true},
      {"status entry of 0: not stored", {M::kRespectOrigin, {}, 0}, 600, true, false, 0, true},
  };
  for (const EdgeRow& row : rows) {
    Freshness f;
    f.lifetime = row.origin_lifetime;
    EdgeDecision d = resolve_edge_ttl(row.policy, f, row.origin_explicit);
    EXPECT_EQ(d.store, row.store) << row.what;
    if (d.store) EXPECT_EQ(d.lifetime, row.lifetime) << row.what;
    EXPECT_EQ(d.overridden, row.overridden) << row.what;
    if (!d.store) EXPECT_FALSE(d.reason.empty()) << row.what;
  }
}

TEST(TtlPolicy, OriginGivesLifetime) {
  EXPECT_TRUE(origin_gives_lifetime(Headers{{"Cache-Control", "max-age=0"}}, nullptr));
  EXPECT_TRUE(origin_gives_lifetime(Headers{{"Cache-Control", "public, s-maxage=5"}}, nullptr));
  EXPECT_TRUE(
      origin_gives_lifetime(Headers{{"Expires", "Thu, 01 Jan 1970 00:00:00 GMT"}}, nullptr));
  EXPECT_FALSE(origin_gives_lifetime(Headers{{"Cache-Control", "public"}}, nullptr));
  EXPECT_FALSE(
      origin_gives_lifetime(Headers{{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}, nullptr));
  Headers cdn_headers = {{"CDN-Cache-Control", "no-store"}, {"Cache-Control", "max-age=60"}};
  auto cdn = cdn_override_of(cdn_headers);
  ASSERT_TRUE(cdn);
  // CDN-Cache-Control replaces Cache-Control for the edge entirely.
  EXPECT_FALSE(origin_gives_lifetime(cdn_headers, &*cdn));
}

// A lifetime from a rule stands in for the origin's, and nothing else: what keeps a
// response private stays in force.
TEST(TtlPolicy, RuleLifetimeMakesAResponseStorableOnlyForLackOfFreshness) {
  StoreOptions from_rule;
  from_rule.lifetime_from_rule = true;
  Headers none = {{"Content-Type", "text/html"}};
  EXPECT_EQ(check_storable("GET", {}, 500, none).reason, "no-freshness");
  EXPECT_TRUE(check_storable("GET", {}, 500, none, nullptr, from_rule).storable);
  Headers priv = {{"Cache-Control", "private"}};
  EXPECT_EQ(check_storable("GET", {}, 200, priv, nullptr, from_rule).reason, "private");
  Headers no_store = {{"Cache-Control", "no-store"}};
  EXPECT_EQ(check_storable("GET", {}, 200, no_store, nullptr, from_rule).reason, "no-store");
  Headers cookie = {{"Set-Cookie", "sid=1"}};
  EXPECT_EQ(check_storable("GET", {}, 200, cookie, nullptr, from_rule).reason, "set-cookie");
}

struct BrowserRow {
  std::string_view what;
  BrowserMode mode;
  int64_t seconds;
  int status;
  Headers headers;
  std::optional<std::string> sent;
};

TEST(TtlPolicy, BrowserTable) {
  using M = BrowserMode;
  const BrowserRow rows[] = {
      {"respect: untouched", M::kRespectOrigin, 0, 200, {{"Cache-Control", "max-age=5"}}, {}},
      {"override",
       M::kOverrideOrigin,
       600,
       200,
       {{"Cache-Control", "s-maxage=86400"}},
       "max-age=600"},
      {"override without origin field", M::kOverrideOrigin, 60, 404, {}, "max-age=60"},
      {"override keeps private and no-transform",
       M::kOverrideOrigin,
       60,
       200,
       {{"Cache-Control", "private, no-transform, max-age=1"}},
       "private, max-age=60, no-transform"},
      {"override leaves an origin's no-store",
       M::kOverrideOrigin,
       60,
       200,
       {{"Cache-Control", "no-store"}},
       {}},
      {"override leaves a 5xx alone", M::kOverrideOrigin, 60, 503, {}, {}},
      {"bypass", M::kBypass, 0, 200, {{"Cache-Control", "max-age=600"}}, "no-store"},
  };
  for (const BrowserRow& row : rows) {
    EXPECT_EQ(browser_cache_control(row.mode, row.seconds, row.status, row.headers), row.sent)
        << row.what;
  }
}

}  // namespace
}  // namespace rampart::cache
