#include "compress/response_fields.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart::compress {
namespace {

using Headers = std::vector<http::Header>;

// "name: value" per line, in order, for comparisons that show the whole head.
std::string text(const Headers& headers) {
  std::string out;
  for (const http::Header& h : headers) {
    out += h.name;
    out += ": ";
    out += h.value;
    out += '\n';
  }
  return out;
}

struct VaryRow {
  std::string_view what;
  Headers before;
  std::string after;
};

TEST(AddVary, Table) {
  const VaryRow rows[] = {
      {"none", {{"Content-Type", "text/html"}}, "Content-Type: text/html\nVary: Accept-Encoding\n"},
      {"merged into the existing line", {{"Vary", "Accept"}}, "Vary: Accept, Accept-Encoding\n"},
      {"merged into the last of several",
       {{"Vary", "Accept"}, {"Vary", "Origin"}},
       "Vary: Accept\nVary: Origin, Accept-Encoding\n"},
      {"already there, any case",
       {{"vary", "Origin, accept-encoding"}},
       "vary: Origin, accept-encoding\n"},
      {"already on another line",
       {{"Vary", "Accept-Encoding"}, {"Vary", "Origin"}},
       "Vary: Accept-Encoding\nVary: Origin\n"},
      {"Vary: * left alone", {{"Vary", "*"}}, "Vary: *\n"},
      {"* on another line", {{"Vary", "Origin"}, {"Vary", "*"}}, "Vary: Origin\nVary: *\n"},
      {"empty line replaced", {{"Vary", ""}}, "Vary: Accept-Encoding\n"},
      {"trailing whitespace trimmed", {{"Vary", "Accept "}}, "Vary: Accept, Accept-Encoding\n"},
  };
  for (const VaryRow& row : rows) {
    Headers h = row.before;
    EditedValues values;
    add_vary_accept_encoding(h, values);
    EXPECT_EQ(text(h), row.after) << row.what;
  }
}

struct CodingRow {
  std::string_view what;
  Headers before;
  Coding coding;
  std::string after;
};

TEST(ApplyCoding, Table) {
  const CodingRow rows[] = {
      {"typical origin response",
       {{"Content-Type", "text/html"},
        {"Content-Length", "5000"},
        {"ETag", "\"abc\""},
        {"Accept-Ranges", "bytes"},
        {"Cache-Control", "max-age=60"}},
       Coding::kBrotli,
       "Content-Type: text/html\nETag: W/\"abc\"\nCache-Control: max-age=60\n"
       "Content-Encoding: br\nVary: Accept-Encoding\n"},
      {"weak etag kept, existing Vary merged",
       {{"ETag", "W/\"abc\""}, {"Vary", "Origin"}},
       Coding::kGzip,
       "ETag: W/\"abc\"\nVary: Origin, Accept-Encoding\nContent-Encoding: gzip\n"},
      {"identity Content-Encoding replaced",
       {{"Content-Encoding", "identity"}, {"content-length", "10"}},
       Coding::kZstd,
       "Content-Encoding: zstd\nVary: Accept-Encoding\n"},
      {"digests of the identity bytes dropped",
       {{"Content-MD5", "x"}, {"Content-Digest", "sha-256=:x:"}, {"Repr-Digest", "sha-256=:y:"}},
       Coding::kGzip,
       "Content-Encoding: gzip\nVary: Accept-Encoding\n"},
      {"malformed etag dropped",
       {{"ETag", "abc"}},
       Coding::kGzip,
       "Content-Encoding: gzip\nVary: Accept-Encoding\n"},
      {"second etag dropped",
       {{"ETag", "\"a\""}, {"ETag", "\"b\""}},
       Coding::kGzip,
       "ETag: W/\"a\"\nContent-Encoding: gzip\nVary: Accept-Encoding\n"},
      {"identity: only Vary",
       {{"Content-Length", "5000"}, {"ETag", "\"abc\""}},
       Coding::kIdentity,
       "Content-Length: 5000\nETag: \"abc\"\nVary: Accept-Encoding\n"},
  };
  for (const CodingRow& row : rows) {
    Headers h = row.before;
    EditedValues values;
    apply_coding(h, row.coding, values);
    EXPECT_EQ(text(h), row.after) << row.what;
  }
}

TEST(ApplyCoding, NewValuesOutliveTheOriginalText) {
  // The edited fields must not point into text the caller may drop (an origin's read
  // buffer), only into EditedValues or static storage.
  std::string etag = "\"v1\"";
  std::string vary = "Origin";
  Headers h = {{"ETag", etag}, {"Vary", vary}};
  EditedValues values;
  apply_coding(h, Coding::kGzip, values);
  etag.assign("XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX");
  vary.assign("YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY");
  EXPECT_EQ(text(h), "ETag: W/\"v1\"\nVary: Origin, Accept-Encoding\nContent-Encoding: gzip\n");
}

}  // namespace
}  // namespace rampart::compress
