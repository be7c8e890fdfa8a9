#include "compress/eligibility.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace rampart::compress {
namespace {

using Headers = std::vector<http::Header>;

struct Row {
  std::string_view what;
  int status;
  Headers response;
  std::optional<uint64_t> length;
  Headers request;
  Skip expected;
};

TEST(Eligibility, Table) {
  const Headers html = {{"Content-Type", "text/html; charset=utf-8"}};
  const Row rows[] = {
      {"html 200", 200, html, 5000, {}, Skip::kNone},
      {"length unknown (chunked)", 200, html, std::nullopt, {}, Skip::kNone},
      {"at the minimum", 200, html, 256, {}, Skip::kNone},
      {"below the minimum", 200, html, 255, {}, Skip::kTooSmall},
      {"empty body", 200, html, 0, {}, Skip::kTooSmall},
      {"203", 203, html, 5000, {}, Skip::kNone},
      {"404 page", 404, html, 5000, {}, Skip::kNone},
      {"503 page", 503, html, 5000, {}, Skip::kNone},
      {"204 has no content", 204, html, std::nullopt, {}, Skip::kStatus},
      {"206 is a range of identity bytes", 206, html, 5000, {}, Skip::kStatus},
      {"304 has no content", 304, html, std::nullopt, {}, Skip::kStatus},
      {"301", 301, html, 5000, {}, Skip::kStatus},
      {"101", 101, html, std::nullopt, {}, Skip::kStatus},
      {"response no-transform",
       200,
       {{"Content-Type", "text/html"}, {"Cache-Control", "public, No-Transform"}},
       5000,
       {},
       Skip::kNoTransform},
      {"request no-transform",
       200,
       html,
       5000,
       {{"Cache-Control", "no-transform"}},
       Skip::kNoTransform},
      {"no-transform inside a quoted string is not the directive",
       200,
       {{"Content-Type", "text/html"}, {"Cache-Control", "private=\"a, no-transform\""}},
       5000,
       {},
       Skip::kNone},
      {"already gzip",
       200,
       {{"Content-Type", "text/html"}, {"Content-Encoding", "gzip"}},
       5000,
       {},
       Skip::kEncoded},
      {"identity is no coding",
       200,
       {{"Content-Type", "text/html"}, {"Content-Encoding", "identity"}},
       5000,
       {},
       Skip::kNone},
      {"identity plus another",
       200,
       {{"Content-Type", "text/html"}, {"Content-Encoding", "identity, br"}},
       5000,
       {},
       Skip::kEncoded},
      {"content-range",
       200,
       {{"Content-Type", "text/html"}, {"Content-Range", "bytes 0-9/100"}},
       5000,
       {},
       Skip::kRange},
      {"no content-type", 200, {}, 5000, {}, Skip::kType},
      {"image/png", 200, {{"Content-Type", "image/png"}}, 5000, {}, Skip::kType},
      {"woff2 already compressed", 200, {{"Content-Type", "font/woff2"}}, 5000, {}, Skip::kType},
      {"svg", 200, {{"Content-Type", "image/svg+xml"}}, 5000, {}, Skip::kNone},
      {"json", 200, {{"Content-Type", "application/json"}}, 5000, {}, Skip::kNone},
      {"problem+json", 200, {{"Content-Type", "application/problem+json"}}, 5000, {}, Skip::kNone},
      {"wasm", 200, {{"Content-Type", "application/wasm"}}, 5000, {}, Skip::kNone},
      {"css upper case", 200, {{"Content-Type", "TEXT/CSS"}}, 5000, {}, Skip::kNone},
      {"ttf", 200, {{"Content-Type", "font/ttf"}}, 5000, {}, Skip::kNone},
      {"event-stream is left alone",
       200,
       {{"Content-Type", "text/event-stream"}},
       std::nullopt,
       {},
       Skip::kType},
      {"octet-stream", 200, {{"Content-Type", "application/octet-stream"}}, 5000, {}, Skip::kType},
      {"a bare +json subtype is no type",
       200,
       {{"Content-Type", "application/+json"}},
       5000,
       {},
       Skip::kType},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(check_eligible(row.status, row.response, row.length, row.request), row.expected)
        << row.what;
  }
}

TEST(Eligibility, PolicyChangesTheMinimumAndTheTypes) {
  const Headers png = {{"Content-Type", "image/png"}};
  const std::string_view only_png[] = {"image/png"};
  Policy policy;
  policy.min_length = 10;
  policy.types = only_png;
  EXPECT_EQ(check_eligible(200, png, 20, {}, policy), Skip::kNone);
  EXPECT_EQ(check_eligible(200, png, 9, {}, policy), Skip::kTooSmall);
  const Headers html = {{"Content-Type", "text/html"}};
  EXPECT_EQ(check_eligible(200, html, 20, {}, policy), Skip::kType);
}

TEST(Eligibility, TypePatterns) {
  EXPECT_TRUE(is_compressible_type(" application/atom+xml ;charset=x", kDefaultTypes));
  EXPECT_FALSE(is_compressible_type("", kDefaultTypes));
  EXPECT_FALSE(is_compressible_type("json", kDefaultTypes));
  const std::string_view text_any[] = {"text/*"};
  EXPECT_TRUE(is_compressible_type("text/x-yaml", text_any));
  EXPECT_FALSE(is_compressible_type("text/", text_any));
  EXPECT_FALSE(is_compressible_type("textual/plain", text_any));
}

TEST(Decide, EligibilityThenNegotiation) {
  const Headers html = {{"Content-Type", "text/html"}};
  const Headers browser = {{"Accept-Encoding", "gzip, br"}};
  Decision d = decide(200, html, 5000, browser);
  EXPECT_EQ(d.skip, Skip::kNone);
  EXPECT_EQ(d.coding, Coding::kBrotli);
  EXPECT_TRUE(d.varies);

  // Eligible, but the client takes nothing we have: identity, and still Vary.
  const Headers deflate_only = {{"Accept-Encoding", "deflate"}};
  d = decide(200, html, 5000, deflate_only);
  EXPECT_EQ(d.coding, Coding::kIdentity);
  EXPECT_TRUE(d.varies);

  // Not eligible: identity without Vary, whatever the client accepts.
  d = decide(200, html, 10, browser);
  EXPECT_EQ(d.skip, Skip::kTooSmall);
  EXPECT_EQ(d.coding, Coding::kIdentity);
  EXPECT_FALSE(d.varies);
}

TEST(Eligibility, SkipText) {
  EXPECT_EQ(skip_text(Skip::kNone), "");
  EXPECT_EQ(skip_text(Skip::kNoTransform), "no-transform");
  EXPECT_EQ(skip_text(Skip::kTooSmall), "too-small");
}

}  // namespace
}  // namespace rampart::compress
