// The transformation names and the dispatch; the transformations themselves live in
// transform_<family>.cc (see transform_impl.h).
#include "seclang/transform.h"

#include <array>

#include "seclang/transform_impl.h"

namespace rampart::seclang {
namespace {

namespace d = transform_detail;

struct NamedTransform {
  std::string_view name;
  Transform transform;
};

// The canonical spelling first: transform_name() returns the first entry of a transform.
constexpr std::array kNames = {
    NamedTransform{"none", Transform::kNone},
    NamedTransform{"base64Decode", Transform::kBase64Decode},
    NamedTransform{"base64DecodeExt", Transform::kBase64DecodeExt},
    NamedTransform{"base64Encode", Transform::kBase64Encode},
    NamedTransform{"cmdLine", Transform::kCmdLine},
    NamedTransform{"compressWhitespace", Transform::kCompressWhitespace},
    NamedTransform{"cssDecode", Transform::kCssDecode},
    NamedTransform{"escapeSeqDecode", Transform::kEscapeSeqDecode},
    NamedTransform{"hexDecode", Transform::kHexDecode},
    NamedTransform{"hexEncode", Transform::kHexEncode},
    NamedTransform{"htmlEntityDecode", Transform::kHtmlEntityDecode},
    NamedTransform{"jsDecode", Transform::kJsDecode},
    NamedTransform{"length", Transform::kLength},
    NamedTransform{"lowercase", Transform::kLowercase},
    NamedTransform{"md5", Transform::kMd5},
    NamedTransform{"normalisePath", Transform::kNormalisePath},
    NamedTransform{"normalizePath", Transform::kNormalisePath},
    NamedTransform{"normalisePathWin", Transform::kNormalisePathWin},
    NamedTransform{"normalizePathWin", Transform::kNormalisePathWin},
    NamedTransform{"parityEven7bit", Transform::kParityEven7bit},
    NamedTransform{"parityOdd7bit", Transform::kParityOdd7bit},
    NamedTransform{"parityZero7bit", Transform::kParityZero7bit},
    NamedTransform{"removeComments", Transform::kRemoveComments},
    NamedTransform{"removeCommentsChar", Transform::kRemoveCommentsChar},
    NamedTransform{"removeNulls", Transform::kRemoveNulls},
    NamedTransform{"removeWhitespace", Transform::kRemoveWhitespace},
    NamedTransform{"replaceComments", Transform::kReplaceComments},
    NamedTransform{"replaceNulls", Transform::kReplaceNulls},
    NamedTransform{"sha1", Transform::kSha1},
    NamedTransform{"sqlHexDecode", Transform::kSqlHexDecode},
    NamedTransform{"trim", Transform::kTrim},
    NamedTransform{"trimLeft", Transform::kTrimLeft},
    NamedTransform{"trimRight", Transform::kTrimRight},
    NamedTransform{"uppercase", Transform::kUppercase},
    NamedTransform{"urlDecode", Transform::kUrlDecode},
    NamedTransform{"urlDecodeUni", Transform::kUrlDecodeUni},
    NamedTransform{"urlEncode", Transform::kUrlEncode},
    NamedTransform{"utf8toUnicode", Transform::kUtf8ToUnicode},
};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    if (((a[i] | 0x20) < 'a' || (a[i] | 0x20) > 'z') && a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace

std::optional<Transform> transform_by_name(std::string_view name) {
  for (const auto& entry : kNames) {
    if (equal_ignoring_case(entry.name, name)) return entry.transform;
  }
  return std::nullopt;
}

std::string_view transform_name(Transform t) {
  for (const auto& entry : kNames) {
    if (entry.transform == t) return entry.name;
  }
  return "unknown";
}

bool apply_transform(Transform t, std::string_view in, std::string& out) {
  out.clear();
  switch (t) {
    case Transform::kNone:
      out.assign(in);
      return false;
    case Transform::kBase64Decode:
      return d::base64_decode(in, out);
    case Transform::kBase64DecodeExt:
      return d::base64_decode_ext(in, out);
    case Transform::kBase64Encode:
      return d::base64_encode(in, out);
    case Transform::kCmdLine:
      return d::cmd_line(in, out);
    case Transform::kCompressWhitespace:
      return d::compress_whitespace(in, out);
    case Transform::kCssDecode:
      return d::css_decode(in, out);
    case Transform::kEscapeSeqDecode:
      return d::escape_seq_decode(in, out);
    case Transform::kHexDecode:
      return d::hex_decode(in, out);
    case Transform::kHexEncode:
      return d::hex_encode(in, out);
    case Transform::kHtmlEntityDecode:
      return d::html_entity_decode(in, out);
    case Transform::kJsDecode:
      return d::js_decode(in, out);
    case Transform::kLength:
      return d::length(in, out);
    case Transform::kLowercase:
      return d::lowercase(in, out);
    case Transform::kMd5:
      return d::md5(in, out);
    case Transform::kNormalisePath:
      return d::normalise_path(in, out, false);
    case Transform::kNormalisePathWin:
      return d::normalise_path(in, out, true);
    case Transform::kParityEven7bit:
      return d::parity_even(in, out);
    case Transform::kParityOdd7bit:
      return d::parity_odd(in, out);
    case Transform::kParityZero7bit:
      return d::parity_zero(in, out);
    case Transform::kRemoveComments:
      return d::remove_comments(in, out);
    case Transform::kRemoveCommentsChar:
      return d::remove_comments_char(in, out);
    case Transform::kRemoveNulls:
      return d::remove_nulls(in, out);
    case Transform::kRemoveWhitespace:
      return d::remove_whitespace(in, out);
    case Transform::kReplaceComments:
      return d::replace_comments(in, out);
    case Transform::kReplaceNulls:
      return d::replace_nulls(in, out);
    case Transform::kSha1:
      return d::sha1(in, out);
    case Transform::kSqlHexDecode:
      return d::sql_hex_decode(in, out);
    case Transform::kTrim:
      return d::trim(in, out, true, true);
    case Transform::kTrimLeft:
      return d::trim(in, out, true, false);
    case Transform::kTrimRight:
      return d::trim(in, out, false, true);
    case Transform::kUppercase:
      return d::uppercase(in, out);
    case Transform::kUrlDecode:
      return d::url_decode(in, out);
    case Transform::kUrlDecodeUni:
      return d::url_decode_uni(in, out);
    case Transform::kUrlEncode:
      return d::url_encode(in, out);
    case Transform::kUtf8ToUnicode:
      return d::utf8_to_unicode(in, out);
  }
  out.assign(in);
  return false;
}

}  // namespace rampart::seclang
