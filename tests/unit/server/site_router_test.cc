// Host header → site: exact names, wildcards (longest first), the default site.

#include "server/site_router.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"

namespace {

using rampart::config::Config;
using rampart::config::Site;
using rampart::server::SiteRouter;

Site make_site(std::string name, std::vector<std::string> hosts, bool is_default = false) {
  Site s;
  s.name = std::move(name);
  s.hosts = std::move(hosts);
  s.is_default = is_default;
  return s;
}

// Sites: 0 shop, 1 wildcard example.com, 2 deeper wildcard, 3 ipv6/ip literal, 4 default.
Config routing_config(bool with_default = true) {
  Config c;
  c.sites.push_back(make_site("shop", {"shop.example", "www.shop.example"}));
  c.sites.push_back(make_site("wild", {"*.example.com"}));
  c.sites.push_back(make_site("deep", {"*.api.example.com"}));
  c.sites.push_back(make_site("literal", {"[::1]", "127.0.0.1"}));
  c.sites.push_back(make_site("fallback", {"localhost"}, with_default));
  return c;
}

constexpr std::optional<size_t> kNone = std::nullopt;

TEST(SiteRouter, ExactMatch) {
  Config c = routing_config();
  SiteRouter router(c);
  EXPECT_EQ(router.route("shop.example"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("www.shop.example"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("localhost"), std::optional<size_t>(4));
  EXPECT_EQ(router.route("127.0.0.1"), std::optional<size_t>(3));
}

TEST(SiteRouter, CaseInsensitive) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("SHOP.Example"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("A.EXAMPLE.COM"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("LocalHost:80"), std::optional<size_t>(4));
}

TEST(SiteRouter, PortIsStripped) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("shop.example:8080"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("shop.example:"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("a.example.com:443"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("127.0.0.1:9000"), std::optional<size_t>(3));
}

TEST(SiteRouter, Ipv6LiteralWithAndWithoutPort) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("[::1]"), std::optional<size_t>(3));
  EXPECT_EQ(router.route("[::1]:8080"), std::optional<size_t>(3));
  EXPECT_EQ(router.route("[::2]:8080"), kNone);
}

TEST(SiteRouter, TrailingDotIsIgnored) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("shop.example."), std::optional<size_t>(0));
  EXPECT_EQ(router.route("shop.example.:8080"), std::optional<size_t>(0));
  EXPECT_EQ(router.route("a.example.com."), std::optional<size_t>(1));
}

TEST(SiteRouter, WildcardMatchesOneOrMoreLabelsButNotTheApex) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("a.example.com"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("a.b.example.com"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("example.com"), kNone);
  EXPECT_EQ(router.route(".example.com"), kNone);
  EXPECT_EQ(router.route("badexample.com"), kNone);
  EXPECT_EQ(router.route("a.example.com.evil"), kNone);
}

TEST(SiteRouter, LongestWildcardWins) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("v1.api.example.com"), std::optional<size_t>(2));
  EXPECT_EQ(router.route("x.v1.api.example.com"), std::optional<size_t>(2));
  // "api.example.com" itself is the apex of the deeper wildcard: the shorter one takes it.
  EXPECT_EQ(router.route("api.example.com"), std::optional<size_t>(1));
}

TEST(SiteRouter, LongestWildcardWinsWhateverTheSiteOrder) {
  Config c;
  c.sites.push_back(make_site("deep", {"*.api.example.com"}));
  c.sites.push_back(make_site("wild", {"*.example.com"}));
  SiteRouter forward(c);
  EXPECT_EQ(forward.route("v1.api.example.com"), std::optional<size_t>(0));
  EXPECT_EQ(forward.route("www.example.com"), std::optional<size_t>(1));
  std::swap(c.sites[0], c.sites[1]);
  SiteRouter reversed(c);
  EXPECT_EQ(reversed.route("v1.api.example.com"), std::optional<size_t>(1));
  EXPECT_EQ(reversed.route("www.example.com"), std::optional<size_t>(0));
}

TEST(SiteRouter, ExactBeatsWildcard) {
  Config c;
  c.sites.push_back(make_site("wild", {"*.example.com"}));
  c.sites.push_back(make_site("exact", {"www.example.com"}));
  SiteRouter router(c);
  EXPECT_EQ(router.route("www.example.com"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("shop.example.com"), std::optional<size_t>(0));
}

TEST(SiteRouter, UnknownHostGoesToTheDefaultSite) {
  Config c = routing_config(true);
  SiteRouter router(c);
  EXPECT_EQ(router.route("unknown.test"), std::optional<size_t>(4));
  EXPECT_EQ(router.route("example.com"), std::optional<size_t>(4));
  EXPECT_EQ(router.route(""), std::optional<size_t>(4));
}

TEST(SiteRouter, NoDefaultGivesNullopt) {
  Config c = routing_config(false);
  SiteRouter router(c);
  EXPECT_EQ(router.route("unknown.test"), kNone);
  EXPECT_EQ(router.route(""), kNone);
  EXPECT_EQ(router.route(":8080"), kNone);
}

TEST(SiteRouter, DefaultSiteNeedNotBeLast) {
  Config c;
  c.sites.push_back(make_site("first", {"first.test"}, true));
  c.sites.push_back(make_site("second", {"second.test"}));
  SiteRouter router(c);
  EXPECT_EQ(router.route("second.test"), std::optional<size_t>(1));
  EXPECT_EQ(router.route("other.test"), std::optional<size_t>(0));
}

TEST(SiteRouter, OverLongHostGoesToTheDefault) {
  Config c;
  c.sites.push_back(make_site("wild", {"*.example.com"}));
  std::string long_host = std::string(300, 'a') + ".example.com";
  {
    SiteRouter router(c);
    EXPECT_EQ(router.route(long_host), kNone);
    EXPECT_EQ(router.route(long_host + ":80"), kNone);
  }
  c.sites.push_back(make_site("fallback", {"localhost"}, true));
  SiteRouter router(c);
  EXPECT_EQ(router.route(long_host), std::optional<size_t>(1));
  // A long name that still fits is routed normally.
  std::string fits = std::string(200, 'a') + ".example.com";
  EXPECT_EQ(router.route(fits), std::optional<size_t>(0));
}

TEST(SiteRouter, EmptyConfig) {
  Config c;
  SiteRouter router(c);
  EXPECT_EQ(router.route("anything"), kNone);
}

}  // namespace
