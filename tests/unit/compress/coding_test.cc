#include "compress/coding.h"

#include <gtest/gtest.h>

#include <string>

#include <vector>
#include "compress_test_util.h"

namespace rampart::compress {
namespace {

using Headers = std::vector<http::Header>;

struct Row {
  std::string_view what;
  Headers request;
  Coding expected;
};

TEST(Negotiate, Table) {
  const Row rows[] = {
      // RFC 9110 §12.5.3 examples.
      {"9110 example: compress, gzip", {{"Accept-Encoding", "compress, gzip"}}, Coding::kGzip},
      {"9110 example: empty value means identity only",
       {{"Accept-Encoding", ""}},
       Coding::kIdentity},
      {"9110 example: *", {{"Accept-Encoding", "*"}}, Coding::kZstd},
      {"9110 example: compress;q=0.5, gzip;q=1.0",
       {{"Accept-Encoding", "compress;q=0.5, gzip;q=1.0"}},
       Coding::kGzip},
      {"9110 example: gzip;q=1.0, identity; q=0.5, *;q=0",
       {{"Accept-Encoding", "gzip;q=1.0, identity; q=0.5, *;q=0"}},
       Coding::kGzip},
      {"no field: identity", {}, Coding::kIdentity},
      {"browser", {{"Accept-Encoding", "gzip, deflate, br, zstd"}}, Coding::kZstd},
      {"browser without zstd", {{"Accept-Encoding", "gzip, deflate, br"}}, Coding::kBrotli},
      {"no brotli", {{"Accept-Encoding", "gzip, deflate, zstd"}}, Coding::kZstd},
      {"only deflate (unsupported)", {{"Accept-Encoding", "deflate"}}, Coding::kIdentity},
      {"client weights win over server order",
       {{"Accept-Encoding", "br;q=0.5, gzip;q=0.8, zstd;q=0.7"}},
       Coding::kGzip},
      {"three decimals count", {{"Accept-Encoding", "br;q=0.501, zstd;q=0.502"}}, Coding::kZstd},
      {"q=0 means not acceptable", {{"Accept-Encoding", "br;q=0, gzip"}}, Coding::kGzip},
      {"q=0.000 too", {{"Accept-Encoding", "br;q=0.000, zstd;q=0.0, gzip"}}, Coding::kGzip},
      {"everything refused", {{"Accept-Encoding", "gzip;q=0, br;q=0"}}, Coding::kIdentity},
      {"* covers what is not listed", {{"Accept-Encoding", "br;q=0, *"}}, Coding::kZstd},
      {"* with q=0 and identity refused: still identity (nothing else)",
       {{"Accept-Encoding", "*;q=0"}},
       Coding::kIdentity},
      {"* at lower q than a listed one", {{"Accept-Encoding", "gzip, *;q=0.5"}}, Coding::kGzip},
      {"identity preferred strictly",
       {{"Accept-Encoding", "gzip;q=0.5, identity"}},
       Coding::kIdentity},
      {"identity tie: compress", {{"Accept-Encoding", "gzip, identity"}}, Coding::kGzip},
      {"x-gzip is gzip", {{"Accept-Encoding", "x-gzip"}}, Coding::kGzip},
      {"case-insensitive codings", {{"Accept-Encoding", "GZIP, Br"}}, Coding::kBrotli},
      {"case-insensitive q", {{"Accept-Encoding", "br;Q=0, gzip"}}, Coding::kGzip},
      {"several lines combine",
       {{"Accept-Encoding", "gzip"}, {"accept-encoding", "zstd"}},
       Coding::kZstd},
      {"a refusal on another line stands",
       {{"Accept-Encoding", "br, gzip;q=0.5"}, {"Accept-Encoding", "br;q=0"}},
       Coding::kGzip},
      {"a refusal before an acceptance stands",
       {{"Accept-Encoding", "br;q=0, br, gzip;q=0.1"}},
       Coding::kGzip},
      {"duplicate: higher quality",
       {{"Accept-Encoding", "gzip;q=0.2, zstd;q=0.5, gzip;q=0.9"}},
       Coding::kGzip},
      {"x-gzip;q=0 refuses gzip",
       {{"Accept-Encoding", "gzip, x-gzip;q=0, zstd;q=0.1"}},
       Coding::kZstd},
      {"OWS around ;", {{"Accept-Encoding", "br ; q=0.2 ,\tzstd\t;\tq=0.3"}}, Coding::kZstd},
      {"empty elements", {{"Accept-Encoding", ",, ,gzip,,"}}, Coding::kGzip},
      {"other parameters ignored",
       {{"Accept-Encoding", "br;level=5;q=0.9, gzip;q=0.8"}},
       Coding::kBrotli},
      // Malformed elements are skipped, the rest still counts.
      {"q with four decimals skipped",
       {{"Accept-Encoding", "br;q=0.1234, gzip;q=0.1"}},
       Coding::kGzip},
      {"q above 1 skipped", {{"Accept-Encoding", "br;q=1.5, gzip;q=0.1"}}, Coding::kGzip},
      {"q=1.000 is fine", {{"Accept-Encoding", "gzip;q=0.9, br;q=1.000"}}, Coding::kBrotli},
      {"q=1.001 skipped", {{"Accept-Encoding", "br;q=1.001, gzip;q=0.1"}}, Coding::kGzip},
      {"negative q skipped", {{"Accept-Encoding", "br;q=-1, gzip"}}, Coding::kGzip},
      {"empty q skipped", {{"Accept-Encoding", "br;q=, gzip"}}, Coding::kGzip},
      {"bare ; parameter skipped", {{"Accept-Encoding", "br;, gzip"}}, Coding::kGzip},
      {"non-token coding skipped", {{"Accept-Encoding", "b r, \"br\", gzip"}}, Coding::kGzip},
      {"garbage only: identity", {{"Accept-Encoding", "\x01\x02;;;==,,q=0.5"}}, Coding::kIdentity},
      {"quoted comma does not split", {{"Accept-Encoding", "gzip;x=\"a,br\""}}, Coding::kGzip},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(negotiate(row.request), row.expected) << row.what;
  }
}

TEST(Negotiate, ServerPreferenceOrdersTies) {
  const Headers all = {{"Accept-Encoding", "gzip, br, zstd"}};
  EXPECT_EQ(negotiate(all), Coding::kZstd);
  const Coding brotli_first[] = {Coding::kBrotli, Coding::kZstd, Coding::kGzip};
  EXPECT_EQ(negotiate(all, brotli_first), Coding::kBrotli);
  const Coding gzip_only[] = {Coding::kGzip};
  EXPECT_EQ(negotiate(all, gzip_only), Coding::kGzip);
  const Headers no_gzip = {{"Accept-Encoding", "br, zstd"}};
  EXPECT_EQ(negotiate(no_gzip, gzip_only), Coding::kIdentity);
}

TEST(Negotiate, ElementsPastTheBoundAreIgnored) {
  std::string value;
  for (size_t i = 0; i < kMaxAcceptElements; ++i) value += "foo, ";
  const std::string late_value = value + "gzip";
  const Headers late = {{"Accept-Encoding", late_value}};
  EXPECT_EQ(negotiate(late), Coding::kIdentity);
  const std::string early_value = "gzip, " + value;
  const Headers early = {{"Accept-Encoding", early_value}};
  EXPECT_EQ(negotiate(early), Coding::kGzip);
}

TEST(ParseAcceptEncoding, QualitiesInThousandths) {
  const Headers h = {{"Accept-Encoding", "gzip;q=0.5, br;q=0.05, zstd;q=1, *;q=0.001"}};
  const AcceptEncoding a = parse_accept_encoding(h);
  EXPECT_TRUE(a.present);
  EXPECT_EQ(a.quality(Coding::kGzip), 500);
  EXPECT_EQ(a.quality(Coding::kBrotli), 50);
  EXPECT_EQ(a.quality(Coding::kZstd), 1000);
  EXPECT_EQ(a.quality(Coding::kIdentity), 1);  // through "*"
  const AcceptEncoding none = parse_accept_encoding(Headers{});
  EXPECT_FALSE(none.present);
  EXPECT_EQ(none.quality(Coding::kIdentity), kMaxQuality);
  EXPECT_EQ(none.quality(Coding::kGzip), 0);
}

TEST(CodingToken, Names) {
  EXPECT_EQ(coding_token(Coding::kGzip), "gzip");
  EXPECT_EQ(coding_token(Coding::kBrotli), "br");
  EXPECT_EQ(coding_token(Coding::kZstd), "zstd");
  EXPECT_EQ(coding_token(Coding::kIdentity), "identity");
}

}  // namespace
}  // namespace rampart::compress
