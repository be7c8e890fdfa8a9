#include "cache/deception_armor.h"

#include <array>
#include <cstdint>

#include "cache/field_text.h"
#include "core/hex.h"

namespace rampart::cache {

namespace {

struct ExtensionTypes {
  std::string_view extension;
  // Media types that may answer for it; an entry ending in '/' accepts a whole top-level
  // type ("font/"), one starting with '+' a structured suffix ("+json").
  std::array<std::string_view, 5> types;
};

// Static-asset extensions a CDN is commonly asked to cache. Types are compared
// lower-cased, without parameters.
constexpr ExtensionTypes kTable[] = {
    {"css", {"text/css"}},
    {"js",
     {"application/javascript", "text/javascript", "application/x-javascript",
      "application/ecmascript", "text/ecmascript"}},
    {"mjs", {"application/javascript", "text/javascript"}},
    {"json", {"application/json", "+json", "text/json"}},
    {"map", {"application/json", "+json"}},
    {"xml", {"application/xml", "text/xml", "+xml"}},
    {"txt", {"text/plain"}},
    {"csv", {"text/csv", "text/plain"}},
    {"html", {"text/html"}},
    {"htm", {"text/html"}},
    {"jpg", {"image/jpeg", "image/pjpeg"}},
    {"jpeg", {"image/jpeg", "image/pjpeg"}},
    {"png", {"image/png"}},
    {"gif", {"image/gif"}},
    {"webp", {"image/webp"}},
    {"avif", {"image/avif"}},
    {"bmp", {"image/bmp", "image/x-ms-bmp"}},
    {"ico", {"image/x-icon", "image/vnd.microsoft.icon"}},
    {"svg", {"image/svg+xml"}},
    {"woff", {"font/", "application/font-woff", "application/x-font-woff"}},
    {"woff2", {"font/", "application/font-woff2"}},
    {"ttf", {"font/", "application/x-font-ttf", "application/font-sfnt"}},
    {"otf", {"font/", "application/x-font-otf", "application/font-sfnt"}},
    {"eot", {"application/vnd.ms-fontobject"}},
    {"pdf", {"application/pdf"}},
    {"zip", {"application/zip", "application/octet-stream"}},
    {"gz", {"application/gzip", "application/x-gzip", "application/octet-stream"}},
    {"wasm", {"application/wasm"}},
    {"mp4", {"video/mp4"}},
    {"webm", {"video/webm", "audio/webm"}},
    {"mp3", {"audio/mpeg"}},
    {"ogg", {"audio/ogg", "video/ogg", "application/ogg"}},
    {"wav", {"audio/wav", "audio/x-wav", "audio/wave"}},
};

using core::hex_value;

// Bounds the work on a hostile path: no extension is longer than this.
constexpr size_t kMaxExtension = 16;

bool accepts(std::string_view pattern, std::string_view type) {
  if (pattern.empty()) return false;
  if (pattern.back() == '/') return type.starts_with(pattern);
  if (pattern.front() == '+') return type.ends_with(pattern);
  return type == pattern;
}

}  // namespace

std::string path_extension(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view segment = slash == std::string_view::npos ? path : path.substr(slash + 1);
  // Decoded, since "x%2Ecss" names x.css to most origins.
  std::string decoded;
  decoded.reserve(segment.size());
  for (size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] == '%' && i + 2 < segment.size() && hex_value(segment[i + 1]) >= 0 &&
        hex_value(segment[i + 2]) >= 0) {
      decoded += static_cast<char>(hex_value(segment[i + 1]) * 16 + hex_value(segment[i + 2]));
      i += 2;
    } else {
      decoded += segment[i];
    }
  }
  // The text after the last dot, up to the first byte that cannot be in an extension:
  // "/account.php;.css" is .css (what a rule matching the path sees), and so is
  // "/x.css;jsessionid=1".
  size_t dot = decoded.rfind('.');
  if (dot == std::string::npos) return {};
  std::string ext;
  for (size_t i = dot + 1; i < decoded.size(); ++i) {
    char c = detail::to_lower(decoded[i]);
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum || ext.size() == kMaxExtension) break;
    ext += c;
  }
  return ext;
}

ArmorVerdict check_deception_armor(std::string_view path, std::string_view content_type) {
  std::string ext = path_extension(path);
  if (ext.empty()) return ArmorVerdict::kNoExtension;
  const ExtensionTypes* entry = nullptr;
  for (const ExtensionTypes& e : kTable) {
    if (e.extension == ext) entry = &e;
  }
  if (entry == nullptr) return ArmorVerdict::kUnknownExtension;
  std::string type =
      detail::lower_copy(detail::trim_ows(content_type.substr(0, content_type.find(';'))));
  if (type.empty()) return ArmorVerdict::kMismatch;
  for (std::string_view pattern : entry->types) {
    if (accepts(pattern, type)) return ArmorVerdict::kMatch;
  }
  return ArmorVerdict::kMismatch;
}

}  // namespace rampart::cache
