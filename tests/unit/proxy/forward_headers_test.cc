// What is forwarded to the origin and back: hop-by-hop filtering, X-Forwarded-*,
// Forwarded, Via, X-Request-Id, the trusted-proxy client address, idempotency.

#include "proxy/forward_headers.h"

#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "http/h1_parser.h"

namespace {

using rampart::core::Cidr;
using rampart::core::CidrSet;
using rampart::core::IpAddress;
using rampart::http::Header;
using rampart::http::RequestHead;
using rampart::http::ResponseHead;
using rampart::proxy::build_upstream_headers;
using rampart::proxy::effective_client_ip;
using rampart::proxy::filter_response_headers;
using rampart::proxy::ForwardingFacts;
using rampart::proxy::ForwardScratch;
using rampart::proxy::is_idempotent;
using rampart::proxy::named_in_connection;

IpAddress ip(std::string_view text) {
  auto parsed = IpAddress::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(IpAddress{});
}

CidrSet cidrs(std::initializer_list<std::string_view> list) {
  CidrSet set;
  for (std::string_view c : list) {
    auto parsed = Cidr::parse(c);
    EXPECT_TRUE(parsed.has_value()) << c;
    if (parsed) set.add(*parsed);
  }
  return set;
}

std::string render(const std::vector<Header>& headers) {
  std::string out;
  for (const Header& h : headers) out.append(h.name).append(": ").append(h.value).append("\n");
  return out;
}

std::vector<std::string> values(const std::vector<Header>& headers, std::string_view name) {
  std::vector<std::string> out;
  for (const Header& h : headers) {
    if (rampart::http::iequals(h.name, name)) out.emplace_back(h.value);
  }
  return out;
}

// Owns the request text the parsed head points into.
struct Parsed {
  explicit Parsed(std::string text_in) : text(std::move(text_in)) {
    auto result = rampart::http::parse_request_head(text, {}, head);
    ok = result.status == rampart::http::ParseStatus::kComplete;
    EXPECT_TRUE(ok) << "parse failed (" << result.error.status << " " << result.error.reason
                    << "): " << text;
  }
  Parsed(const Parsed&) = delete;  // `head` points into `text`
  Parsed& operator=(const Parsed&) = delete;
  std::string text;
  RequestHead head;
  bool ok = false;
};

Parsed get_with(std::string_view fields) {
  return Parsed("GET /p?q=1 HTTP/1.1\r\nHost: shop.example\r\n" + std::string(fields) + "\r\n");
}

class ForwardHeaders : public ::testing::Test {
 protected:
  std::vector<Header> build(const Parsed& p, std::string_view peer_text = "203.0.113.5",
                            bool trusted = false, bool upgrade = false,
                            std::string_view proto = "http") {
    peer_ = ip(peer_text);
    ForwardingFacts facts;
    facts.peer = &peer_;
    facts.peer_trusted = trusted;
    facts.request_id = "rid-42";
    facts.proto = proto;
    facts.upgrade = upgrade;
    // A scratch belongs to one connection (it caches the peer's text): a fresh one per
    // call, kept alive because the returned headers point into it.
    ForwardScratch& scratch = scratches_.emplace_back();
    std::vector<Header> out = {{"Stale", "left over"}};
    build_upstream_headers(p.head, facts, scratch, out);
    return out;
  }

