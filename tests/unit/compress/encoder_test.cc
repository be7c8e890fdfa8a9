#include "compress/encoder.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "compress_test_util.h"
#include "decoders.h"

namespace rampart::compress {
namespace {

constexpr Coding kCodings[] = {Coding::kGzip, Coding::kBrotli, Coding::kZstd};
constexpr Use kUses[] = {Use::kOnTheFly, Use::kStored};

std::string name_of(Coding coding, Use use) {
  return std::string(coding_token(coding)) + (use == Use::kOnTheFly ? "/on-the-fly" : "/stored");
}

std::string encode_whole(Encoder& e, std::string_view input) {
  std::string out;
  EXPECT_TRUE(e.compress(input, out));
  EXPECT_TRUE(e.finish(out));
  return out;
}

TEST(Encoder, RoundTripsThroughEachLibrarysDecoder) {
  const std::string inputs[] = {"", "a", test::page_text(300), test::page_text(4 << 20),
                                test::random_bytes(1 << 20)};
  for (Coding coding : kCodings) {
    for (Use use : kUses) {
      for (const std::string& input : inputs) {
        const auto e = make_encoder(coding, use);
        ASSERT_NE(e, nullptr) << name_of(coding, use);
        EXPECT_EQ(e->coding(), coding);
        const std::string encoded = encode_whole(*e, input);
        EXPECT_EQ(test::decode(coding, encoded), input)
            << name_of(coding, use) << " size " << input.size();
      }
    }
  }
}

TEST(Encoder, TextShrinks) {
  const std::string page = test::page_text(50 << 10);
  for (Coding coding : kCodings) {
    for (Use use : kUses) {
      const auto e = make_encoder(coding, use);
      const std::string encoded = encode_whole(*e, page);
      EXPECT_LT(encoded.size(), page.size() / 3) << name_of(coding, use);
    }
  }
}

TEST(Encoder, StoredLevelIsNoLargerThanOnTheFly) {
  const std::string page = test::page_text(1 << 20);
  for (Coding coding : kCodings) {
    const auto fast = make_encoder(coding, Use::kOnTheFly);
    const auto slow = make_encoder(coding, Use::kStored);
    EXPECT_LE(encode_whole(*slow, page).size(), encode_whole(*fast, page).size())
        << coding_token(coding);
  }
}

// A response streamed in small reads: after every flush the client can decode exactly
// what was sent so far.
TEST(Encoder, FlushMakesEverythingSoFarDecodable) {
  const std::string body = test::page_text(3 << 20) + test::random_bytes(256 << 10);
  std::mt19937 rng(7);
  for (Coding coding : kCodings) {
    const auto e = make_encoder(coding, Use::kOnTheFly);
    const auto d = test::make_decoder(coding);
    std::string decoded;
    size_t at = 0;
    size_t flushes = 0;
    while (at < body.size()) {
      const size_t n = std::min<size_t>(body.size() - at, 1 + rng() % 6000);
      std::string wire;
      ASSERT_TRUE(e->compress(std::string_view(body).substr(at, n), wire));
      at += n;
      if (rng() % 4 == 0) {
        ASSERT_TRUE(e->flush(wire));
        ++flushes;
        ASSERT_TRUE(d->feed(wire, decoded));
        ASSERT_EQ(decoded.size(), at) << coding_token(coding) << " after flush " << flushes;
      } else {
        ASSERT_TRUE(d->feed(wire, decoded)) << coding_token(coding) << " at " << at;
      }
    }
    std::string tail;
    ASSERT_TRUE(e->flush(tail));  // twice in a row is harmless
    ASSERT_TRUE(e->flush(tail));
    ASSERT_TRUE(e->finish(tail));
    ASSERT_TRUE(d->feed(tail, decoded));
    EXPECT_TRUE(d->ended()) << coding_token(coding);
    EXPECT_TRUE(decoded == body) << coding_token(coding);
    EXPECT_GT(flushes, 100u);
  }
}

TEST(Encoder, WrongSizeHintStillRoundTrips) {
  const std::string page = test::page_text(200 << 10);
  for (Coding coding : kCodings) {
    for (uint64_t hint : {uint64_t{1}, uint64_t{1000}, uint64_t{1} << 40}) {
      const auto e = make_encoder(coding, default_level(coding, Use::kOnTheFly), hint);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(test::decode(coding, encode_whole(*e, page)), page)
          << coding_token(coding) << " hint " << hint;
    }
  }
}

TEST(Encoder, LevelsOutOfRangeAreClamped) {
  const std::string page = test::page_text(20 << 10);
  for (Coding coding : kCodings) {
    for (int level : {-100, 0, 1000}) {
      const auto e = make_encoder(coding, level);
      ASSERT_NE(e, nullptr);
      EXPECT_EQ(test::decode(coding, encode_whole(*e, page)), page) << coding_token(coding);
    }
  }
}

TEST(Encoder, NothingAfterFinish) {
  for (Coding coding : kCodings) {
    const auto e = make_encoder(coding, Use::kOnTheFly);
    std::string out;
    ASSERT_TRUE(e->compress("hello", out));
    ASSERT_TRUE(e->finish(out));
    const std::string ended = out;
    EXPECT_FALSE(e->compress("more", out));
    EXPECT_FALSE(e->flush(out));
    EXPECT_FALSE(e->finish(out));
    EXPECT_EQ(out, ended) << coding_token(coding);
    EXPECT_EQ(test::decode(coding, out), "hello");
  }
}

TEST(Encoder, IdentityHasNoEncoder) {
  EXPECT_EQ(make_encoder(Coding::kIdentity, Use::kOnTheFly), nullptr);
}

// Thousands of responses may stream at once: the per-stream memory is part of the
// contract (README.md), and a known small body costs less.
TEST(Encoder, MemoryPerStreamStaysWithinItsBound) {
  const std::string page = test::page_text(2 << 20);
  // gzip, brotli, zstd: 256 KiB, 3.5 MiB, 1.25 MiB.
  const size_t bounds[] = {256 << 10, 7 << 19, 5 << 18};
  for (size_t i = 0; i < std::size(kCodings); ++i) {
    const Coding coding = kCodings[i];
    const auto big = make_encoder(coding, Use::kOnTheFly);
    std::string out;
    ASSERT_TRUE(big->compress(page, out));
    const size_t streaming = big->memory_bytes();
    EXPECT_GT(streaming, 0u);
    EXPECT_LE(streaming, bounds[i]) << coding_token(coding);

    const auto small = make_encoder(coding, default_level(coding, Use::kOnTheFly), 2000);
    ASSERT_TRUE(small->compress(page.substr(0, 2000), out));
    EXPECT_LT(small->memory_bytes(), streaming / 2) << coding_token(coding);
  }
}

}  // namespace
}  // namespace rampart::compress
