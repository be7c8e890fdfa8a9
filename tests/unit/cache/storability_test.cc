#include "cache/storability.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cache/freshness.h"
#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

struct StoreRow {
  std::string_view section;
  std::string_view method;
  Headers request;
  int status;
  Headers response;
  std::string_view want;  // reason; "ok" when storable
  std::vector<std::string> strip = {};
  StoreOptions options = {};
};

TEST(Storability, RulesTable) {
  StoreOptions cookies;
  cookies.store_set_cookie = true;
  StoreOptions private_cache;
  private_cache.shared_cache = false;
  const Headers fresh = {{"Cache-Control", "max-age=60"}};
  const Headers auth = {{"Authorization", "Bearer x"}};
  std::string many_varied;
  for (int i = 0; i < 17; ++i) many_varied += "x-h" + std::to_string(i) + ",";
  const Headers vary_many = {{"Cache-Control", "max-age=60"}, {"Vary", many_varied}};
  std::string many_directives;
  for (int i = 0; i < 70; ++i) many_directives += "x" + std::to_string(i) + ",";
  many_directives += "max-age=60";
  const Headers cc_many = {{"Cache-Control", many_directives}};

  const StoreRow rows[] = {
      {"9111 3 GET with max-age", "GET", {}, 200, fresh, "ok"},
      {"9111 3 HEAD", "HEAD", {}, 200, fresh, "ok"},
      {"9111 3 POST never (rampart policy)", "POST", {}, 200, fresh, "method"},
      {"9111 3 methods are case-sensitive", "get", {}, 200, fresh, "method"},
      {"9111 3 interim status", "GET", {}, 103, fresh, "status"},
      {"9111 3.3 206 not stored yet", "GET", {}, 206, fresh, "status"},
      {"9111 4.3.4 304 updates, is not stored", "GET", {}, 304, fresh, "status"},
      {"9111 3 request no-store", "GET", {{"Cache-Control", "no-store"}}, 200, fresh, "no-store"},
      {"9111 5.2.2.5 response no-store",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, no-store"}},
       "no-store"},
      {"9111 5.2.2.3 must-understand + understood status ignores no-store",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, no-store, must-understand"}},
       "ok"},
      {"9111 5.2.2.3 must-understand + unknown status",
       "GET",
       {},
       299,
       {{"Cache-Control", "max-age=60, no-store, must-understand"}},
       "must-understand"},
      {"9111 5.2.2.7 private (shared cache)",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, private"}},
       "private"},
      {"9111 5.2.2.7 private in a private cache",
       "GET",
       {},
       200,
       {{"Cache-Control", "private"}},
       "ok",
       {},
       private_cache},
      {"9111 5.2.2.7 private with fields: strip them",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, private=\"X-User, X-Session\""}},
       "ok",
       {"x-user", "x-session"}},
      {"9111 3.5 Authorization refused", "GET", auth, 200, fresh, "authorization"},
      {"9111 3.5 Authorization with public",
       "GET",
       auth,
       200,
       {{"Cache-Control", "max-age=60, public"}},
       "ok"},
      {"9111 3.5 Authorization with must-revalidate",
       "GET",
       auth,
       200,
       {{"Cache-Control", "max-age=60, must-revalidate"}},
       "ok"},
      {"9111 3.5 Authorization with s-maxage",
       "GET",
       auth,
       200,
       {{"Cache-Control", "s-maxage=60"}},
       "ok"},
      {"9111 3.5 Authorization in a private cache",
       "GET",
       auth,
       200,
       fresh,
       "ok",
       {},
       private_cache},
      {"policy: Set-Cookie refused by default",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Set-Cookie", "s=1"}},
       "set-cookie"},
      {"policy: Set-Cookie stored when allowed",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Set-Cookie", "s=1"}},
       "ok",
       {},
       cookies},
      {"9111 5.2.2.7 private=set-cookie strips it, so storable",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60, private=set-cookie"}, {"Set-Cookie", "s=1"}},
       "ok",
       {"set-cookie"}},
      {"9111 4.1 Vary: * never matches",
       "GET",
       {},
       200,
       {{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}},
       "vary-star"},
      {"9111 4.1 too many varied fields", "GET", {}, 200, vary_many, "vary-limit"},
      {"9111 3 no explicit freshness, heuristic status", "GET", {}, 200, {}, "ok"},
      {"9111 3 no explicit freshness, 302", "GET", {}, 302, {}, "no-freshness"},
      {"9111 3 Expires makes 302 cacheable", "GET", {}, 302, {{"Expires", "0"}}, "ok"},
      {"9111 3 max-age makes 500 cacheable", "GET", {}, 500, fresh, "ok"},
      {"9111 3 public makes 302 cacheable", "GET", {}, 302, {{"Cache-Control", "public"}}, "ok"},
      {"9111 3 no-cache is storable", "GET", {}, 200, {{"Cache-Control", "no-cache"}}, "ok"},
      {"cap: too many directives", "GET", {}, 200, cc_many, "cc-too-large"},
  };
  for (const StoreRow& r : rows) {
    SCOPED_TRACE(r.section);
    const StoreVerdict v =
        check_storable(r.method, r.request, r.status, r.response, nullptr, r.options);
    EXPECT_EQ(v.reason, r.want);
    EXPECT_EQ(v.storable, r.want == "ok");
    if (v.storable) {
      EXPECT_EQ(v.strip_fields, r.strip);
    }
  }
}

TEST(Storability, CdnCacheControlGoverns) {
  // RFC 9213 §2.1: the targeted field replaces Cache-Control for this cache.
  const Headers h = {{"Cache-Control", "private"}, {"CDN-Cache-Control", "max-age=60"}};
  const std::optional<CacheControl> cdn = cdn_override_of(h);
  ASSERT_TRUE(cdn.has_value());
  EXPECT_TRUE(check_storable("GET", {}, 200, h, &*cdn).storable);
  EXPECT_EQ(check_storable("GET", {}, 200, h, nullptr).reason, "private");

  const Headers no_store = {{"Cache-Control", "max-age=60"}, {"CDN-Cache-Control", "no-store"}};
  const std::optional<CacheControl> cdn2 = cdn_override_of(no_store);
  ASSERT_TRUE(cdn2.has_value());
  EXPECT_EQ(check_storable("GET", {}, 200, no_store, &*cdn2).reason, "no-store");

  // Expires does not count under CDN-Cache-Control, so a 302 has nothing.
  const Headers expires = {{"Expires", "0"}, {"CDN-Cache-Control", "must-revalidate"}};
  const std::optional<CacheControl> cdn3 = cdn_override_of(expires);
  ASSERT_TRUE(cdn3.has_value());
  EXPECT_EQ(check_storable("GET", {}, 302, expires, &*cdn3).reason, "no-freshness");
}

}  // namespace
}  // namespace rampart::cache