  IpAddress peer_;
  std::deque<ForwardScratch> scratches_;
};

TEST_F(ForwardHeaders, PlainRequestGetsExactlyTheForwardingHeaders) {
  Parsed p = get_with("Accept: */*\r\nUser-Agent: t/1\r\n");
  EXPECT_EQ(render(build(p)),
            "Host: shop.example\n"
            "Accept: */*\n"
            "User-Agent: t/1\n"
            "X-Forwarded-For: 203.0.113.5\n"
            "X-Forwarded-Proto: http\n"
            "Forwarded: for=203.0.113.5;proto=http;host=\"shop.example\"\n"
            "Via: 1.1 rampart\n"
            "X-Request-Id: rid-42\n");
}

// RFC 9112 3.2.2: with an absolute-form target the authority is the host; the Host
// header is replaced, never sent twice.
TEST_F(ForwardHeaders, AbsoluteFormTargetSetsTheHost) {
  Parsed p(
      "GET http://other.example:8080/p?q=1 HTTP/1.1\r\nHost: shop.example\r\n"
      "Accept: */*\r\n\r\n");
  auto out = build(p);
  EXPECT_EQ(values(out, "host"), (std::vector<std::string>{"other.example:8080"}));
  EXPECT_EQ(values(out, "forwarded"),
            (std::vector<std::string>{"for=203.0.113.5;proto=http;host=\"other.example:8080\""}));
}

TEST_F(ForwardHeaders, DropsHopByHopHeaders) {
  Parsed p = get_with(
      "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
      "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nTrailer: X-Sum\r\n"
      "Upgrade: h2c\r\nAccept: */*\r\n");
  auto out = build(p);
  for (std::string_view name : {"connection", "keep-alive", "te", "proxy-connection",
                                "proxy-authorization", "trailer", "upgrade", "transfer-encoding"}) {
    EXPECT_TRUE(values(out, name).empty()) << name << " in\n" << render(out);
  }
  EXPECT_EQ(values(out, "accept"), (std::vector<std::string>{"*/*"}));
  EXPECT_EQ(values(out, "host"), (std::vector<std::string>{"shop.example"}));
}

TEST_F(ForwardHeaders, DropsHeadersNamedInConnection) {
  Parsed p = get_with(
      "Connection: close, X-Secret ,x-other\r\nX-Secret: 1\r\nX-SECRET: 2\r\nX-Other: o\r\n"
      "X-Kept: k\r\nConnection: X-Later\r\nX-Later: l\r\n");
  auto out = build(p);
  EXPECT_TRUE(values(out, "x-secret").empty()) << render(out);
  EXPECT_TRUE(values(out, "x-other").empty()) << render(out);
  EXPECT_TRUE(values(out, "x-later").empty()) << render(out);
  EXPECT_TRUE(values(out, "connection").empty()) << render(out);
  EXPECT_EQ(values(out, "x-kept"), (std::vector<std::string>{"k"}));
}

TEST_F(ForwardHeaders, ConnectionCannotStripRampartsOwnHeaders) {
  Parsed p = get_with("Connection: X-Forwarded-For, Via, X-Request-Id, Forwarded\r\n");
  auto out = build(p);
  EXPECT_EQ(values(out, "x-forwarded-for"), (std::vector<std::string>{"203.0.113.5"}));
  EXPECT_EQ(values(out, "via"), (std::vector<std::string>{"1.1 rampart"}));
  EXPECT_EQ(values(out, "x-request-id"), (std::vector<std::string>{"rid-42"}));
  EXPECT_EQ(values(out, "forwarded").size(), 1u);
}

TEST_F(ForwardHeaders, DropsExpect) {
  Parsed p = Parsed(
      "POST /upload HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\n\r\n");
  ASSERT_TRUE(p.head.flags.expect_continue);
  auto out = build(p);
  EXPECT_TRUE(values(out, "expect").empty()) << render(out);
  EXPECT_EQ(values(out, "content-length"), (std::vector<std::string>{"5"}));
  EXPECT_TRUE(values(out, "transfer-encoding").empty());
}

TEST_F(ForwardHeaders, UntrustedPeerReplacesClientForwardingHeaders) {
  Parsed p = get_with(
      "X-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\nX-Forwarded-Proto: https\r\n"
      "X-Request-Id: forged\r\nVia: 1.0 evil\r\n");
  auto out = build(p, "203.0.113.5", /*trusted=*/false);
  EXPECT_EQ(values(out, "x-forwarded-for"), (std::vector<std::string>{"203.0.113.5"}));
  EXPECT_EQ(values(out, "forwarded"),
            (std::vector<std::string>{"for=203.0.113.5;proto=http;host=\"shop.example\""}));
  EXPECT_EQ(values(out, "x-forwarded-proto"), (std::vector<std::string>{"http"}));
  EXPECT_EQ(values(out, "x-request-id"), (std::vector<std::string>{"rid-42"}));
  EXPECT_EQ(values(out, "via"), (std::vector<std::string>{"1.1 rampart"}));
}

TEST_F(ForwardHeaders, TrustedPeerAppendsToClientForwardingHeaders) {
  Parsed p = get_with("X-Forwarded-For: 1.2.3.4, 5.6.7.8\r\nForwarded: for=1.2.3.4\r\n");
  auto out = build(p, "10.0.0.1", /*trusted=*/true, false, "https");
  EXPECT_EQ(values(out, "x-forwarded-for"),
            (std::vector<std::string>{"1.2.3.4, 5.6.7.8, 10.0.0.1"}));
  EXPECT_EQ(
      values(out, "forwarded"),
      (std::vector<std::string>{"for=1.2.3.4, for=10.0.0.1;proto=https;host=\"shop.example\""}));
  EXPECT_EQ(values(out, "x-forwarded-proto"), (std::vector<std::string>{"https"}));
}

TEST_F(ForwardHeaders, TrustedPeerWithoutClientHeadersStartsTheChain) {
  Parsed p = get_with("");
  auto out = build(p, "10.0.0.1", /*trusted=*/true);
  EXPECT_EQ(values(out, "x-forwarded-for"), (std::vector<std::string>{"10.0.0.1"}));
  EXPECT_EQ(values(out, "forwarded"),
            (std::vector<std::string>{"for=10.0.0.1;proto=http;host=\"shop.example\""}));
}

// RFC 9110 5.3: several field lines of one name are one comma-separated list. A trusted
// proxy that sent X-Forwarded-For on two lines must have both forwarded, in order;
// effective_client_ip already reads every line.
TEST_F(ForwardHeaders, TrustedPeerKeepsEveryXForwardedForLine) {
  Parsed p = get_with("X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n");
  auto out = build(p, "10.0.0.1", /*trusted=*/true);
  EXPECT_EQ(values(out, "x-forwarded-for"),
            (std::vector<std::string>{"1.1.1.1, 2.2.2.2, 10.0.0.1"}));
}

TEST_F(ForwardHeaders, Ipv6PeerIsQuotedAndBracketedInForwarded) {
  Parsed p = get_with("");
  auto out = build(p, "::1");
  EXPECT_EQ(values(out, "forwarded"),
            (std::vector<std::string>{"for=\"[::1]\";proto=http;host=\"shop.example\""}));
  EXPECT_EQ(values(out, "x-forwarded-for"), (std::vector<std::string>{"::1"}));
  out = build(p, "2001:DB8:0:0::7");
  EXPECT_EQ(values(out, "forwarded"),
            (std::vector<std::string>{"for=\"[2001:db8::7]\";proto=http;host=\"shop.example\""}));
}

TEST_F(ForwardHeaders, HttpOneZeroWithoutHostHasNoForwardedHost) {
  Parsed p("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n");
  auto out = build(p);
  EXPECT_EQ(values(out, "forwarded"), (std::vector<std::string>{"for=203.0.113.5;proto=http"}));
}

TEST_F(ForwardHeaders, ChunkedBodyGetsOneTransferEncoding) {
  Parsed p(
      "POST /up HTTP/1.1\r\nHost: shop.example\r\nTransfer-Encoding: chunked\r\n"
      "Content-Type: text/plain\r\n\r\n");
  ASSERT_EQ(p.head.body, rampart::http::BodyKind::kChunked);
  auto out = build(p);
  EXPECT_EQ(values(out, "transfer-encoding"), (std::vector<std::string>{"chunked"}));
  EXPECT_EQ(render(out),
            "Host: shop.example\n"
            "Content-Type: text/plain\n"
            "Transfer-Encoding: chunked\n"
            "X-Forwarded-For: 203.0.113.5\n"
            "X-Forwarded-Proto: http\n"
            "Forwarded: for=203.0.113.5;proto=http;host=\"shop.example\"\n"
            "Via: 1.1 rampart\n"
            "X-Request-Id: rid-42\n");
}

TEST_F(ForwardHeaders, UpgradeHeadersOnlyWhenAsked) {
  Parsed p = get_with(
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n");
  ASSERT_TRUE(p.head.flags.upgrade);
  ASSERT_EQ(p.head.upgrade_protocol, "websocket");

  auto without = build(p, "203.0.113.5", false, /*upgrade=*/false);
  EXPECT_TRUE(values(without, "upgrade").empty()) << render(without);
  EXPECT_TRUE(values(without, "connection").empty()) << render(without);
  EXPECT_EQ(values(without, "sec-websocket-key").size(), 1u);

  auto with = build(p, "203.0.113.5", false, /*upgrade=*/true);
  EXPECT_EQ(values(with, "connection"), (std::vector<std::string>{"upgrade"}));
  EXPECT_EQ(values(with, "upgrade"), (std::vector<std::string>{"websocket"}));
  EXPECT_EQ(values(with, "sec-websocket-version"), (std::vector<std::string>{"13"}));
}

// One scratch serves every request of a connection, cleared between requests.
TEST_F(ForwardHeaders, ScratchReusedAfterClearGivesTheSameResult) {
  Parsed p = get_with("X-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\n");
  IpAddress peer = ip("10.0.0.1");
  ForwardingFacts facts;
  facts.peer = &peer;
  facts.peer_trusted = true;
  facts.request_id = "r";
  ForwardScratch scratch;
  std::vector<Header> out;
  build_upstream_headers(p.head, facts, scratch, out);
  std::string first = render(out);
  EXPECT_EQ(values(out, "x-forwarded-for"), (std::vector<std::string>{"1.2.3.4, 10.0.0.1"}));
  for (int i = 0; i < 3; ++i) {
    scratch.clear();
    build_upstream_headers(p.head, facts, scratch, out);
    EXPECT_EQ(render(out), first) << i;
  }
}

TEST(NamedInConnection, TokensAreTrimmedAndCaseInsensitive) {
  std::vector<Header> headers = {
      {"Connection", " keep-alive ,\tX-Foo,, "}, {"connection", "x-bar"}, {"X-Baz", "1"}};
  EXPECT_TRUE(named_in_connection(headers, "x-foo"));
  EXPECT_TRUE(named_in_connection(headers, "X-BAR"));
  EXPECT_TRUE(named_in_connection(headers, "Keep-Alive"));
  EXPECT_FALSE(named_in_connection(headers, "x-baz"));
  EXPECT_FALSE(named_in_connection(headers, "x-fo"));
  EXPECT_FALSE(named_in_connection(headers, ""));
  EXPECT_FALSE(named_in_connection({}, "x-foo"));
}

// --- responses -----------------------------------------------------------------------

TEST(FilterResponseHeaders, DropsHopByHopAndConnectionNamedHeaders) {
  std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: keep-alive, X-Internal\r\n"
      "Keep-Alive: timeout=5\r\nX-Internal: secret\r\nTransfer-Encoding: chunked\r\n"
      "Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nProxy-Authenticate: Basic\r\n\r\n";
  ResponseHead head;
  ASSERT_EQ(rampart::http::parse_response_head(text, "GET", {}, head).status,
            rampart::http::ParseStatus::kComplete);
  std::vector<Header> out = {{"Stale", "x"}};
  filter_response_headers(head, out);
  EXPECT_EQ(render(out), "Content-Type: text/html\nSet-Cookie: a=1\nSet-Cookie: b=2\n");
}

TEST(FilterResponseHeaders, NoConnectionHeaderKeepsEverythingElse) {
  std::string text = "HTTP/1.1 204 No Content\r\nX-A: 1\r\nServer: origin\r\nX-A: 2\r\n\r\n";
  ResponseHead head;
  ASSERT_EQ(rampart::http::parse_response_head(text, "GET", {}, head).status,
            rampart::http::ParseStatus::kComplete);
  std::vector<Header> out;
  filter_response_headers(head, out);
  EXPECT_EQ(render(out), "X-A: 1\nServer: origin\nX-A: 2\n");
}

// --- the client address ----------------------------------------------------------------

class EffectiveClientIp : public ::testing::Test {
 protected:
  std::string client(std::string_view peer, std::string_view fields) {
    Parsed p = get_with(fields);
    return effective_client_ip(p.head, ip(peer), trusted_).to_string();
  }
  CidrSet trusted_ = cidrs({"10.0.0.0/8", "fd00::/8"});
};

TEST_F(EffectiveClientIp, UntrustedPeerIsTheClient) {
  EXPECT_EQ(client("203.0.113.5", "X-Forwarded-For: 1.2.3.4\r\n"), "203.0.113.5");
  EXPECT_EQ(client("203.0.113.5", ""), "203.0.113.5");
}

TEST_F(EffectiveClientIp, EmptyTrustedSetTrustsNobody) {
  trusted_ = CidrSet{};
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 1.2.3.4\r\n"), "10.0.0.1");
}

TEST_F(EffectiveClientIp, TrustedPeerWithoutXffIsTheClient) {
  EXPECT_EQ(client("10.0.0.1", ""), "10.0.0.1");
}

TEST_F(EffectiveClientIp, TrustedPeerUsesRightmostUntrustedHop) {
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 1.2.3.4\r\n"), "1.2.3.4");
  // The leftmost entry is whatever the client claimed: never believed past an
  // untrusted hop.
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 6.6.6.6, 1.2.3.4, 10.9.9.9, 10.0.0.2\r\n"),
            "1.2.3.4");
}

TEST_F(EffectiveClientIp, WalksAcrossSeveralXffLines) {
  EXPECT_EQ(
      client("10.0.0.1", "X-Forwarded-For: 6.6.6.6\r\nx-forwarded-for: 1.2.3.4, 10.0.0.2\r\n"),
      "1.2.3.4");
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 10.0.0.2\r\n"),
            "6.6.6.6");
}

