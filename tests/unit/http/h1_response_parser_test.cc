#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "http/h1_parser.h"
#include "unit/http/h1_test_util.h"

namespace rampart::http {
namespace {

using namespace std::literals;

using testing::complete;
using testing::describe;
using testing::error;
using testing::kIncomplete;
using testing::response;

// A head's views point into its input: the input is copied somewhere that outlives the
// test, so that heads of temporaries can be inspected after the call.
ParseResult parse(std::string_view in, ResponseHead& head, std::string_view method = "GET",
                  const ParserLimits& limits = {}) {
  static std::deque<std::string> kept;
  return parse_response_head(kept.emplace_back(in), method, limits, head);
}

std::string with_fields(std::string_view extra, std::string_view status_line = "HTTP/1.1 200 OK") {
  std::string s(status_line);
  s += "\r\n";
  s += extra;
  s += "\r\n";
  return s;
}

TEST(H1Response, SimpleContentLength) {
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n";
  ResponseHead h;
  const ParseResult r = parse(head + "hello", h);
  ASSERT_EQ(describe(r), complete(head.size()));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.reason, "OK");
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[0].name, "Content-Type");
  EXPECT_EQ(h.headers[0].value, "text/plain");
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 5u);
  EXPECT_TRUE(h.keep_alive);
}

