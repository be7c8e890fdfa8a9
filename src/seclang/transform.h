#pragma once
// SecLang transformations (`t:` actions): pure functions from one string to another,
// with ModSecurity v3's semantics (the differential test compares verdicts with it).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "seclang/byte_filter.h"

namespace rampart::seclang {

enum class Transform : uint8_t {
  kNone,  // `t:none`: the compiler clears the list; applying it copies
  kBase64Decode,
  kBase64DecodeExt,
  kBase64Encode,
  kCmdLine,
  kCompressWhitespace,
  kCssDecode,
  kEscapeSeqDecode,
  kHexDecode,
  kHexEncode,
  kHtmlEntityDecode,
  kJsDecode,
  kLength,
  kLowercase,
  kMd5,
  kNormalisePath,     // also spelled normalizePath
  kNormalisePathWin,  // also spelled normalizePathWin
  kParityEven7bit,
  kParityOdd7bit,
  kParityZero7bit,
  kRemoveComments,
  kRemoveCommentsChar,
  kRemoveNulls,
  kRemoveWhitespace,
  kReplaceComments,
  kReplaceNulls,
  kSha1,
  kSqlHexDecode,
  kTrim,
  kTrimLeft,
  kTrimRight,
  kUppercase,
  kUrlDecode,
  kUrlDecodeUni,
  kUrlEncode,
  kUtf8ToUnicode,
};

// ASCII case-insensitive, as ModSecurity v3's rule scanner matches `t:` names
// ("urlDecodeUni", "urldecodeuni", ...); nullopt if unknown.
std::optional<Transform> transform_by_name(std::string_view name);
std::string_view transform_name(Transform t);

// Writes t(in) into `out` (cleared first). Returns false when the result is identical to
// `in` (callers then keep using `in` and skip the copy). Never fails: malformed input
// (bad %-escapes, odd hex, invalid base64) is handled as ModSecurity handles it.
bool apply_transform(Transform t, std::string_view in, std::string& out);

// The transformations (bit: Transform) that leave every text holding only the bytes
// `present` as it is: each changes a text only through bytes of its own (lowercase: A-Z,
// urlDecodeUni: '%' '+', htmlEntityDecode: '&', ...). A benign value holds none of most
// of them, and the CRS runs a dozen chains over it: this spares running them to find out.
uint64_t transforms_without_effect(const ByteSet& present);
// The bytes `t` changes a text through (none of them: it comes out as it went in); null
// when it has no such rule (sha1, length, ...).
const ByteSet* effect_bytes(Transform t);

}  // namespace rampart::seclang
