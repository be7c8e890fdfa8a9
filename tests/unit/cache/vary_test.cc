#include "cache/vary.h"

#include <gtest/gtest.h>

#include <string>

#include "cache_test_util.h"

namespace rampart::cache {
namespace {

using test::Headers;

std::string key_of(const Headers& response, const Headers& request) {
  const VaryKey k = build_vary_key(response, request);
  EXPECT_EQ(k.status, VaryStatus::kOk);
  return k.key;
}

struct SameRow {
  std::string_view section;
  Headers vary;
  Headers a;
  Headers b;
  bool same;
};

TEST(Vary, MatchingTable) {
  const Headers ae = {{"Vary", "Accept-Encoding"}};
  const SameRow rows[] = {
      {"9111 4.1 whitespace around commas",
       ae,
       {{"Accept-Encoding", "gzip, br"}},
       {{"Accept-Encoding", "gzip,br"}},
       true},
      {"9111 4.1 lines combine in order",
       ae,
       {{"Accept-Encoding", "gzip, br"}},
       {{"Accept-Encoding", "gzip"}, {"accept-encoding", "br"}},
       true},
      {"9110 5.6.1 empty elements dropped",
       ae,
       {{"Accept-Encoding", "gzip, ,br,"}},
       {{"Accept-Encoding", "gzip,br"}},
       true},
      {"9111 4.1 order of values matters",
       ae,
       {{"Accept-Encoding", "gzip, br"}},
       {{"Accept-Encoding", "br, gzip"}},
       false},
      {"9111 4.1 case of values kept",
       ae,
       {{"Accept-Encoding", "gzip"}},
       {{"Accept-Encoding", "GZIP"}},
       false},
      {"9111 4.1 absent differs from empty", ae, {}, {{"Accept-Encoding", ""}}, false},
      {"9111 4.1 absent matches absent", ae, {{"Accept", "a"}}, {{"Accept", "b"}}, true},
      {"9111 4.1 unvaried fields do not matter",
       ae,
       {{"Accept-Encoding", "gzip"}, {"User-Agent", "a"}},
       {{"Accept-Encoding", "gzip"}, {"User-Agent", "b"}},
       true},
      {"9110 5.6.4 quoted commas kept",
       {{"Vary", "X-Q"}},
       {{"X-Q", "\"a, b\""}},
       {{"X-Q", "\"a,b\""}},
       false},
      {"9111 4.1 values do not leak between names",
       {{"Vary", "A, B"}},
       {{"A", "x"}, {"B", "y,z"}},
       {{"A", "x,y"}, {"B", "z"}},
       false},
  };
  for (const SameRow& r : rows) {
    SCOPED_TRACE(r.section);
    EXPECT_EQ(key_of(r.vary, r.a) == key_of(r.vary, r.b), r.same);
  }
}

TEST(Vary, NamesAreCaseInsensitiveAndUnordered) {
  // RFC 9111 §4.1: Vary names fields; their case and order select nothing.
  const Headers req = {{"Accept", "text/html"}, {"Accept-Encoding", "br"}};
  const std::string k1 = key_of({{"Vary", "Accept-Encoding, Accept"}}, req);
  const std::string k2 = key_of({{"vary", "accept"}, {"VARY", "ACCEPT-ENCODING, accept"}}, req);
  EXPECT_EQ(k1, k2);
  EXPECT_EQ(k1, "accept:9:text/htmlaccept-encoding:2:br");
  EXPECT_EQ(key_of({{"Vary", "Accept"}}, {}), "accept:-");
  EXPECT_EQ(key_of({}, req), "");
}

TEST(Vary, StatusTable) {
  std::string sixteen;
  std::string seventeen;
  for (int i = 0; i < 17; ++i) {
    (i < 16 ? sixteen : seventeen) += "x-" + std::to_string(i) + ", ";
  }
  seventeen = sixteen + seventeen;
  const std::string doubled = sixteen + sixteen;
  const std::string big(9000, 'a');
  struct Row {
    std::string_view section;
    Headers response;
    Headers request;
    VaryStatus want;
  };
  const Row rows[] = {
      {"9111 4.1 star", {{"Vary", "*"}}, {}, VaryStatus::kStar},
      {"9111 4.1 star among names",
       {{"Vary", "Accept"}, {"Vary", "Origin, *"}},
       {},
       VaryStatus::kStar},
      {"cap: 16 fields", {{"Vary", sixteen}}, {}, VaryStatus::kOk},
      {"cap: duplicates count once", {{"Vary", doubled}}, {}, VaryStatus::kOk},
      {"cap: 17 fields", {{"Vary", seventeen}}, {}, VaryStatus::kTooManyFields},
      {"cap: key size", {{"Vary", "X-Big"}}, {{"X-Big", big}}, VaryStatus::kKeyTooLarge},
      {"9110 5.6.2 name that is not a token",
       {{"Vary", "Accept Encoding"}},
       {},
       VaryStatus::kInvalid},
  };
  for (const Row& r : rows) {
    SCOPED_TRACE(r.section);
    const VaryKey k = build_vary_key(r.response, r.request);
    EXPECT_EQ(k.status, r.want);
    if (r.want != VaryStatus::kOk) EXPECT_EQ(k.key, "");
  }
}

}  // namespace
}  // namespace rampart::cache
