// The disk tier's file format: every field survives a round trip, and every damaged
// record is refused with an error instead of being decoded.

#include "cache/disk_record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::cache {
namespace {

CachedObject sample(std::string body = "<html>hello</html>") {
  const std::vector<http::Header> headers = {{"Content-Type", "text/html"},
                                             {"Cache-Control", "public, max-age=60"},
                                             {"ETag", "\"v1\""},
                                             {"X-Empty", ""}};
  return CachedObject(203, headers, std::move(body), 1'700'000'000, 1'700'000'002,
                      {"product-7", "catalog"}, "accept-encoding=gzip", 3600);
}

TEST(DiskRecordTest, RoundTripKeepsEveryField) {
  const CachedObject original = sample();
  const std::string key = "shop.example/a?b=1";
  const std::string bytes = encode_record(key, original);
  ASSERT_FALSE(bytes.empty());

  DecodedRecord decoded;
  ASSERT_EQ(decode_record(bytes, decoded), RecordError::kOk);
  EXPECT_EQ(decoded.key, key);
  const CachedObject& o = *decoded.object;
  EXPECT_EQ(o.status(), 203);
  EXPECT_EQ(o.body(), original.body());
  EXPECT_EQ(o.request_time(), 1'700'000'000);
  EXPECT_EQ(o.response_time(), 1'700'000'002);
  EXPECT_EQ(o.tags(), original.tags());
  EXPECT_EQ(o.vary_key(), "accept-encoding=gzip");
  EXPECT_EQ(o.edge_lifetime(), 3600);  // a cache rule's edge TTL survives a restart
  ASSERT_EQ(o.headers().size(), original.headers().size());
  for (size_t i = 0; i < o.headers().size(); ++i) {
    EXPECT_EQ(o.headers()[i].name, original.headers()[i].name);
    EXPECT_EQ(o.headers()[i].value, original.headers()[i].value);
  }
  // Canonical: the decoded object encodes to the same bytes.
  EXPECT_EQ(encode_record(decoded.key, o), bytes);
}

TEST(DiskRecordTest, EmptyBodyNoTagsNoVaryAndNegativeTimes) {
  const CachedObject o(204, {}, "", -5, -1);
  const std::string bytes = encode_record("k", o);
  DecodedRecord decoded;
  ASSERT_EQ(decode_record(bytes, decoded), RecordError::kOk);
  EXPECT_EQ(decoded.object->status(), 204);
  EXPECT_TRUE(decoded.object->body().empty());
  EXPECT_TRUE(decoded.object->tags().empty());
  EXPECT_TRUE(decoded.object->headers().empty());
  EXPECT_EQ(decoded.object->request_time(), -5);
  EXPECT_EQ(decoded.object->response_time(), -1);
}

TEST(DiskRecordTest, TheHeadAloneGivesKeyTagsAndSizes) {
  const std::string bytes = encode_record("shop.example/x", sample(std::string(5000, 'b')));
  RecordLayout layout;
  ASSERT_EQ(decode_layout(bytes, layout), RecordError::kOk);
  EXPECT_EQ(layout.total_bytes(), bytes.size());
  EXPECT_EQ(layout.body_bytes, 5000u);
  RecordHead head;
  ASSERT_EQ(decode_head(std::string_view(bytes).substr(0, layout.head_bytes()), layout, head),
            RecordError::kOk);
  EXPECT_EQ(head.key, "shop.example/x");
  EXPECT_EQ(head.tags, (std::vector<std::string>{"product-7", "catalog"}));
}

TEST(DiskRecordTest, EveryFlippedByteIsRefused) {
  const std::string good = encode_record("shop.example/a", sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    DecodedRecord decoded;
    EXPECT_NE(decode_record(bad, decoded), RecordError::kOk) << "byte " << i;
    EXPECT_EQ(decoded.object, nullptr);
  }
}

TEST(DiskRecordTest, EveryTruncationAndExtensionIsRefused) {
  const std::string good = encode_record("shop.example/a", sample());
  for (size_t n = 0; n < good.size(); ++n) {
    DecodedRecord decoded;
    EXPECT_EQ(decode_record(std::string_view(good).substr(0, n), decoded), RecordError::kTruncated)
        << "length " << n;
  }
  DecodedRecord decoded;
  EXPECT_EQ(decode_record(good + "x", decoded), RecordError::kTooLong);
}

TEST(DiskRecordTest, ForeignAndFutureFilesAreTold) {
  std::string bytes = encode_record("k", sample());
  DecodedRecord decoded;
  std::string other = bytes;
  other[0] = 'X';
  EXPECT_EQ(decode_record(other, decoded), RecordError::kBadMagic);
  other = bytes;
  other[4] = static_cast<char>(kRecordVersion + 1);  // a later format
  EXPECT_EQ(decode_record(other, decoded), RecordError::kBadVersion);
  other = bytes;
  other[24] = 0;  // key length 0
  other[25] = 0;
  EXPECT_EQ(decode_record(other, decoded), RecordError::kBadLength);
}

TEST(DiskRecordTest, OversizedSectionsAreNotEncoded) {
  const CachedObject big_vary(200, {}, "", 0, 0, {}, std::string(kMaxRecordVary + 1, 'v'));
  EXPECT_TRUE(encode_record("k", big_vary).empty());
  EXPECT_TRUE(encode_record("", sample()).empty());
  EXPECT_TRUE(encode_record(std::string(kMaxRecordKey + 1, 'k'), sample()).empty());
}

}  // namespace
}  // namespace rampart::cache
