#include "http/h2_request_h1.h"

#include <gtest/gtest.h>

#include <deque>
#include <vector>

#include "http/h1_parser.h"

namespace rampart::http {
namespace {

struct Built {
  H2HeadTranslation t;
  std::string head;
  RequestHead parsed;
  ParseResult result;
};

H2Request request(std::string_view method, std::string_view path, const std::vector<Header>& h,
                  std::string_view authority = "example.com") {
  static std::deque<std::vector<Header>> kept;
  H2Request r;
  r.stream_id = 1;
  r.method = method;
  r.scheme = method == "CONNECT" ? "" : "https";
  r.path = path;
  r.authority = authority;
  r.headers = kept.emplace_back(h);
  r.end_stream = true;
  return r;
}

// Translates and parses the result back with rampart's own HTTP/1.1 parser.
Built build(const H2Request& r) {
  static std::deque<Built> kept;
  Built& b = kept.emplace_back();
  b.t = translate_h2_request(r, b.head);
  if (b.t.ok) b.result = parse_request_head(b.head, ParserLimits{}, b.parsed);
  return b;
}

TEST(H2RequestH1, GetRoundTrips) {
  const Built& b = build(request("GET", "/a/b?q=1", {{"accept", "*/*"}, {"x-y", "z w"}}));
  ASSERT_TRUE(b.t.ok);
  EXPECT_EQ(b.head.rfind("GET /a/b?q=1 HTTP/1.1\r\nhost: example.com\r\n", 0), 0u);
  ASSERT_EQ(b.result.status, ParseStatus::kComplete);
  EXPECT_EQ(b.result.consumed, b.head.size());
  EXPECT_EQ(b.parsed.method, "GET");
  EXPECT_EQ(b.parsed.target, "/a/b?q=1");
  EXPECT_EQ(b.parsed.path, "/a/b");
  EXPECT_EQ(b.parsed.query, "q=1");
  EXPECT_EQ(b.parsed.host, "example.com");
  EXPECT_EQ(b.parsed.body, BodyKind::kNone);
  ASSERT_NE(b.parsed.find("x-y"), nullptr);
  EXPECT_EQ(b.parsed.find("x-y")->value, "z w");
}

TEST(H2RequestH1, CookieCrumbsAreJoined) {
  const Built& b = build(request(
      "GET", "/", {{"cookie", "a=1"}, {"accept", "x"}, {"cookie", "b=2"}, {"cookie", "c=3"}}));
  ASSERT_TRUE(b.t.ok);
  ASSERT_EQ(b.result.status, ParseStatus::kComplete);
  int cookies = 0;
  for (const Header& h : b.parsed.headers) cookies += h.name == "cookie";
  EXPECT_EQ(cookies, 1);
  EXPECT_EQ(b.parsed.find("cookie")->value, "a=1; b=2; c=3");
}

TEST(H2RequestH1, BodyFraming) {
  H2Request known = request("POST", "/u", {{"content-length", "12"}});
  known.content_length = 12;
  known.end_stream = false;
  const Built& k = build(known);
  ASSERT_EQ(k.result.status, ParseStatus::kComplete);
  EXPECT_EQ(k.parsed.body, BodyKind::kContentLength);
  EXPECT_EQ(k.parsed.content_length, 12u);

  H2Request streamed = request("POST", "/u", {});
  streamed.end_stream = false;
  const Built& s = build(streamed);
  ASSERT_EQ(s.result.status, ParseStatus::kComplete);
  EXPECT_EQ(s.parsed.body, BodyKind::kChunked);

  const Built& e = build(request("POST", "/u", {}));  // END_STREAM on the HEADERS
  ASSERT_EQ(e.result.status, ParseStatus::kComplete);
  EXPECT_EQ(e.parsed.body, BodyKind::kNone);
  ASSERT_NE(e.parsed.find("content-length"), nullptr);
  EXPECT_EQ(e.parsed.find("content-length")->value, "0");
}

TEST(H2RequestH1, ConnectUsesTheAuthority) {
  const Built& b = build(request("CONNECT", "", {}, "origin.test:443"));
  ASSERT_TRUE(b.t.ok);
  ASSERT_EQ(b.result.status, ParseStatus::kComplete);
  EXPECT_EQ(b.parsed.method, "CONNECT");
  EXPECT_EQ(b.parsed.target, "origin.test:443");
  EXPECT_EQ(b.parsed.host, "origin.test:443");
}

TEST(H2RequestH1, HostFieldWithoutAuthority) {
  const Built& b = build(request("GET", "/", {{"host", "h.test"}}, ""));
  ASSERT_TRUE(b.t.ok);
  ASSERT_EQ(b.result.status, ParseStatus::kComplete);
  EXPECT_EQ(b.parsed.host, "h.test");
  int hosts = 0;
  for (const Header& h : b.parsed.headers) hosts += iequals(h.name, "host");
  EXPECT_EQ(hosts, 1);
  // The same host twice (as :authority and Host) is one host.
  const Built& same = build(request("GET", "/", {{"host", "EXAMPLE.com"}}));
  ASSERT_EQ(same.result.status, ParseStatus::kComplete);
  EXPECT_EQ(same.parsed.host, "example.com");
}

TEST(H2RequestH1, TeTrailersIsDropped) {
  const Built& b = build(request("POST", "/grpc", {{"te", "trailers"}}));
  ASSERT_TRUE(b.t.ok);
  ASSERT_EQ(b.result.status, ParseStatus::kComplete);
  EXPECT_EQ(b.parsed.find("te"), nullptr);
}

TEST(H2RequestH1, RefusesWhatCannotBeSaidSafely) {
  const std::vector<H2Request> bad = {
      request("GET", "/", {}, ""),                                // no host at all
      request("GET", "/", {{"host", "other.test"}}),              // disagreeing host
      request("GET", "/", {{"host", "a"}, {"host", "a"}}, ""),    // two hosts
      request("GET", "/", {}, "user@example.com"),                // userinfo
      request("GET", "/", {{"x", "a\r\nInjected: 1"}}),           // CR LF
      request("GET", "/", {{"x", std::string_view("a\0b", 3)}}),  // NUL
      request("GET", "/", {{"x", " padded"}}),                    // would be trimmed
      request("GET", "/", {{"Upper", "v"}}),                      // not lowercase
      request("GET", "/", {{"bad name", "v"}}),                   // not a token
      request("GET", "/", {{"connection", "close"}}),             // connection-specific
      request("GET", "/", {{"transfer-encoding", "chunked"}}),    // connection-specific
      request("GET", "/", {{"te", "gzip"}}),                      // te not trailers
      request("GET", "/a b", {}),                                 // space in the path
      request("GET", "relative", {}),                             // not origin-form
      request("G T", "/", {}),                                    // bad method
  };
  for (size_t i = 0; i < bad.size(); ++i) {
    std::string out = "kept";
    const H2HeadTranslation t = translate_h2_request(bad[i], out);
    EXPECT_FALSE(t.ok) << "case " << i;
    EXPECT_EQ(t.status, 400) << "case " << i;
    EXPECT_FALSE(t.error.empty()) << "case " << i;
    EXPECT_EQ(out, "kept") << "case " << i;  // nothing half-written
  }
}

}  // namespace
}  // namespace rampart::http
