#pragma once
// Cache deception armor: a response is stored only when the type the URL's extension
// promises agrees with the Content-Type the origin answered. /account.php/x.css
// answered with text/html (the account page, by a framework that ignores the tail of
// the path) is refused, so an attacker cannot have someone's page kept under a
// "static" URL and then read it.

#include <string>
#include <string_view>

namespace rampart::cache {

enum class ArmorVerdict : uint8_t {
  kNoExtension,       // the last path segment has no extension: nothing to compare
  kUnknownExtension,  // an extension without a known type (.php, .aspx): nothing to compare
  kMatch,
  kMismatch,  // do not store
};

// The lower-cased extension of the path's last segment after percent-decoding it: the
// letters and digits after its last dot ("/a.php/x%2EJPG" -> "jpg", "/a.php;.css" ->
// "css", "/x.css;v=1" -> "css"); empty when it has none.
std::string path_extension(std::string_view path);

// The extension of `path` against the response's Content-Type value (parameters and
// case ignored). A known extension with no Content-Type at all is a mismatch.
ArmorVerdict check_deception_armor(std::string_view path, std::string_view content_type);

}  // namespace rampart::cache
