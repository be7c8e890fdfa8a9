#include "cache/deception_armor.h"

#include <gtest/gtest.h>

namespace rampart::cache {
namespace {

TEST(DeceptionArmor, ExtensionTable) {
  const std::pair<std::string_view, std::string_view> rows[] = {
      {"/a/b.CSS", "css"},
      {"/account.php/x.jpg", "jpg"},
      {"/account.php/x%2EJPG", "jpg"},  // encoded dot
      {"/account.php%2Fx.png", "png"},  // encoded slash
      {"/account.php;.css", "css"},     // path parameter trick
      {"/x.css;jsessionid=1", "css"},
      {"/profile", ""},
      {"/dir.d/", ""},
      {"/file.", ""},
      {"/a.b.tar.gz", "gz"},
  };
  for (const auto& [path, ext] : rows) EXPECT_EQ(path_extension(path), ext) << path;
}

struct ArmorRow {
  std::string_view path;
  std::string_view content_type;
  ArmorVerdict verdict;
};

TEST(DeceptionArmor, VerdictTable) {
  using V = ArmorVerdict;
  const ArmorRow rows[] = {
      {"/profile.php/x.css", "text/html; charset=utf-8", V::kMismatch},
      {"/account.php/x.jpg", "text/html", V::kMismatch},
      {"/static/site.css", "text/css; charset=utf-8", V::kMatch},
      {"/static/site.CSS", "Text/CSS", V::kMatch},
      {"/app.js", "application/javascript", V::kMatch},
      {"/app.js", "text/javascript", V::kMatch},
      {"/data.json", "application/problem+json", V::kMatch},
      {"/font.woff2", "font/woff2", V::kMatch},
      {"/logo.svg", "image/svg+xml", V::kMatch},
      {"/logo.png", "", V::kMismatch},  // no Content-Type at all
      {"/logo.png", "image/jpeg", V::kMismatch},
      {"/profile", "text/html", V::kNoExtension},
      {"/index.php", "text/html", V::kUnknownExtension},
  };
  for (const ArmorRow& row : rows) {
    EXPECT_EQ(check_deception_armor(row.path, row.content_type), row.verdict)
        << row.path << " " << row.content_type;
  }
}

}  // namespace
}  // namespace rampart::cache
