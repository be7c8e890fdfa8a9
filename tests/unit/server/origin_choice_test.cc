// Reading the affinity cookie out of the request's Cookie headers.

#include "server/origin_choice.h"

#include <gtest/gtest.h>

namespace {

using rampart::http::RequestHead;
using rampart::server::cookie_value;

RequestHead with_cookies(std::initializer_list<std::string_view> values) {
  RequestHead head;
  for (std::string_view v : values) head.headers.push_back({"Cookie", v});
  return head;
}

TEST(CookieValue, FindsTheNamedCookie) {
  auto head = with_cookies({"a=1; rampart_affinity=0123456789abcdef; b=2"});
  EXPECT_EQ(cookie_value(head, "rampart_affinity"), "0123456789abcdef");
  EXPECT_EQ(cookie_value(head, "a"), "1");
  EXPECT_EQ(cookie_value(head, "b"), "2");
  EXPECT_EQ(cookie_value(head, "c"), "");
}

TEST(CookieValue, NamesMatchExactlyAndCaseSensitively) {
  auto head = with_cookies({"xrampart_affinity=1; Rampart_Affinity=2"});
  EXPECT_EQ(cookie_value(head, "rampart_affinity"), "");
}

TEST(CookieValue, SeveralHeadersQuotesAndSpaces) {
  auto head = with_cookies({"a=1", "  sticky = \"tok\"  ;z=9"});
  EXPECT_EQ(cookie_value(head, "z"), "9");
  // "sticky " with a space before '=' is not the name "sticky".
  EXPECT_EQ(cookie_value(head, "sticky"), "");
  auto quoted = with_cookies({"sticky=\"tok\""});
  EXPECT_EQ(cookie_value(quoted, "sticky"), "tok");
}

TEST(CookieValue, MalformedPairsAreSkipped) {
  auto head = with_cookies({";;=x; novalue; k=v;"});
  EXPECT_EQ(cookie_value(head, "k"), "v");
  EXPECT_EQ(cookie_value(head, "novalue"), "");
}

}  // namespace
