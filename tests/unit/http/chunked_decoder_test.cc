#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/h1_parser.h"

namespace rampart::http {
namespace {

using namespace std::literals;

struct Decoded {
  ParseStatus status = ParseStatus::kIncomplete;
  int error = 0;
  size_t consumed = 0;
  std::string data;
  int calls = 0;

  // On error, how far the input was consumed depends on how it was split; the rest
  // must not.
  std::string summary() const {
    if (status == ParseStatus::kError) return "error " + std::to_string(error) + " data=" + data;
    return std::string(status == ParseStatus::kComplete ? "complete" : "incomplete") +
           " consumed=" + std::to_string(consumed) + " data=" + data;
  }
};

// Feeds `part` the way a connection would: again and again with what is left.
void feed_part(ChunkedDecoder& d, std::string_view part, Decoded& out) {
  while (!part.empty() && out.status == ParseStatus::kIncomplete) {
    const ChunkedDecoder::Step s = d.feed(part);
    ++out.calls;
    out.data.append(s.data);
    out.status = s.status;
    // ParseError defaults to 400: only read it on an error.
    out.error = s.status == ParseStatus::kError ? s.error.status : 0;
    if (s.status == ParseStatus::kError) break;
    out.consumed += s.consumed;
    if (s.consumed == 0) break;
    part.remove_prefix(s.consumed);
  }
}

Decoded decode(std::string_view in, uint64_t max_body = 0) {
  ChunkedDecoder d(max_body);
  Decoded out;
  feed_part(d, in, out);
  return out;
}

Decoded decode_split(std::string_view in, std::vector<size_t> cuts, uint64_t max_body = 0) {
  ChunkedDecoder d(max_body);
  Decoded out;
  cuts.push_back(in.size());
  for (size_t cut : cuts) {
    // Bytes the decoder left unconsumed stay at the front of the next part.
    feed_part(d, in.substr(out.consumed, cut - out.consumed), out);
    if (out.status != ParseStatus::kIncomplete) break;
  }
  return out;
}

TEST(ChunkedDecoder, SingleChunk) {
  const std::string in = "5\r\nhello\r\n0\r\n\r\n";
  ChunkedDecoder d;
  const ChunkedDecoder::Step s = d.feed(in);
  EXPECT_EQ(s.status, ParseStatus::kComplete);
  EXPECT_EQ(s.consumed, in.size());
  EXPECT_EQ(s.data, "hello");
  EXPECT_EQ(s.data.data(), in.data() + 3);  // a view, not a copy
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.body_bytes(), 5u);
}

TEST(ChunkedDecoder, OneDataSpanPerCall) {
  const std::string in = "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";
  ChunkedDecoder d;
  ChunkedDecoder::Step s = d.feed(in);
  EXPECT_EQ(s.status, ParseStatus::kIncomplete);
  EXPECT_EQ(s.data, "abc");
  EXPECT_EQ(s.consumed, 11u);  // up to the next chunk's data
  s = d.feed(std::string_view(in).substr(11));
  EXPECT_EQ(s.status, ParseStatus::kComplete);
  EXPECT_EQ(s.data, "def");
  EXPECT_EQ(s.consumed, in.size() - 11);
  EXPECT_EQ(d.body_bytes(), 6u);
}

TEST(ChunkedDecoder, HexSizesAndManyChunks) {
  const std::string in =
      "a\r\n0123456789\r\nA\r\nabcdefghij\r\n00001\r\nZ\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
  const Decoded r = decode(in);
  EXPECT_EQ(r.summary(), "complete consumed=" + std::to_string(in.size()) +
                             " data=0123456789abcdefghijZ0123456789abcdef");
}

TEST(ChunkedDecoder, StopsAtEndOfBody) {
  const std::string in = "0\r\n\r\nGET / HTTP/1.1\r\n";
  const Decoded r = decode(in);
  EXPECT_EQ(r.summary(), "complete consumed=5 data=");
  ChunkedDecoder d;
  ASSERT_EQ(d.feed(in).status, ParseStatus::kComplete);
  const ChunkedDecoder::Step again = d.feed("more");
  EXPECT_EQ(again.status, ParseStatus::kComplete);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(ChunkedDecoder, PartialInputIsIncomplete) {
  EXPECT_EQ(decode("").summary(), "incomplete consumed=0 data=");
  EXPECT_EQ(decode("5\r\nhel").summary(), "incomplete consumed=6 data=hel");
  EXPECT_EQ(decode("5\r\nhello\r\n0\r\n").summary(), "incomplete consumed=13 data=hello");
}

TEST(ChunkedDecoder, Extensions) {
  for (const char* ext : {";a", ";a=b", ";a=\"b c\"", ";a=\"q\\\"uo\\\\te\"", ";a;b=c;d=\"\"",
                          ";!#$%&'*+-.^_`|~=x", ";a=\"\t\x80\xff\""}) {
    const std::string in = std::string("3") + ext + "\r\nabc\r\n0" + ext + "\r\n\r\n";
    EXPECT_EQ(decode(in).summary(), "complete consumed=" + std::to_string(in.size()) + " data=abc")
        << ext;
  }
  for (const char* ext :
       {" ;a", "; a", ";a =b", ";a= b", ";=b", ";", ";;a", ";a=", ";a=b c", ";a=\"x\"y",
        ";a=\"x\r\n", ";a=b,c", ";a=\"\x01\"", ";a=\"\\\x01\"", ";a\t"}) {
    const std::string in = std::string("3") + ext + "\r\nabc\r\n0\r\n\r\n";
    EXPECT_EQ(decode(in).error, 400) << ext;
  }
}

TEST(ChunkedDecoder, ExtensionBytesCap) {
  // Counted from after ';' through the CR that ends the size line.
  const std::string at = "1;" + std::string(4095, 'x') + "\r\na\r\n0\r\n\r\n";
  EXPECT_EQ(decode(at).status, ParseStatus::kComplete);
  const std::string over = "1;" + std::string(4096, 'x') + "\r\na\r\n0\r\n\r\n";
  EXPECT_EQ(decode(over).error, 400);
  // The cap is for the whole body, not per chunk.
  std::string many;
  for (int i = 0; i < 3; ++i) many += "1;" + std::string(1500, 'x') + "\r\na\r\n";
  EXPECT_EQ(decode(many + "0\r\n\r\n").error, 400);
}

TEST(ChunkedDecoder, ChunkSizeErrors) {
  for (const char* in :
       {"\r\n", "g\r\n", "-1\r\n", " 5\r\nhello\r\n", "5 \r\nhello\r\n", "0x5\r\nhello\r\n",
        "+5\r\nhello\r\n", "5\t\r\nhello\r\n", "\r\n0\r\n\r\n", "5\n", "5\rx", "5\r\r\n"}) {
    EXPECT_EQ(decode(in).error, 400) << in;
  }
}

TEST(ChunkedDecoder, ChunkSizeDigitCap) {
  EXPECT_EQ(decode("0000000000000005\r\nhello\r\n0\r\n\r\n").status, ParseStatus::kComplete);
  EXPECT_EQ(decode("00000000000000005\r\nhello\r\n0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("00000000000000000\r\n\r\n").error, 400);
  // The largest 16-digit size is accepted (and then waits for its data).
  EXPECT_EQ(decode("ffffffffffffffff\r\nab").summary(), "incomplete consumed=20 data=ab");
  // A running total that wraps around 2^64 is refused.
  EXPECT_EQ(decode("1\r\na\r\nffffffffffffffff\r\n").error, 400);
}

TEST(ChunkedDecoder, CrlfAfterData) {
  const Decoded bad = decode("5\r\nhelloX\r\n0\r\n\r\n");
  EXPECT_EQ(bad.error, 400);
  EXPECT_EQ(bad.data, "hello");  // the valid bytes before the error are still reported
  EXPECT_EQ(decode("5\r\nhello\n0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhelloX\n0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhello\n\n0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhello\rX0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhello\rX0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhello\r\r\n0\r\n\r\n").error, 400);
  EXPECT_EQ(decode("5\r\nhello world\r\n0\r\n\r\n").error, 400);  // data longer than size
}

TEST(ChunkedDecoder, LastChunkAndFinalCrlf) {
  EXPECT_EQ(decode("0\n\r\n").error, 400);
  EXPECT_EQ(decode("0\r\n\n").error, 400);
  EXPECT_EQ(decode("0\r\n\rx").error, 400);
  EXPECT_EQ(decode("000\r\n\r\n").status, ParseStatus::kComplete);
}

TEST(ChunkedDecoder, Trailers) {
  const std::string in = "1\r\na\r\n0\r\nX-Sum: abc\r\nX-Empty:\r\nX-Utf8: \xc3\xa9\t\r\n\r\nNEXT";
  const Decoded r = decode(in);
  EXPECT_EQ(r.summary(), "complete consumed=" + std::to_string(in.size() - 4) + " data=a");

  for (const char* trailer :
       {" X: a\r\n", "\tX: a\r\n", "X : a\r\n", ": a\r\n", "X\r\n", "X(y): a\r\n", "X: a\x01\r\n",
        "X: a\rb\r\n", "X: a\n", "X: a\x7f\r\n"}) {
    const std::string t = std::string("0\r\n") + trailer + "\r\n";
    EXPECT_EQ(decode(t).error, 400) << trailer;
  }
  EXPECT_EQ(decode(std::string("0\r\nX: a\0\r\n\r\n"s)).error, 400);
}

TEST(ChunkedDecoder, TrailerBytesCap) {
  // Counted from after "0\r\n" through the final CRLF.
  const std::string filler = "X: " + std::string(16384 - 3 - 2 - 2, 'v') + "\r\n\r\n";
  ASSERT_EQ(filler.size(), 16384u);
  EXPECT_EQ(decode("0\r\n" + filler).status, ParseStatus::kComplete);
  const std::string over = "X: " + std::string(16384 - 3 - 2 - 1, 'v') + "\r\n\r\n";
  EXPECT_EQ(decode("0\r\n" + over).error, 431);
}

TEST(ChunkedDecoder, BodyLimit) {
  EXPECT_EQ(decode("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", 10).status, ParseStatus::kComplete);
  EXPECT_EQ(decode("5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", 10).error, 413);
  EXPECT_EQ(decode("b\r\nhello world\r\n0\r\n\r\n", 10).error, 413);
  // Refused when the size is read, before any of that chunk's data arrives.
  const Decoded early = decode("5\r\nhello\r\n6\r\n", 10);
  EXPECT_EQ(early.error, 413);
  EXPECT_EQ(early.data, "hello");
}

TEST(ChunkedDecoder, ErrorIsSticky) {
  ChunkedDecoder d;
  const ChunkedDecoder::Step s = d.feed("z\r\n");
  ASSERT_EQ(s.status, ParseStatus::kError);
  EXPECT_EQ(s.error.status, 400);
  const ChunkedDecoder::Step again = d.feed("0\r\n\r\n");
  EXPECT_EQ(again.status, ParseStatus::kError);
  EXPECT_EQ(again.error.status, 400);
  EXPECT_FALSE(d.done());
}

// Same result whatever the input's split: at every single point, at every pair of
// points, and one byte at a time.
TEST(ChunkedDecoder, EverySplitPointGivesSameResult) {
  const std::vector<std::string> inputs = {
      "5\r\nhello\r\n0\r\n\r\n",
      "3;ext=\"a;b\"\r\nabc\r\n10;x=y\r\n0123456789abcdef\r\n0\r\nT: v\r\nU: w\r\n\r\nrest",
      "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0;z\r\n\r\n",
      "5\r\nhelloX\r\n",
      "5\r\nhello\r\n 0\r\n\r\n",
      "3\r\nabc\r\n0\r\nX : y\r\n\r\n",
      "4\r\nabcd\r\n8\r\n12345678\r\n0\r\n\r\n",
      "2;a=\"\\\"\"\r\nxy\r\n0\r\n\r\n",
  };
  for (const std::string& in : inputs) {
    for (uint64_t limit : {uint64_t{0}, uint64_t{10}}) {
      const std::string want = decode(in, limit).summary();
      for (size_t k = 0; k <= in.size(); ++k) {
        ASSERT_EQ(decode_split(in, {k}, limit).summary(), want) << in << " cut " << k;
        for (size_t j = k; j <= in.size(); ++j) {
          ASSERT_EQ(decode_split(in, {k, j}, limit).summary(), want)
              << in << " cuts " << k << "," << j;
        }
      }
      std::vector<size_t> every;
      for (size_t k = 1; k < in.size(); ++k) every.push_back(k);
      ASSERT_EQ(decode_split(in, every, limit).summary(), want) << in << " byte by byte";
    }
  }
}

}  // namespace
}  // namespace rampart::http
