#include "cache/key_options.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cache/cache_key.h"
#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

struct QueryRow {
  std::string_view what;
  std::string_view query;
  bool sort;
  QueryFilter filter;
  std::vector<std::string> names;
  std::string_view key_query;
};

TEST(KeyOptions, QueryTable) {
  const QueryRow rows[] = {
      {"all, unsorted: as sent", "b=2&a=1&&c", false, QueryFilter::kAll, {}, "b=2&a=1&&c"},
      {"sorted by name, empty arguments dropped",
       "b=2&a=1&&c",
       true,
       QueryFilter::kAll,
       {},
       "a=1&b=2&c"},
      {"sorting keeps same-name values in order",
       "x=2&a=1&x=1",
       true,
       QueryFilter::kAll,
       {},
       "a=1&x=2&x=1"},
      {"include keeps only the named",
       "utm=1&page=2&q=shoes",
       false,
       QueryFilter::kInclude,
       {"q", "page"},
       "page=2&q=shoes"},
      {"include with nothing named left", "utm=1", false, QueryFilter::kInclude, {"q"}, ""},
      {"exclude drops the named",
       "utm_source=x&q=a&utm_medium=y",
       false,
       QueryFilter::kExclude,
       {"utm_source", "utm_medium"},
       "q=a"},
      {"none", "a=1&b=2", false, QueryFilter::kNone, {}, ""},
      {"names are compared decoded: the origin reads pag%65 as page",
       "pag%65=2&x=1",
       false,
       QueryFilter::kInclude,
       {"page"},
       "pag%65=2"},
      {"'+' decodes to a space in names",
       "a+b=1&c=2",
       false,
       QueryFilter::kInclude,
       {"a b"},
       "a+b=1"},
      {"values keep their percent-encoding",
       "q=a%20b&z=%2F",
       true,
       QueryFilter::kAll,
       {},
       "q=a%20b&z=%2F"},
      {"a name without a value", "flag&a=1", false, QueryFilter::kInclude, {"flag"}, "flag"},
      {"sorted and filtered", "z=1&utm=2&a=3", true, QueryFilter::kExclude, {"utm"}, "a=3&z=1"},
  };
  for (const QueryRow& row : rows) {
    KeyOptions o;
    o.sort_query = row.sort;
    o.query = row.filter;
    o.query_names = row.names;
    auto q = key_query(row.query, o);
    ASSERT_TRUE(q) << row.what;
    EXPECT_EQ(*q, row.key_query) << row.what;
  }
}

TEST(KeyOptions, TooManyArgumentsAreNotCached) {
  std::string query;
  for (size_t i = 0; i <= kMaxKeyQueryArgs; ++i) query += "a" + std::to_string(i) + "=1&";
  KeyOptions o;
  o.sort_query = true;
  EXPECT_FALSE(key_query(query, o));
  EXPECT_FALSE(build_custom_key("h", "/", query, {}, o));
  // Unfiltered and unsorted, the query is used as is and needs no parsing.
  EXPECT_TRUE(key_query(query, KeyOptions{}));
}

TEST(KeyOptions, ReorderedAndFilteredUrlsShareOneKey) {
  std::vector<std::string> drop = {"utm_source"};
  KeyOptions o;
  o.sort_query = true;
  o.query = QueryFilter::kExclude;
  o.query_names = drop;
  auto a = build_custom_key("Shop.Example", "/p", "b=2&a=1&utm_source=mail", {}, o);
  auto b = build_custom_key("shop.example", "/p", "a=1&b=2", {}, o);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, make_key("shop.example", "/p?a=1&b=2"));
  auto c = build_custom_key("shop.example", "/p", "a=1&b=3", {}, o);
  EXPECT_NE(*a, *c);
}

TEST(KeyOptions, HeadersAndCookiesTellRequestsApart) {
  std::vector<std::string> headers = {"x-device"};
  std::vector<std::string> cookies = {"lang"};
  KeyOptions o;
  o.headers = headers;
  o.cookies = cookies;
  Headers mobile = {{"X-Device", "mobile"}, {"Cookie", "sid=1; lang=en"}};
  Headers desktop = {{"x-device", "desktop"}, {"Cookie", "lang=en; sid=2"}};
  Headers other_session = {{"X-Device", "mobile"}, {"Cookie", "sid=9; lang=en"}};
  Headers absent = {};
  Headers empty = {{"X-Device", ""}};
  auto k_mobile = build_custom_key("h", "/", "", mobile, o);
  auto k_desktop = build_custom_key("h", "/", "", desktop, o);
  auto k_other = build_custom_key("h", "/", "", other_session, o);
  auto k_absent = build_custom_key("h", "/", "", absent, o);
  auto k_empty = build_custom_key("h", "/", "", empty, o);
  EXPECT_NE(*k_mobile, *k_desktop);
  // Cookies not named do not split the cache.
  EXPECT_EQ(*k_mobile, *k_other);
  // An absent header is not the same as an empty one.
  EXPECT_NE(*k_absent, *k_empty);
  // Purge by URL still finds every header and cookie variant.
  EXPECT_TRUE(is_key_or_variant(*k_mobile, make_key("h", "/")));
  EXPECT_FALSE(is_key_or_variant(*k_mobile, make_key("h", "/x")));
}

TEST(KeyOptions, SeveralHeaderLinesAreOneList) {
  std::vector<std::string> headers = {"accept-language"};
  KeyOptions o;
  o.headers = headers;
  Headers two_lines = {{"Accept-Language", "en"}, {"Accept-Language", "fr"}};
  Headers one_line = {{"Accept-Language", "en, fr"}};
  EXPECT_EQ(*build_custom_key("h", "/", "", two_lines, o),
            *build_custom_key("h", "/", "", one_line, o));
}

TEST(KeyOptions, DecodeQueryComponent) {
  EXPECT_EQ(decode_query_component("a%41+b"), "aA b");
  EXPECT_EQ(decode_query_component("bad%4"), "bad%4");
  EXPECT_EQ(decode_query_component("%zz%"), "%zz%");
}

}  // namespace
}  // namespace rampart::cache