TEST_F(EffectiveClientIp, AllHopsTrustedGivesTheLeftmost) {
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 10.0.0.3, 10.0.0.2\r\n"), "10.0.0.3");
}

TEST_F(EffectiveClientIp, GarbageStopsTheWalk) {
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 1.2.3.4, garbage\r\n"), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 6.6.6.6, garbage, 10.0.0.2\r\n"), "10.0.0.2");
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 1.2.3.4:5678\r\n"), "10.0.0.1");
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: unknown\r\n"), "10.0.0.1");
}

TEST_F(EffectiveClientIp, EmptyEntriesAreSkipped) {
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 1.2.3.4, ,\r\n"), "1.2.3.4");
}

TEST_F(EffectiveClientIp, Ipv6Hops) {
  EXPECT_EQ(client("fd00::1", "X-Forwarded-For: 2001:db8::5, fd12::9\r\n"), "2001:db8::5");
  EXPECT_EQ(client("10.0.0.1", "X-Forwarded-For: 2001:DB8::5\r\n"), "2001:db8::5");
}

// --- idempotency -----------------------------------------------------------------------

TEST(IsIdempotent, MethodsOfRfc9110) {
  for (std::string_view m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    EXPECT_TRUE(is_idempotent(m)) << m;
  }
  for (std::string_view m : {"POST", "PATCH", "CONNECT", "get", "", "PROPFIND"}) {
    EXPECT_FALSE(is_idempotent(m)) << m;
  }
}

}  // namespace
