#include "cache/cache_control.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::describe;
using test::Headers;

struct CcRow {
  std::string_view section;
  std::vector<std::string_view> lines;  // one Cache-Control line each
  std::string_view want;
};

CacheControl parse_lines(const std::vector<std::string_view>& lines, std::string_view name) {
  Headers h;
  h.push_back({"Content-Type", "text/plain"});
  for (std::string_view l : lines) h.push_back({name, l});
  return name == "Cache-Control" ? parse_cache_control(h) : parse_cdn_cache_control(h);
}

TEST(CacheControl, ParsesTable) {
  const std::string long_line = "max-age=1, x" + std::string(5000, 'a') + ", no-store";
  const CcRow rows[] = {
      {"9111 5.2.2.1 max-age", {"max-age=60"}, "max-age=60"},
      {"9111 5.2.2.10 s-maxage", {"s-maxage=5"}, "s-maxage=5"},
      {"9111 1.2.2 delta-seconds overflow saturates at 2^31",
       {"max-age=99999999999999999999"},
       "max-age=2147483648"},
      {"9111 1.2.2 exactly 2^31", {"max-age=2147483648"}, "max-age=2147483648"},
      {"9111 1.2.2 negative is invalid", {"max-age=-1"}, "max-age=invalid"},
      {"9111 1.2.2 decimal is invalid", {"max-age=1.5"}, "max-age=invalid"},
      {"9111 1.2.2 missing value is invalid", {"max-age"}, "max-age=invalid"},
      {"9111 1.2.2 empty value is invalid", {"max-age="}, "max-age=invalid"},
      {"9111 5.2 quoted argument accepted", {"max-age=\"60\""}, "max-age=60"},
      {"9111 5.2 unterminated quote", {"max-age=\"60"}, "max-age=invalid"},
      {"9111 4.2.1 conflicting duplicate on one line",
       {"max-age=60, max-age=120"},
       "max-age=invalid"},
      {"9111 4.2.1 conflicting duplicate over lines",
       {"max-age=60", "max-age=120"},
       "max-age=invalid"},
      {"9111 4.2.1 conflicting s-maxage", {"s-maxage=1, s-maxage=2"}, "s-maxage=invalid"},
      {"9111 4.2.1 duplicate with equal values", {"max-age=60", "max-age=60"}, "max-age=60"},
      {"9111 4.2.1 invalid then valid stays invalid", {"max-age=x, max-age=5"}, "max-age=invalid"},
      {"9111 5.2 names are case-insensitive",
       {"MAX-AGE=5, No-Store, PUBLIC"},
       "max-age=5 no-store public"},
      {"9110 5.6.1 whitespace and empty elements",
       {" , public ,\t s-maxage=10 ,, "},
       "s-maxage=10 public"},
      {"9111 5.2.2.4 no-cache field list",
       {"no-cache=\"Set-Cookie, X-Foo\""},
       "no-cache=set-cookie,x-foo"},
      {"9111 5.2.2.4 unqualified no-cache", {"no-cache"}, "no-cache"},
      {"9111 5.2.2.4 malformed list is unqualified", {"no-cache=\"a b\""}, "no-cache"},
      {"9111 5.2.2.4 empty list is unqualified", {"no-cache=\"\""}, "no-cache"},
      {"9111 5.2.2.7 private field list, token form", {"private=Set-Cookie"}, "private=set-cookie"},
      {"9111 5.2.2.7 comma inside quotes does not split",
       {"private=\"a, b\", max-age=5"},
       "max-age=5 private=a,b"},
      {"9111 5.2.2.7 unqualified private", {"private"}, "private"},
      {"9111 5.2.2.7 lists merge without duplicates",
       {"private=\"a\"", "private=\"A, b\""},
       "private=a,b"},
      {"9111 5.2.1.2 max-stale without value", {"max-stale"}, "max-stale"},
      {"9111 5.2.1.2 max-stale with value", {"max-stale=30"}, "max-stale=30"},
      {"9111 5.2.1.3 min-fresh", {"min-fresh=10"}, "min-fresh=10"},
      {"9111 5.2.1.7 only-if-cached", {"only-if-cached"}, "only-if-cached"},
      {"5861 3-4 stale-while-revalidate, stale-if-error",
       {"stale-while-revalidate=30, stale-if-error=600"},
       "swr=30 sie=600"},
      {"9111 5.2.2 remaining flags",
       {"must-revalidate, proxy-revalidate", "must-understand, no-transform, immutable"},
       "must-revalidate proxy-revalidate must-understand no-transform immutable"},
      {"9111 5.2.3 unknown directives ignored", {"foo, bar=baz, community=\"UCI\""}, ""},
      {"9111 5.2 name that is not a token is ignored", {"max age=5, no store"}, ""},
      {"9111 5.2 stray argument keeps a flag", {"no-store=1"}, "no-store"},
      {"cap: 4 KiB per line", {long_line}, "max-age=1 TRUNCATED"},
  };
  for (const CcRow& r : rows) {
    SCOPED_TRACE(r.section);
    EXPECT_EQ(describe(parse_lines(r.lines, "Cache-Control")), r.want);
  }
}

