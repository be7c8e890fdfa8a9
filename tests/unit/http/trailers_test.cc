#include "http/trailers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/h1_parser.h"

namespace rampart::http {
namespace {

// Feeds `input` one byte at a time: every split of the section must keep the same fields.
std::string kept_trailers(std::string_view input) {
  ChunkedDecoder decoder;
  decoder.keep_trailers();
  for (size_t i = 0; i < input.size();) {
    ChunkedDecoder::Step step = decoder.feed(input.substr(i, 1));
    EXPECT_NE(step.status, ParseStatus::kError) << step.error.reason;
    i += step.consumed == 0 ? 1 : step.consumed;
  }
  EXPECT_TRUE(decoder.done());
  return std::string(decoder.trailers());
}

TEST(Trailers, DecoderKeepsTheSectionWhenAsked) {
  EXPECT_EQ(kept_trailers("3\r\nabc\r\n0\r\nGrpc-Status: 0\r\nX-Sum:  ab \r\n\r\n"),
            "Grpc-Status: 0\r\nX-Sum:  ab \r\n");
  EXPECT_EQ(kept_trailers("3\r\nabc\r\n0\r\n\r\n"), "");
}

TEST(Trailers, DecoderDropsThemByDefault) {
  ChunkedDecoder decoder;
  auto step = decoder.feed("0\r\nX-A: 1\r\n\r\n");
  EXPECT_EQ(step.status, ParseStatus::kComplete);
  EXPECT_EQ(decoder.trailers(), "");
}

TEST(Trailers, SplitDropsFieldsATrailerMayNotCarry) {
  std::vector<Header> fields;
  split_trailer_fields(
      "Grpc-Status: 0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nHost: x\r\n"
      "Set-Cookie: a=b\r\nConnection: close\r\nX-Sum:\t ab \r\n",
      fields);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].name, "Grpc-Status");
  EXPECT_EQ(fields[0].value, "0");
  EXPECT_EQ(fields[1].name, "X-Sum");
  EXPECT_EQ(fields[1].value, "ab");
}

}  // namespace
}  // namespace rampart::http
