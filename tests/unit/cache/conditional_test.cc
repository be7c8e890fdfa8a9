#include "cache/conditional.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

TEST(EntityTag, ParseTable) {
  struct Row {
    std::string_view section;
    std::string_view text;
    bool ok;
    bool weak = false;
    std::string_view opaque = "";
  };
  const std::string long_tag = "\"" + std::string(kMaxEntityTagBytes + 1, 'a') + "\"";
  const std::string max_tag = "\"" + std::string(kMaxEntityTagBytes, 'a') + "\"";
  const Row rows[] = {
      {"9110 8.8.3 strong", "\"xyzzy\"", true, false, "xyzzy"},
      {"9110 8.8.3 weak", "W/\"xyzzy\"", true, true, "xyzzy"},
      {"9110 8.8.3 empty opaque-tag", "\"\"", true, false, ""},
      {"9110 8.8.3 comma is an etagc", "\"a,b\"", true, false, "a,b"},
      {"9110 8.8.3 OWS trimmed", "  \"a\" ", true, false, "a"},
      {"9110 8.8.3 obs-text allowed", "\"\xc3\xa9\"", true, false, "\xc3\xa9"},
      {"9110 8.8.3 unquoted", "xyzzy", false},
      {"9110 8.8.3 lower-case w/ is not weak", "w/\"a\"", false},
      {"9110 8.8.3 space inside", "\"a b\"", false},
      {"9110 8.8.3 trailing text", "\"a\"b", false},
      {"9110 8.8.3 unterminated", "\"abc", false},
      {"9110 8.8.3 W/ alone", "W/", false},
      {"9110 8.8.3 control character", "\"a\x01\"", false},
      {"cap: longest tag", max_tag, true, false,
       std::string_view(max_tag).substr(1, kMaxEntityTagBytes)},
      {"cap: longer tag", long_tag, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.section);
    const std::optional<EntityTag> t = parse_entity_tag(r.text);
    ASSERT_EQ(t.has_value(), r.ok);
    if (t) {
      EXPECT_EQ(t->weak, r.weak);
      EXPECT_EQ(t->opaque, r.opaque);
    }
  }
}

TEST(EntityTag, ComparisonTableOfRfc9110) {
  // RFC 9110 §8.8.3.2, the four rows of its example table.
  struct Row {
    std::string_view a;
    std::string_view b;
    bool strong;
    bool weak;
  };
  const Row rows[] = {
      {"W/\"1\"", "W/\"1\"", false, true},
      {"W/\"1\"", "W/\"2\"", false, false},
      {"W/\"1\"", "\"1\"", false, true},
      {"\"1\"", "\"1\"", true, true},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(std::string(r.a) + " vs " + std::string(r.b));
    const EntityTag a = *parse_entity_tag(r.a);
    const EntityTag b = *parse_entity_tag(r.b);
    EXPECT_EQ(strong_match(a, b), r.strong);
    EXPECT_EQ(strong_match(b, a), r.strong);
    EXPECT_EQ(weak_match(a, b), r.weak);
    EXPECT_EQ(weak_match(b, a), r.weak);
  }
}

constexpr int64_t kStoredAt = 784111777;
constexpr std::string_view kDate = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kEarlier = "Sun, 06 Nov 1994 07:49:37 GMT";
constexpr std::string_view kLater = "Sun, 06 Nov 1994 09:49:37 GMT";