TEST(CacheControl, CapsDirectiveCount) {
  // At most kMaxDirectives are considered; a no-store past them is not seen, and the
  // policy says so.
  std::string many;
  for (int i = 0; i < 64; ++i) many += "x" + std::to_string(i) + ", ";
  CacheControl cc;
  add_cache_control_line(cc, many + "no-store");
  EXPECT_TRUE(cc.truncated);
  EXPECT_FALSE(cc.no_store);
  EXPECT_EQ(cc.directives, 64u);

  CacheControl under;
  add_cache_control_line(under, "a, b, no-store");
  EXPECT_FALSE(under.truncated);
  EXPECT_TRUE(under.no_store);
  EXPECT_EQ(under.directives, 3u);
}

TEST(CacheControl, CapsFieldLists) {
  // RFC 9111 §5.2.2.7 lists are kept up to kMaxListedFields; past that the directive is
  // read as unqualified, the stricter meaning.
  std::string list;
  for (size_t i = 0; i < kMaxListedFields; ++i) list += (i ? ", f" : "f") + std::to_string(i);
  CacheControl at_cap;
  add_cache_control_line(at_cap, "private=\"" + list + "\"");
  EXPECT_FALSE(at_cap.private_all);
  EXPECT_EQ(at_cap.private_fields.size(), kMaxListedFields);
  CacheControl over;
  add_cache_control_line(over, "private=\"" + list + ", extra\"");
  EXPECT_TRUE(over.private_all);
  CacheControl over_lines;
  add_cache_control_line(over_lines, "no-cache=\"" + list + "\"");
  add_cache_control_line(over_lines, "no-cache=\"another\"");
  EXPECT_TRUE(over_lines.no_cache);
}

TEST(CacheControl, OnlyItsOwnField) {
  const Headers h = {
      {"Cache-Control", "max-age=5"}, {"CDN-Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  EXPECT_EQ(describe(parse_cache_control(h)), "max-age=5");
  EXPECT_EQ(describe(parse_cdn_cache_control(h)), "no-store");
  EXPECT_FALSE(parse_cache_control(Headers{}).present);
}

TEST(CdnCacheControl, ParsesTable) {
  const CcRow rows[] = {
      {"9213 2.1 integer", {"max-age=60"}, "max-age=60"},
      {"9213 2.1 boolean", {"no-store"}, "no-store"},
      {"9213 2.1 lines combine", {"max-age=60", "must-revalidate"}, "max-age=60 must-revalidate"},
      {"8941 3.2 last duplicate wins", {"max-age=60, max-age=10"}, "max-age=10"},
      {"8941 3.2 ?0 is absent", {"no-store=?0, max-age=5"}, "max-age=5"},
      {"8941 3.2 ?1 is present", {"no-store=?1"}, "no-store"},
      {"8941 3.1.2 parameters ignored", {"max-age=60;foo=bar, public;x"}, "max-age=60 public"},
      {"8941 3.1.1 inner list well-formed but meaningless", {"foo=(a b), max-age=5"}, "max-age=5"},
      {"9213 2.1 string field list", {"private=\"set-cookie\""}, "private=set-cookie"},
      {"9111 1.2.2 negative integer invalid", {"max-age=-5"}, "max-age=invalid"},
      {"9111 1.2.2 decimal invalid", {"max-age=1.5"}, "max-age=invalid"},
      {"8941 3.2 upper-case key fails the field", {"Max-Age=60"}, "INVALID"},
      {"8941 3.2 trailing comma fails the field", {"max-age=60,"}, "INVALID"},
      {"8941 3.3.3 bad string fails the field", {"private=\"a"}, "INVALID"},
      {"8941 3.3.1 sixteen digits fail the field", {"max-age=1234567890123456"}, "INVALID"},
      {"8941 3.2 token-ish junk fails the field", {"max-age=60 no-store"}, "INVALID"},
  };
  for (const CcRow& r : rows) {
    SCOPED_TRACE(r.section);
    EXPECT_EQ(describe(parse_lines(r.lines, "CDN-Cache-Control")), r.want);
  }
}

TEST(CdnCacheControl, UsableAsOverride) {
  // RFC 9213 §2.1: only a present, valid, non-empty field is used.
  EXPECT_TRUE(parse_cdn_cache_control_value("max-age=5").usable_as_override());
  EXPECT_FALSE(parse_cdn_cache_control_value("").usable_as_override());
  EXPECT_FALSE(parse_cdn_cache_control_value("   ").usable_as_override());
  EXPECT_FALSE(parse_cdn_cache_control_value("Max-Age=5").usable_as_override());
  EXPECT_FALSE(parse_cdn_cache_control(Headers{}).usable_as_override());
  // A line over 4 KiB makes the whole field unusable rather than half-read.
  const std::string big = "max-age=5, x=\"" + std::string(5000, 'a') + "\"";
  const Headers h = {{"CDN-Cache-Control", big}};
  EXPECT_FALSE(parse_cdn_cache_control(h).usable_as_override());
}

}  // namespace
}  // namespace rampart::cache