TEST(H1Response, ReasonPhrase) {
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 404 Not  Found \t\r\nContent-Length: 0\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.status, 404);
  EXPECT_EQ(h.reason, "Not  Found \t");
  ASSERT_EQ(parse("HTTP/1.1 204 \r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.reason, "");
  ASSERT_EQ(parse("HTTP/1.1 204\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.status, 204);
  EXPECT_EQ(h.reason, "");
  ASSERT_EQ(parse("HTTP/1.0 200 D\xc3\xa9j\xc3\xa0\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_EQ(response("HTTP/1.1 200 O\x01K\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 O\rK\r\n\r\n"), error(502));
}

TEST(H1Response, StatusLineErrors) {
  EXPECT_EQ(response("HTTP/1.1 20 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 2000 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 099 X\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 600 X\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 2x0 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1  200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1\t200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/2.0 200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.2 200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("http/1.1 200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1\r\n\r\n"), error(502));
  EXPECT_EQ(response("ICY 200 OK\r\n\r\n"), error(502));
  EXPECT_EQ(response("\r\nHTTP/1.1 200 OK\r\n\r\n"), error(502));
  // Known bad before the head ends.
  EXPECT_EQ(response("HTTP/1.1 2x0 OK\r\nServer: x\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nServer: x\r\n"), kIncomplete);
  ResponseHead h;
  ASSERT_EQ(parse("HTTP/1.1 100 Continue\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.status, 100);
  ASSERT_EQ(parse("HTTP/1.1 599 X\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.status, 599);
}

TEST(H1Response, FieldSyntaxErrorsAre502) {
  EXPECT_EQ(response(with_fields("X: a\r\n b\r\n")), error(502));
  EXPECT_EQ(response(with_fields("X : a\r\n")), error(502));
  EXPECT_EQ(response(with_fields(": a\r\n")), error(502));
  EXPECT_EQ(response(with_fields("X: a\x01\r\n")), error(502));
  EXPECT_EQ(response(with_fields(std::string("X: a\0\r\n"s))), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 OK\nX: a\r\n\r\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nX: a\r\n\n"), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n"), error(502));
}

TEST(H1Response, BodylessStatusesAndMethods) {
  ResponseHead h;
  for (const char* line : {"HTTP/1.1 101 Switching Protocols", "HTTP/1.1 103 Early Hints",
                           "HTTP/1.1 204 No Content", "HTTP/1.1 304 Not Modified"}) {
    ASSERT_EQ(parse(with_fields("Content-Length: 10\r\n", line), h).status, ParseStatus::kComplete)
        << line;
    EXPECT_EQ(h.body, BodyKind::kNone) << line;
    EXPECT_TRUE(h.keep_alive) << line;
  }
  ASSERT_EQ(parse(with_fields("Content-Length: 10\r\n"), h, "HEAD").status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  ASSERT_EQ(parse(with_fields("Transfer-Encoding: chunked\r\n"), h, "HEAD").status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  ASSERT_EQ(parse(with_fields(""), h, "HEAD").status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse(with_fields("", "HTTP/1.1 200 Connection established"), h, "CONNECT").status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  ASSERT_EQ(parse(with_fields("Content-Length: 3\r\n", "HTTP/1.1 407 Auth"), h, "CONNECT").status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 3u);
}

TEST(H1Response, Chunked) {
  ResponseHead h;
  ASSERT_EQ(parse(with_fields("Transfer-Encoding: Chunked\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kChunked);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(response(with_fields("Transfer-Encoding: gzip\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: gzip, chunked\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: chunked, gzip\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: \r\n")), error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
            error(502));
  EXPECT_EQ(response(with_fields("Transfer-Encoding: chunked\r\n", "HTTP/1.0 200 OK")), error(502));
}

TEST(H1Response, ContentLengthRules) {
  ResponseHead h;
  ASSERT_EQ(parse(with_fields("Content-Length: 5\r\nContent-Length: 5\r\n"), h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 5u);
  ASSERT_EQ(parse(with_fields("Content-Length: 0\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(response(with_fields("Content-Length: 5\r\nContent-Length: 6\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Content-Length: 5, 5\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Content-Length: -5\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Content-Length: 18446744073709551616\r\n")), error(502));
  EXPECT_EQ(response(with_fields("Content-Length: 5\r\nContent-Length: x\r\n")), error(502));

  ParserLimits lim;
  lim.max_body_bytes = 100;
  EXPECT_EQ(response(with_fields("Content-Length: 101\r\n"), "GET", lim), error(502));
  const std::string at = with_fields("Content-Length: 100\r\n");
  EXPECT_EQ(response(at, "GET", lim), complete(at.size()));
}

TEST(H1Response, UntilCloseAndKeepAlive) {
  ResponseHead h;
  ASSERT_EQ(parse(with_fields("Server: x\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kUntilClose);
  EXPECT_FALSE(h.keep_alive);

  ASSERT_EQ(parse(with_fields("Content-Length: 1\r\nConnection: close\r\n"), h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parse(with_fields("Content-Length: 1\r\n", "HTTP/1.0 200 OK"), h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(
      parse(with_fields("Content-Length: 1\r\nConnection: Keep-Alive\r\n", "HTTP/1.0 200 OK"), h)
          .status,
      ParseStatus::kComplete);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parse(with_fields("Connection: keep-alive\r\n", "HTTP/1.0 200 OK"), h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
  EXPECT_EQ(response(with_fields("Connection: a b\r\n")), error(502));
}

TEST(H1Response, Limits) {
  ParserLimits lim;
  lim.max_request_line = 20;
  lim.max_header_bytes = 64;
  lim.max_header_count = 2;
  const std::string line_at = "HTTP/1.1 200 " + std::string(7, 'r');  // 20 bytes
  EXPECT_EQ(response(line_at + "\r\n\r\n", "HEAD", lim), complete(24));
  EXPECT_EQ(response(line_at + "x\r\n\r\n", "HEAD", lim), error(502));
  EXPECT_EQ(response(line_at + "xxxxxxxx", "HEAD", lim), error(502));
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", "HEAD", lim), error(502));
  const std::string two = "HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(response(two, "HEAD", lim), complete(two.size()));
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nA: " + std::string(60, 'a'), "HEAD", lim), error(502));
}

TEST(H1Response, PipelinedAndEveryPrefix) {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  const std::string in = first + "hiHTTP/1.1 204 No Content\r\n\r\n";
  for (size_t k = 0; k <= in.size(); ++k) {
    ResponseHead h;
    const std::string got = describe(parse(std::string_view(in).substr(0, k), h));
    ASSERT_EQ(got, k < first.size() ? kIncomplete : complete(first.size())) << k;
  }
  for (const char* bad : {"HTTP/1.1 200 OK\r\nX : y\r\n\r\n", "HTTP/1.1 2x0 OK\r\n\r\n",
                          "HTTP/1.1 200 OK\r\nX: y\n\r\n"}) {
    const std::string s = bad;
    for (size_t k = 0; k <= s.size(); ++k) {
      ResponseHead h;
      const std::string got = describe(parse(std::string_view(s).substr(0, k), h));
      if (k == s.size()) {
        EXPECT_EQ(got, error(502)) << s;
      } else if (got != kIncomplete) {
        EXPECT_EQ(got, error(502)) << s << " prefix " << k;
      }
    }
  }
}

}  // namespace
}  // namespace rampart::http