TEST(Conditional, EvaluateTable) {
  struct Row {
    std::string_view section;
    std::string_view method;
    Headers request;
    Headers stored;
    ConditionalResult want;
    int stored_status = 200;
  };
  const auto k304 = ConditionalResult::kNotModified;
  const auto kFull = ConditionalResult::kSendFull;
  const Headers tagged = {{"ETag", "\"1\""}, {"Last-Modified", kEarlier}, {"Date", kDate}};
  const Headers weak_tagged = {{"ETag", "W/\"1\""}};
  const Headers dated = {{"Last-Modified", kDate}};
  const Row rows[] = {
      {"9110 13.1.2 strong tag matches", "GET", {{"If-None-Match", "\"1\""}}, tagged, k304},
      {"9110 13.1.2 weak comparison: W/ request tag",
       "GET",
       {{"If-None-Match", "W/\"1\""}},
       tagged,
       k304},
      {"9110 13.1.2 weak comparison: weak stored tag",
       "HEAD",
       {{"If-None-Match", "\"1\""}},
       weak_tagged,
       k304},
      {"9110 13.1.2 no match", "GET", {{"If-None-Match", "\"2\""}}, tagged, kFull},
      {"9110 13.1.2 list", "GET", {{"If-None-Match", "\"2\", W/\"1\""}}, tagged, k304},
      {"9110 13.1.2 list over lines",
       "GET",
       {{"If-None-Match", "\"2\""}, {"If-None-Match", "\"1\""}},
       tagged,
       k304},
      {"9110 13.1.2 star matches any stored response",
       "GET",
       {{"If-None-Match", "*"}},
       dated,
       k304},
      {"9110 13.1.2 no stored ETag: no tag matches",
       "GET",
       {{"If-None-Match", "\"1\""}},
       dated,
       kFull},
      {"9110 13.1.2 malformed list sends full",
       "GET",
       {{"If-None-Match", "\"1\", junk"}},
       tagged,
       kFull},
      {"9110 13.1.2 star mixed with tags is malformed",
       "GET",
       {{"If-None-Match", "*"}, {"If-None-Match", "\"1\""}},
       tagged,
       kFull},
      {"9110 13.2.2 If-None-Match decides; If-Modified-Since not used",
       "GET",
       {{"If-None-Match", "\"2\""}, {"If-Modified-Since", kLater}},
       tagged,
       kFull},
      {"9110 13.2.2 even a malformed If-None-Match hides IMS",
       "GET",
       {{"If-None-Match", "junk"}, {"If-Modified-Since", kLater}},
       tagged,
       kFull},
      {"9110 13.1.3 not modified since", "GET", {{"If-Modified-Since", kEarlier}}, tagged, k304},
      {"9110 13.1.3 modified since", "GET", {{"If-Modified-Since", kEarlier}}, dated, kFull},
      {"9110 13.1.3 same second is not modified",
       "GET",
       {{"If-Modified-Since", kDate}},
       dated,
       k304},
      {"9110 13.1.3 invalid date ignored",
       "GET",
       {{"If-Modified-Since", "yesterday"}},
       tagged,
       kFull},
      {"9111 4.3.2 no Last-Modified: stored Date",
       "GET",
       {{"If-Modified-Since", kDate}},
       {{"Date", kDate}},
       k304},
      {"9111 4.3.2 no Last-Modified, later Date",
       "GET",
       {{"If-Modified-Since", kEarlier}},
       {{"Date", kDate}},
       kFull},
      {"9111 4.3.2 neither: time received", "GET", {{"If-Modified-Since", kDate}}, {}, k304},
      {"9110 13.1.3 only GET and HEAD", "POST", {{"If-Modified-Since", kLater}}, tagged, kFull},
      {"9110 13.1.2 only GET and HEAD", "DELETE", {{"If-None-Match", "*"}}, tagged, kFull},
      {"9110 13.2.1 non-2xx stored response",
       "GET",
       {{"If-None-Match", "\"1\""}},
       tagged,
       kFull,
       404},
      {"9110 13.2.2 no condition", "GET", {}, tagged, kFull},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.section);
    EXPECT_EQ(evaluate_conditional(r.method, r.request, r.stored_status, r.stored, kStoredAt),
              r.want);
  }
}

std::string names(const std::vector<http::Header>& h) {
  std::string out;
  for (const http::Header& f : h) out += std::string(f.name) + ";";
  return out;
}

