// Cache keys and their variants (shared by the request path and purge) and Cache-Tag.

#include "cache/cache_key.h"

#include <gtest/gtest.h>

#include "cache/cache_tags.h"

namespace {

using namespace rampart::cache;

TEST(CacheKey, HostIsLowerCasedTargetKept) {
  EXPECT_EQ(make_key("Shop.EXAMPLE", "/A?B=C"), "shop.example/A?B=C");
  EXPECT_EQ(make_key("shop.example", ""), "shop.example/");
  EXPECT_EQ(host_of_key("shop.example:8080/a/b"), "shop.example:8080");
}

TEST(CacheKey, VariantsBelongToTheirKeyOnly) {
  std::string key = make_key("a.example", "/p");
  std::string variant = variant_key(key, "accept-language:2:en");
  EXPECT_TRUE(is_key_or_variant(key, key));
  EXPECT_TRUE(is_key_or_variant(variant, key));
  EXPECT_FALSE(is_key_or_variant(make_key("a.example", "/p2"), key));
  EXPECT_FALSE(is_key_or_variant(make_key("a.example", "/"), key));
}

TEST(CacheKey, FromUrls) {
  EXPECT_EQ(key_of_url("https://Shop.example/a?b"), "shop.example/a?b");
  EXPECT_EQ(key_of_url("shop.example/a"), "shop.example/a");
  EXPECT_EQ(key_of_url("http://shop.example"), "shop.example/");
  EXPECT_FALSE(key_of_url("/no-host").has_value());
  EXPECT_FALSE(key_of_url("").has_value());
}

TEST(CacheTags, CommaListsOverSeveralLinesCapped) {
  std::vector<rampart::http::Header> headers = {
      {"Cache-Tag", "product, sale ,,"}, {"X-Other", "x"}, {"cache-tag", "page"}};
  EXPECT_EQ(parse_cache_tags(headers), (std::vector<std::string>{"product", "sale", "page"}));
  std::string many;
  for (int i = 0; i < 100; ++i) many.append("t").append(std::to_string(i)).append(",");
  std::vector<rampart::http::Header> lots = {{"Cache-Tag", many}};
  EXPECT_EQ(parse_cache_tags(lots).size(), kMaxCacheTags);
}

}  // namespace
