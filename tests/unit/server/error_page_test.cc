// Branded error pages: JSON for API clients, HTML otherwise; every interpolated value
// escaped for the format it lands in.

#include "server/error_page.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using rampart::server::accepts_json;
using rampart::server::append_json_escaped;
using rampart::server::error_code_name;
using rampart::server::render_error_page;

std::string json_escaped(std::string_view v) {
  std::string out;
  append_json_escaped(out, v);
  return out;
}

size_t count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(ErrorPage, JsonBodyIsExact) {
  auto page = render_error_page(502, "upstream unreachable", "req-1", "v42", true);
  EXPECT_EQ(page.content_type, "application/json");
  EXPECT_EQ(page.body,
            "{\"status\":502,\"error\":\"bad_gateway\",\"message\":\"upstream unreachable\","
            "\"request_id\":\"req-1\",\"config_version\":\"v42\"}\n");
}

TEST(ErrorPage, JsonEscapesEveryInterpolatedValue) {
  auto page = render_error_page(400, "bad \"quote\" \\ back\nline\x01", "id\"1\t", "v\r\"", true);
  EXPECT_EQ(page.body,
            "{\"status\":400,\"error\":\"bad_request\","
            "\"message\":\"bad \\\"quote\\\" \\\\ back\\nline\\u0001\","
            "\"request_id\":\"id\\\"1\\t\",\"config_version\":\"v\\r\\\"\"}\n");
}

TEST(ErrorPage, HtmlBodyCarriesStatusMessageIdAndVersion) {
  auto page = render_error_page(404, "no such page", "req-7", "v3", false);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(page.body.starts_with("<!doctype html>")) << page.body;
  EXPECT_TRUE(page.body.ends_with("</html>\n")) << page.body;
  EXPECT_EQ(count(page.body, "404 Not Found"), 2u) << page.body;  // title and heading
  EXPECT_NE(page.body.find("<p>no such page</p>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("request req-7 "), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("config v3<"), std::string::npos) << page.body;
}

TEST(ErrorPage, HtmlEscapesMessageRequestIdAndVersion) {
  auto page = render_error_page(403, "<script>alert(\"x\")</script> & more",
                                "<img src=x onerror=1>", "\"v&1\"", false);
  EXPECT_EQ(page.body.find("<script>"), std::string::npos) << page.body;
  EXPECT_EQ(page.body.find("<img"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more</p>"),
            std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("request &lt;img src=x onerror=1&gt; "), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("config &quot;v&amp;1&quot;<"), std::string::npos) << page.body;
}

TEST(ErrorPage, UnknownStatusesGetGenericCodes) {
  EXPECT_EQ(error_code_name(503), "service_unavailable");
  EXPECT_EQ(error_code_name(504), "gateway_timeout");
  EXPECT_EQ(error_code_name(431), "header_fields_too_large");
  EXPECT_EQ(error_code_name(599), "server_error");
  EXPECT_EQ(error_code_name(418), "client_error");
  auto page = render_error_page(599, "m", "r", "v", true);
  EXPECT_TRUE(page.body.starts_with("{\"status\":599,\"error\":\"server_error\",")) << page.body;
}

TEST(JsonEscape, ControlCharactersAndDelete) {
  EXPECT_EQ(json_escaped(std::string_view("\x00\x1f\x7f", 3)), "\\u0000\\u001f\\u007f");
  EXPECT_EQ(json_escaped("\b\f"), "\\u0008\\u000c");
  EXPECT_EQ(json_escaped("plain / text"), "plain / text");
  EXPECT_EQ(json_escaped("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
  EXPECT_EQ(json_escaped(""), "");
}

TEST(AcceptsJson, PrefersJsonOnlyWithoutHtml) {
  EXPECT_TRUE(accepts_json("application/json"));
  EXPECT_TRUE(accepts_json("application/json, */*;q=0.1"));
  EXPECT_TRUE(accepts_json("text/plain, application/json"));
  EXPECT_FALSE(accepts_json("text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8"));
  EXPECT_FALSE(accepts_json("*/*"));
  EXPECT_FALSE(accepts_json(""));
  EXPECT_FALSE(accepts_json("text/html"));
  EXPECT_FALSE(accepts_json("application/xml"));
}

// RFC 9110 8.3.1: media type and subtype are case-insensitive.
TEST(AcceptsJson, MediaTypeIsCaseInsensitive) {
  EXPECT_TRUE(accepts_json("Application/JSON"));
  EXPECT_FALSE(accepts_json("TEXT/HTML, application/json"));
}

}  // namespace