TEST(Conditional, NotModifiedHeaders) {
  // RFC 9110 §15.4.5.
  const Headers stored = {{"Content-Type", "text/html"},
                          {"Content-Length", "10"},
                          {"ETag", "\"1\""},
                          {"Last-Modified", kEarlier},
                          {"Cache-Control", "max-age=5"},
                          {"Vary", "Accept"},
                          {"Date", kDate},
                          {"Expires", kLater},
                          {"Content-Location", "/a"},
                          {"Set-Cookie", "a=b"}};
  EXPECT_EQ(names(not_modified_headers(stored)),
            "ETag;Cache-Control;Vary;Date;Expires;Content-Location;");
  const Headers untagged = {{"Last-Modified", kEarlier}, {"Date", kDate}, {"X-A", "1"}};
  EXPECT_EQ(names(not_modified_headers(untagged)), "Last-Modified;Date;");
}

TEST(Conditional, IfRangeTable) {
  // RFC 9110 §13.1.5: a strong ETag match, or a date equal to a strong Last-Modified.
  const Headers tagged = {{"ETag", "\"v1\""}, {"Last-Modified", kEarlier}, {"Date", kDate}};
  const Headers weak = {{"ETag", "W/\"v1\""}};
  const Headers same_second = {{"Last-Modified", kDate}, {"Date", kDate}};
  struct Row {
    const char* why;
    std::string_view if_range;
    const Headers& stored;
    bool allows;
  } rows[] = {
      {"strong match", "\"v1\"", tagged, true},
      {"other tag", "\"v2\"", tagged, false},
      {"weak tag never matches", "W/\"v1\"", tagged, false},
      {"weak stored tag never matches", "\"v1\"", weak, false},
      {"exact strong date", kEarlier, tagged, true},
      {"other date", kLater, tagged, false},
      {"Last-Modified as late as Date is weak", kDate, same_second, false},
      {"malformed", "yesterday", tagged, false},
      {"empty", "", tagged, false},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.why);
    EXPECT_EQ(if_range_allows(r.if_range, r.stored), r.allows);
  }
}

TEST(Conditional, UpdateStoredHeadersFrom304) {
  // RFC 9111 §3.2 and §4.3.4.
  const Headers stored = {{"Content-Type", "text/html"},
                          {"Content-Length", "100"},
                          {"ETag", "\"1\""},
                          {"Cache-Control", "max-age=10"},
                          {"X-A", "1"},
                          {"X-A", "2"},
                          {"Content-Encoding", "gzip"},
                          {"Date", kEarlier}};
  const Headers not_modified = {{"Cache-Control", "max-age=60"},
                                {"Content-Length", "0"},
                                {"X-A", "3"},
                                {"Connection", "x-b"},
                                {"X-B", "1"},
                                {"Transfer-Encoding", "chunked"},
                                {"New", "n"},
                                {"Set-Cookie", "s=1"},
                                {"Content-Encoding", "br"},
                                {"Date", kDate},
                                {"x-a", "4"},
                                {"Keep-Alive", "timeout=5"}};
  const std::vector<OwnedHeader> want = {{"Content-Type", "text/html"},
                                         {"Content-Length", "100"},
                                         {"ETag", "\"1\""},
                                         {"Cache-Control", "max-age=60"},
                                         {"X-A", "3"},
                                         {"x-a", "4"},
                                         {"Content-Encoding", "gzip"},
                                         {"Date", std::string(kDate)},
                                         {"New", "n"}};
  EXPECT_EQ(update_stored_headers(stored, not_modified), want);

  // With Set-Cookie allowed, it is updated like any field.
  const std::vector<OwnedHeader> with_cookie = update_stored_headers(stored, not_modified, true);
  EXPECT_EQ(with_cookie.back(), (OwnedHeader{"Set-Cookie", "s=1"}));
  // private="..." fields of the 304 are not stored either.
  const Headers private_304 = {{"Cache-Control", "private=\"x-secret\""}, {"X-Secret", "s"}};
  for (const OwnedHeader& h : update_stored_headers(stored, private_304)) {
    EXPECT_NE(h.name, "X-Secret");
  }
}

}  // namespace
}  // namespace rampart::cache
