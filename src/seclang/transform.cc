// The transformation names and the dispatch; the transformations themselves live in
// transform_<family>.cc (see transform_impl.h).
#include "seclang/transform.h"

#include <array>
#include <string_view>
#include <vector>

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

namespace {

struct Triggers {
  Transform t;
  ByteSet bytes;  // a text without any of them comes out as it went in
};

ByteSet bytes_of(std::string_view list) {
  ByteSet set;
  for (char c : list) set.add(static_cast<uint8_t>(c));
  return set;
}

ByteSet byte_range(uint8_t first, uint8_t last) {
  ByteSet set;
  for (unsigned c = first; c <= last; ++c) set.add(static_cast<uint8_t>(c));
  return set;
}

ByteSet joined(ByteSet a, const ByteSet& b) {
  a.merge(b);
  return a;
}

// Conservative: a transformation missing here, or a byte too many, only costs running it.
// Checked by TransformTest.WithoutEffectHoldsOnTextsWithoutTriggers.
std::vector<Triggers> make_triggers() {
  using namespace std::string_view_literals;
  const ByteSet space = bytes_of(" \t\n\v\f\r");  // the C locale's isspace
  const ByteSet nul = bytes_of("\0"sv);
  return {
      {Transform::kNone, ByteSet()},
      {Transform::kLowercase, byte_range('A', 'Z')},
      {Transform::kUppercase, byte_range('a', 'z')},
      {Transform::kCompressWhitespace, space},
      {Transform::kRemoveWhitespace, joined(space, bytes_of("\xa0\xc2"))},
      {Transform::kTrim, space},
      {Transform::kTrimLeft, space},
      {Transform::kTrimRight, space},
      {Transform::kRemoveNulls, nul},
      {Transform::kReplaceNulls, nul},
      {Transform::kUrlDecode, bytes_of("%+")},
      {Transform::kUrlDecodeUni, bytes_of("%+")},
      {Transform::kHtmlEntityDecode, bytes_of("&")},
      {Transform::kJsDecode, bytes_of("\\")},
      {Transform::kCssDecode, joined(bytes_of("\\"), nul)},
      {Transform::kEscapeSeqDecode, bytes_of("\\")},
      {Transform::kUtf8ToUnicode, joined(byte_range(0x80, 0xff), nul)},
      {Transform::kCmdLine, joined(byte_range('A', 'Z'), bytes_of("\"'\\^ ,;\t\r\n"))},
      {Transform::kNormalisePath, bytes_of("/.")},
      {Transform::kNormalisePathWin, bytes_of("/.\\")},
      {Transform::kRemoveComments, bytes_of("/<-#")},
      {Transform::kRemoveCommentsChar, bytes_of("/*<-#")},
      {Transform::kReplaceComments, bytes_of("/")},
  };
}

}  // namespace

uint64_t transforms_without_effect(const ByteSet& present) {
  static const std::vector<Triggers> triggers = make_triggers();
  uint64_t mask = 0;
  for (const Triggers& tr : triggers) {
    if (!tr.bytes.intersects(present)) mask |= uint64_t{1} << static_cast<unsigned>(tr.t);
  }
  return mask;
}

const ByteSet* effect_bytes(Transform t) {
  static const std::vector<Triggers> triggers = make_triggers();
  for (const Triggers& tr : triggers) {
    if (tr.t == t) return &tr.bytes;
  }
  return nullptr;
}

}  // namespace rampart::seclang
