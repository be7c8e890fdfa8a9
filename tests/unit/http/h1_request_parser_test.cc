#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "http/h1_parser.h"
#include "unit/http/h1_test_util.h"

namespace rampart::http {
namespace {

using namespace std::literals;

using testing::complete;
using testing::describe;
using testing::error;
using testing::kIncomplete;
using testing::parse;
using testing::request;
using testing::with_fields;

// --- valid requests ---------------------------------------------------------------

TEST(H1Request, SimpleGet) {
  const std::string in =
      "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\nAccept: */*\r\n\r\n";
  RequestHead h;
  const ParseResult r = parse(in, h);
  ASSERT_EQ(describe(r), complete(in.size()));
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/index.html");
  EXPECT_EQ(h.path, "/index.html");
  EXPECT_EQ(h.query, "");
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(h.version_minor, 1);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[0].name, "Host");
  EXPECT_EQ(h.headers[1].name, "User-Agent");
  EXPECT_EQ(h.headers[1].value, "t/1");
  EXPECT_EQ(h.headers[2].value, "*/*");
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_EQ(h.content_length, 0u);
  EXPECT_TRUE(h.flags.keep_alive);
  EXPECT_FALSE(h.flags.upgrade);
  EXPECT_FALSE(h.flags.expect_continue);
}

TEST(H1Request, ViewsPointIntoInput) {
  const std::string in = "GET /a?b HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n";
  RequestHead h;
  ASSERT_EQ(parse_request_head(in, {}, h).status, ParseStatus::kComplete);
  const char* b = in.data();
  EXPECT_EQ(h.method.data(), b);
  EXPECT_EQ(h.target.data(), b + 4);
  EXPECT_EQ(h.headers[1].value.data(), b + in.find("y"));
}

TEST(H1Request, QuerySplitAtFirstQuestionMark) {
  RequestHead h;
  ASSERT_EQ(parse("GET /a/b?x=1&y=?2 HTTP/1.1\r\nHost: h\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.path, "/a/b");
  EXPECT_EQ(h.query, "x=1&y=?2");
  ASSERT_EQ(parse("GET /a? HTTP/1.1\r\nHost: h\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.path, "/a");
  EXPECT_EQ(h.query, "");
}

TEST(H1Request, Http10WithoutHost) {
  RequestHead h;
  const std::string in = "GET / HTTP/1.0\r\n\r\n";
  ASSERT_EQ(describe(parse(in, h)), complete(in.size()));
  EXPECT_EQ(h.version_minor, 0);
  EXPECT_EQ(h.host, "");
  EXPECT_FALSE(h.flags.keep_alive);
}

TEST(H1Request, KeepAliveRules) {
  RequestHead h;
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive, close\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.keep_alive);
  ASSERT_EQ(parse(with_fields("Connection: close\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.keep_alive);
  ASSERT_EQ(parse(with_fields("Connection: foo , CLOSE\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.keep_alive);
  // Repeated lines are one list.
  ASSERT_EQ(parse(with_fields("Connection: te\r\nConnection: close\r\n"), h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.keep_alive);
  ASSERT_EQ(parse(with_fields("Connection: closed, te\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.keep_alive);
  ASSERT_EQ(parse(with_fields("Connection: ,,keep-alive,\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.keep_alive);
}

TEST(H1Request, InvalidConnectionToken) {
  EXPECT_EQ(request(with_fields("Connection: close, (x)\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Connection: keep alive\r\n")), error(400));
}

TEST(H1Request, AbsoluteForm) {
  RequestHead h;
  const std::string in = "GET http://example.com:8080/p/q?x=1 HTTP/1.1\r\nHost: other\r\n\r\n";
  ASSERT_EQ(describe(parse(in, h)), complete(in.size()));
  EXPECT_EQ(h.target, "http://example.com:8080/p/q?x=1");
  EXPECT_EQ(h.host, "example.com:8080");
  EXPECT_EQ(h.path, "/p/q");
  EXPECT_EQ(h.query, "x=1");

  ASSERT_EQ(parse("GET HTTPS://Example.com HTTP/1.1\r\nHost: Example.com\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.host, "Example.com");
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.query, "");

  ASSERT_EQ(parse("GET http://[::1]?a HTTP/1.1\r\nHost: x\r\n\r\n", h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.host, "[::1]");
  EXPECT_EQ(h.path, "/");
  EXPECT_EQ(h.query, "a");
}

TEST(H1Request, AbsoluteFormErrors) {
  EXPECT_EQ(request("GET ftp://example.com/ HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET http://user@example.com/ HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET http:///path HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET http://exa%6dple.com/ HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET example.com/x HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  // Still HTTP/1.1: Host is required even though the target names the host.
  EXPECT_EQ(request("GET http://example.com/ HTTP/1.1\r\n\r\n"), error(400));
}

TEST(H1Request, AuthorityFormOnlyWithConnect) {
  RequestHead h;
  const std::string in = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
  ASSERT_EQ(describe(parse(in, h)), complete(in.size()));
  EXPECT_EQ(h.method, "CONNECT");
  EXPECT_EQ(h.host, "example.com:443");
  EXPECT_EQ(h.path, "");
  EXPECT_EQ(h.query, "");
  EXPECT_EQ(request("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n"),
            complete(std::string("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: x\r\n\r\n").size()));

  EXPECT_EQ(request("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("CONNECT example.com: HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("CONNECT example.com:65536 HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("CONNECT http://example.com:443/ HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("CONNECT * HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET example.com:443 HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
}

TEST(H1Request, AsteriskFormOnlyWithOptions) {
  RequestHead h;
  const std::string in = "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n";
  ASSERT_EQ(describe(parse(in, h)), complete(in.size()));
  EXPECT_EQ(h.target, "*");
  EXPECT_EQ(h.path, "");
  EXPECT_EQ(h.host, "example.com");
  EXPECT_EQ(request("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
}

TEST(H1Request, HeadersKeptInOrderWithOwsTrimmed) {
  const std::string in =
      "GET / HTTP/1.1\r\nHost:example.com\r\nConnection: keep-alive\r\nX-A: \t a \t b \t\r\n"
      "X-Empty:\r\nX-Spaces:   \r\nTransfer-Encoding: chunked\r\nX-Utf8: caf\xc3\xa9\r\n\r\n";
  RequestHead h;
  ASSERT_EQ(describe(parse(in, h)), complete(in.size()));
  ASSERT_EQ(h.headers.size(), 7u);
  EXPECT_EQ(h.headers[0].value, "example.com");
  EXPECT_EQ(h.headers[1].name, "Connection");  // hop-by-hop fields are kept
  EXPECT_EQ(h.headers[2].value, "a \t b");
  EXPECT_EQ(h.headers[3].value, "");
  EXPECT_EQ(h.headers[4].value, "");
  EXPECT_EQ(h.headers[5].name, "Transfer-Encoding");
  EXPECT_EQ(h.headers[6].value, "caf\xc3\xa9");
  ASSERT_NE(h.find("x-a"), nullptr);
  EXPECT_EQ(h.find("x-a")->value, "a \t b");
}

TEST(H1Request, LeadingEmptyLinesTolerated) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(request("\r\n" + head), complete(head.size() + 2));
  EXPECT_EQ(request("\r\n\r\n\r\n\r\n" + head), complete(head.size() + 8));
  EXPECT_EQ(request("\r\n\r\n\r\n\r\n\r\n" + head), error(400));
  EXPECT_EQ(request("\n" + head), error(400));
  EXPECT_EQ(request("\r" + head), error(400));
  EXPECT_EQ(request("\r\n\r"), kIncomplete);
  EXPECT_EQ(request(""), kIncomplete);
}

TEST(H1Request, PipelinedStopsAtFirstHead) {
  const std::string first = "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string in = first + second;
  RequestHead h;
  ParseResult r = parse(in, h);
  ASSERT_EQ(describe(r), complete(first.size()));
  EXPECT_EQ(h.path, "/1");
  r = parse(std::string_view(in).substr(r.consumed), h);
  ASSERT_EQ(describe(r), complete(second.size()));
  EXPECT_EQ(h.path, "/2");
}

TEST(H1Request, BodyBytesAreNotConsumed) {
  const std::string head = "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  RequestHead h;
  const ParseResult r = parse(head + "hello\r\n\r\nGET / HTTP/1.1\r\n", h);
  ASSERT_EQ(describe(r), complete(head.size()));
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(H1Request, ReusedHeadIsCleared) {
  RequestHead h;
  ASSERT_EQ(
      parse(with_fields("Content-Length: 3\r\nUpgrade: x\r\nConnection: upgrade\r\n"), h).status,
      ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.upgrade);
  ASSERT_EQ(parse("GET /?q HTTP/1.0\r\n\r\n", h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.headers.size(), 0u);
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_EQ(h.content_length, 0u);
  EXPECT_FALSE(h.flags.upgrade);
  EXPECT_EQ(h.upgrade_protocol, "");
  EXPECT_EQ(h.host, "");
  EXPECT_EQ(h.query, "q");
}

// --- request line -------------------------------------------------------------------

TEST(H1Request, MethodMustBeToken) {
  EXPECT_EQ(request("GE(T / HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("G\xc3\x89T / HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  const std::string ext = "M-SEARCH * HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(request(ext), error(400));  // asterisk-form is for OPTIONS only
  const std::string custom = "PURGE /x HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(request(custom), complete(custom.size()));
}

TEST(H1Request, TargetMustBeVisibleAscii) {
  EXPECT_EQ(request("GET /a\x01z HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET /a\x7fz HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request(std::string("GET /a\0z HTTP/1.1\r\nHost: h\r\n\r\n"s)), error(400));
  EXPECT_EQ(request("GET /a\tz HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
}

TEST(H1Request, ExactlyOneSpaceBetweenParts) {
  EXPECT_EQ(request("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET /  HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / a HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
}

TEST(H1Request, VersionRules) {
  EXPECT_EQ(request("GET /\r\n\r\n"), error(400));  // HTTP/0.9
  EXPECT_EQ(request("GET / \r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), error(505));
  EXPECT_EQ(request("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), error(505));
  EXPECT_EQ(request("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), error(505));
  EXPECT_EQ(request("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / http/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/2\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTPS/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.x\r\nHost: h\r\n\r\n"), error(400));
}

TEST(H1Request, RequestLineErrorsReportedBeforeHeadEnds) {
  EXPECT_EQ(request("GET / HTTP/2.0\r\nHost: h\r\n"), error(505));
  EXPECT_EQ(request("GET  / HTTP/1.1\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\n"), kIncomplete);
}

TEST(H1Request, RequestLineLimit) {
  ParserLimits lim;
  lim.max_request_line = 64;
  // "GET " + target + " HTTP/1.1" is 13 bytes plus the target.
  const std::string at_limit = "GET /" + std::string(50, 'a') + " HTTP/1.1";
  const std::string over = "GET /" + std::string(51, 'a') + " HTTP/1.1";
  ASSERT_EQ(at_limit.size(), 64u);
  EXPECT_EQ(request(at_limit + "\r\nHost: h\r\n\r\n", lim), complete(at_limit.size() + 13));
  EXPECT_EQ(request(over + "\r\nHost: h\r\n\r\n", lim), error(414));
  // Before its CRLF arrived.
  EXPECT_EQ(request(at_limit, lim), kIncomplete);
  EXPECT_EQ(request(at_limit + "\r", lim), kIncomplete);
  EXPECT_EQ(request(over, lim), error(414));
  EXPECT_EQ(request("GET /" + std::string(5000, 'a'), lim), error(414));
  // Leading empty lines do not count toward the line.
  EXPECT_EQ(request("\r\n" + at_limit + "\r\nHost: h\r\n\r\n", lim),
            complete(at_limit.size() + 15));
}

TEST(H1Request, BareLfRejected) {
  EXPECT_EQ(request("GET / HTTP/1.1\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\n\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\n\n"), error(400));
  // Refused as soon as it is seen, not when a blank line that never comes arrives.
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\nX"), error(400));
}

TEST(H1Request, BareCrRejected) {
  EXPECT_EQ(request("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\n\rX: a\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n"), error(400));
}

// --- header fields -------------------------------------------------------------------

TEST(H1Request, ObsFoldRejected) {
  EXPECT_EQ(request(with_fields("X: a\r\n b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("X: a\r\n\tb\r\n")), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), error(400));
}

TEST(H1Request, FieldNameRules) {
  EXPECT_EQ(request(with_fields("X-A : b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("X-A\t: b\r\n")), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), error(400));
  EXPECT_EQ(request(with_fields(": b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("X(A): b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("X A: b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("X\xc3\xa9: b\r\n")), error(400));
  EXPECT_EQ(request(with_fields("NoColon\r\n")), error(400));
  const std::string odd = with_fields("X_!#$%&'*+-.^`|~: b\r\n");
  EXPECT_EQ(request(odd), complete(odd.size()));
}

TEST(H1Request, FieldValueControlCharacters) {
  for (int c = 0; c < 0x20; ++c) {
    if (c == '\t' || c == '\r' || c == '\n') continue;
    // At several offsets, so each lane of the word-at-a-time check is exercised.
    for (size_t pad = 0; pad < 17; ++pad) {
      std::string value(pad, 'v');
      value += static_cast<char>(c);
      value += "tail-bytes";
      EXPECT_EQ(request(with_fields("X: " + value + "\r\n")), error(400))
          << "char " << c << " at " << pad;
    }
  }
  EXPECT_EQ(request(with_fields("X: a\x7f"
                                "b\r\n")),
            error(400));
  EXPECT_EQ(request(with_fields(std::string("X: a\0b\r\n"s))), error(400));
  for (size_t pad = 0; pad < 17; ++pad) {
    const std::string ok = with_fields("X: " + std::string(pad, 'v') + "\t\x80\xff~ end\r\n");
    EXPECT_EQ(request(ok), complete(ok.size())) << pad;
  }
}

TEST(H1Request, HeaderBytesLimit) {
  ParserLimits lim;
  lim.max_header_bytes = 100;
  std::string base = "GET / HTTP/1.1\r\nHost: h\r\nX: ";  // + value + "\r\n\r\n"
  const std::string at_limit = base + std::string(100 - base.size() - 4, 'v') + "\r\n\r\n";
  ASSERT_EQ(at_limit.size(), 100u);
  EXPECT_EQ(request(at_limit, lim), complete(100));
  const std::string over = base + std::string(100 - base.size() - 3, 'v') + "\r\n\r\n";
  EXPECT_EQ(request(over, lim), error(431));
  // Incomplete heads: over the limit is refused before the end arrives.
  EXPECT_EQ(request(at_limit.substr(0, 100), lim), complete(100));
  EXPECT_EQ(request(at_limit.substr(0, 99), lim), kIncomplete);
  EXPECT_EQ(request(base + std::string(200, 'v'), lim), error(431));
  EXPECT_EQ(request(over.substr(0, 100), lim), kIncomplete);
  EXPECT_EQ(request(over.substr(0, 101), lim), error(431));
  // A complete head within the limit is fine even with more bytes after it.
  EXPECT_EQ(request(at_limit + std::string(500, 'x'), lim), complete(100));
}

TEST(H1Request, HeaderCountLimit) {
  ParserLimits lim;
  lim.max_header_count = 3;
  const std::string three = with_fields("A: 1\r\nB: 2\r\n");
  EXPECT_EQ(request(three, lim), complete(three.size()));
  EXPECT_EQ(request(with_fields("A: 1\r\nB: 2\r\nC: 3\r\n"), lim), error(431));
  // Refused before the head ends.
  EXPECT_EQ(request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n", lim), error(431));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n", lim), kIncomplete);
}

TEST(H1Request, HugeLimitsDoNotOverflow) {
  ParserLimits lim;
  lim.max_request_line = SIZE_MAX;
  lim.max_header_bytes = SIZE_MAX;
  lim.max_header_count = SIZE_MAX;
  lim.max_body_bytes = UINT64_MAX;
  const std::string in = with_fields("Content-Length: 18446744073709551615\r\n");
  EXPECT_EQ(request(in, lim), complete(in.size()));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: h\r\n", lim), kIncomplete);
  EXPECT_EQ(request("GET / HT", lim), kIncomplete);
}

TEST(H1Request, DefaultLimits) {
  ParserLimits lim;
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 99; ++i) many += "X: y\r\n";
  EXPECT_EQ(request(many + "\r\n", lim), complete(many.size() + 2));
  EXPECT_EQ(request(many + "X: y\r\n\r\n", lim), error(431));
}

// --- Host ------------------------------------------------------------------------------

TEST(H1Request, HostRules) {
  EXPECT_EQ(request("GET / HTTP/1.1\r\nX: y\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a.com,b.com\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: user@a.com\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a.com/x\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a.com:\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a.com:99999\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: a.com:8x\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: [zz]\r\n\r\n"), error(400));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nHost: caf\xc3\xa9.com\r\n\r\n"), error(400));

  RequestHead h;
  for (const char* ok : {"a.example.com", "localhost:8080", "[::1]:443", "[2001:db8::1]",
                         "192.0.2.1:80", "my_host-1.example"}) {
    const std::string in = std::string("GET / HTTP/1.1\r\nHost: ") + ok + "\r\n\r\n";
    ASSERT_EQ(describe(parse(in, h)), complete(in.size())) << ok;
    EXPECT_EQ(h.host, ok);
  }
  // An empty Host is what RFC 9110 7.2 asks for when there is no authority.
  ASSERT_EQ(describe(parse("GET / HTTP/1.1\r\nHost: \r\n\r\n", h)), complete(26));
  EXPECT_EQ(h.host, "");
}

// --- framing ------------------------------------------------------------------------------

}  // namespace
}  // namespace rampart::http
