// Request framing: Content-Length, Transfer-Encoding, Upgrade and Expect, and the
// every-prefix checks of the request parser.

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

TEST(H1Request, ContentLength) {
  RequestHead h;
  ASSERT_EQ(parse(with_fields("Content-Length: 42\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 42u);
  ASSERT_EQ(parse(with_fields("content-length:  7 \r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.content_length, 7u);
  ASSERT_EQ(parse(with_fields("Content-Length: 0\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kNone);
  EXPECT_EQ(h.content_length, 0u);
  ASSERT_EQ(parse(with_fields("Content-Length: 0018446744073709551615\r\n"), h).status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.content_length, 18446744073709551615u);
}

TEST(H1Request, ContentLengthErrors) {
  EXPECT_EQ(request(with_fields("Content-Length: 5\r\nContent-Length: 5\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 5\r\nContent-Length: 6\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 5, 5\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 5,5\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: +5\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: -1\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 5a\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 0x5\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 1 2\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length:\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 18446744073709551616\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 99999999999999999999999\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Content-Length : 5\r\n")), error(400));
}

TEST(H1Request, ContentLengthOverBodyLimit) {
  ParserLimits lim;
  lim.max_body_bytes = 1000;
  const std::string at = with_fields("Content-Length: 1000\r\n");
  EXPECT_EQ(request(at, lim), complete(at.size()));
  EXPECT_EQ(request(with_fields("Content-Length: 1001\r\n"), lim), error(413));
  lim.max_body_bytes = 0;  // unlimited
  const std::string big = with_fields("Content-Length: 1000000000000\r\n");
  EXPECT_EQ(request(big, lim), complete(big.size()));
}

TEST(H1Request, TransferEncodingChunked) {
  RequestHead h;
  for (const char* v : {"chunked", "Chunked", "CHUNKED", " \tchunked\t "}) {
    ASSERT_EQ(parse(with_fields(std::string("Transfer-Encoding:") + v + "\r\n"), h).status,
              ParseStatus::kComplete)
        << v;
    EXPECT_EQ(h.body, BodyKind::kChunked);
    EXPECT_EQ(h.content_length, 0u);
  }
}

TEST(H1Request, TransferEncodingErrors) {
  const auto te = [](std::string_view v) {
    return request(with_fields("Transfer-Encoding: " + std::string(v) + "\r\n"));
  };
  EXPECT_EQ(te("gzip"), error(501));
  EXPECT_EQ(te("identity"), error(501));
  EXPECT_EQ(te("gzip, chunked"), error(501));
  EXPECT_EQ(te("deflate,chunked"), error(501));
  EXPECT_EQ(te("chunked, gzip"), error(400));
  EXPECT_EQ(te("chunked, chunked"), error(400));
  EXPECT_EQ(te("chunked,"), error(400));
  EXPECT_EQ(te(",chunked"), error(400));
  EXPECT_EQ(te("chunked;q=1"), error(400));
  EXPECT_EQ(te("chunked x"), error(400));
  EXPECT_EQ(te("\"chunked\""), error(400));
  EXPECT_EQ(te(""), error(400));
  EXPECT_EQ(te("chunked\x0b"), error(400));
  EXPECT_EQ(request(with_fields("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            error(400));
  EXPECT_EQ(request(with_fields("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            error(400));
  EXPECT_EQ(request(with_fields("Transfer-Encoding : chunked\r\n")), error(400));
  EXPECT_EQ(request(with_fields("Transfer-Encoding: chunked\r\n", "HTTP/1.0")), error(400));
}

TEST(H1Request, TransferEncodingWithContentLength) {
  EXPECT_EQ(request(with_fields("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
            error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            error(400));
  EXPECT_EQ(request(with_fields("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n")),
            error(400));
}

TEST(H1Request, SmugglingLookalikesAreOrdinaryFields) {
  // Not framing fields (a name is exact), so no conflict; the proxy sees them as-is.
  RequestHead h;
  ASSERT_EQ(parse(with_fields("Content-Length: 3\r\nTransfer_Encoding: chunked\r\n"
                              "Content-Length-X: 9\r\n"),
                  h)
                .status,
            ParseStatus::kComplete);
  EXPECT_EQ(h.body, BodyKind::kContentLength);
  EXPECT_EQ(h.content_length, 3u);
}

// --- Upgrade / Expect ----------------------------------------------------------------------

TEST(H1Request, Upgrade) {
  RequestHead h;
  ASSERT_EQ(
      parse(with_fields("Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n"), h).status,
      ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.upgrade);
  EXPECT_EQ(h.upgrade_protocol, "websocket");
  EXPECT_TRUE(h.flags.keep_alive);

  ASSERT_EQ(parse(with_fields("Upgrade: websocket\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.upgrade);
  EXPECT_EQ(h.upgrade_protocol, "");
  ASSERT_EQ(parse(with_fields("Connection: upgrade\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.upgrade);
  ASSERT_EQ(parse(with_fields("Connection: upgrade\r\nUpgrade: h2c\r\n", "HTTP/1.0"), h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.upgrade);  // RFC 9110 7.8: ignored in HTTP/1.0
}

TEST(H1Request, Expect) {
  RequestHead h;
  ASSERT_EQ(parse(with_fields("Expect: 100-continue\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.expect_continue);
  ASSERT_EQ(parse(with_fields("expect: 100-Continue\r\n"), h).status, ParseStatus::kComplete);
  EXPECT_TRUE(h.flags.expect_continue);
  ASSERT_EQ(parse(with_fields("Expect: 100-continue\r\n", "HTTP/1.0"), h).status,
            ParseStatus::kComplete);
  EXPECT_FALSE(h.flags.expect_continue);
  EXPECT_EQ(request(with_fields("Expect: 100-continue-x\r\n")), error(417));
  EXPECT_EQ(request(with_fields("Expect: foo\r\n")), error(417));
  EXPECT_EQ(request(with_fields("Expect:\r\n")), error(417));
  EXPECT_EQ(request(with_fields("Expect: 100-continue\r\nExpect: bar\r\n")), error(417));
}

// --- incremental feeding ---------------------------------------------------------------

// The caller re-parses the whole buffer as bytes arrive: every prefix must give
// "incomplete" or the final error, never a different answer.
void check_every_prefix(const std::string& in, const ParserLimits& lim = {}) {
  RequestHead full_head;
  const ParseResult full = parse_request_head(in, lim, full_head);
  const std::string want = describe(full);
  const size_t end = full.status == ParseStatus::kComplete ? full.consumed : in.size();
  for (size_t k = 0; k < end; ++k) {
    RequestHead h;
    const std::string got = describe(parse_request_head(std::string_view(in).substr(0, k), lim, h));
    if (full.status == ParseStatus::kComplete) {
      ASSERT_EQ(got, kIncomplete) << "prefix " << k << " of " << in;
    } else if (got != kIncomplete) {
      ASSERT_EQ(got, want) << "prefix " << k << " of " << in;
    }
  }
  for (size_t k = end; k <= in.size(); ++k) {
    RequestHead h;
    ASSERT_EQ(describe(parse_request_head(std::string_view(in).substr(0, k), lim, h)), want)
        << "prefix " << k << " of " << in;
    if (full.status == ParseStatus::kComplete) {
      EXPECT_EQ(h.method, full_head.method);
      EXPECT_EQ(h.target, full_head.target);
      EXPECT_EQ(h.headers.size(), full_head.headers.size());
      EXPECT_EQ(h.body, full_head.body);
    }
  }
}

TEST(H1Request, EveryPrefixOfValidRequests) {
  check_every_prefix("GET /a?b HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n");
  check_every_prefix("\r\n\r\nPOST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc");
  check_every_prefix("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
  check_every_prefix("CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n");
  check_every_prefix("GET / HTTP/1.0\r\n\r\n");
}

TEST(H1Request, EveryPrefixOfInvalidRequests) {
  ParserLimits small;
  small.max_request_line = 20;
  small.max_header_bytes = 60;
  small.max_header_count = 2;
  for (const char* in :
       {"GET / HTTP/1.1\r\nHost: h\r\nX : y\r\n\r\n", "GET / HTTP/2.0\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n",
        "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
        "GET / HTTP/1.1\r\nA: 11111111111111111111111111111111111111111111\r\n\r\n",
        "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n"}) {
    check_every_prefix(in, small);
  }
}

TEST(H1Request, StatusesOfSmallLimitsCases) {
  ParserLimits small;
  small.max_request_line = 20;
  small.max_header_bytes = 60;
  small.max_header_count = 2;
  EXPECT_EQ(request("GET /aaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n", small), error(414));
  EXPECT_EQ(request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", small), error(431));
  EXPECT_EQ(
      request("GET / HTTP/1.1\r\nA: 11111111111111111111111111111111111111111111\r\n\r\n", small),
      error(431));
}

}  // namespace
}  // namespace rampart::http
