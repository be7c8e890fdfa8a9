// libFuzzer target for the SecLang transformations. The first byte picks the
// transformation, the rest is the value. Checks: no crash or UB; the return value is
// exactly "output differs from input"; length is the decimal size; case folding, trims
// and whitespace/NUL removal are idempotent; the decoders never grow their input;
// base64/hex encodings round-trip; digests have their size. When the installed
// libmodsecurity is present, the output must also equal ModSecurity's.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../unit/seclang/modsec_oracle.h"
#include "fuzz_check.h"
#include "seclang/transform.h"

namespace {

using rampart::seclang::apply_transform;
using rampart::seclang::Transform;

constexpr int kTransformCount = static_cast<int>(Transform::kUtf8ToUnicode) + 1;

bool is_idempotent(Transform t) {
  switch (t) {
    case Transform::kLowercase:
    case Transform::kUppercase:
    case Transform::kTrim:
    case Transform::kTrimLeft:
    case Transform::kTrimRight:
    case Transform::kCompressWhitespace:
    case Transform::kRemoveWhitespace:
    case Transform::kRemoveNulls:
    case Transform::kReplaceNulls:
    case Transform::kParityZero7bit:
    case Transform::kNone:
      return true;
    default:
      return false;
  }
}

bool never_grows(Transform t) {
  switch (t) {
    case Transform::kUrlDecode:
    case Transform::kUrlDecodeUni:
    case Transform::kHtmlEntityDecode:
    case Transform::kJsDecode:
    case Transform::kCssDecode:
    case Transform::kEscapeSeqDecode:
    case Transform::kHexDecode:
    case Transform::kSqlHexDecode:
    case Transform::kBase64Decode:
    case Transform::kBase64DecodeExt:
    case Transform::kCmdLine:
    case Transform::kRemoveComments:
    case Transform::kRemoveCommentsChar:
    case Transform::kReplaceComments:
    case Transform::kNormalisePath:
    case Transform::kNormalisePathWin:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  auto t = static_cast<Transform>(data[0] % kTransformCount);
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string out = "stale";
  bool changed = apply_transform(t, in, out);
  FUZZ_CHECK(changed == (out != in));

  std::string again;
  if (is_idempotent(t)) {
    FUZZ_CHECK(!apply_transform(t, out, again));
    FUZZ_CHECK(again == out);
  }
  if (never_grows(t)) FUZZ_CHECK(out.size() <= in.size());
  switch (t) {
    case Transform::kLength:
      FUZZ_CHECK(out == std::to_string(in.size()));
      break;
    case Transform::kMd5:
      FUZZ_CHECK(out.size() == 16);
      break;
    case Transform::kSha1:
      FUZZ_CHECK(out.size() == 20);
      break;
    case Transform::kBase64Encode:
      apply_transform(Transform::kBase64Decode, out, again);
      FUZZ_CHECK(again == in);
      apply_transform(Transform::kBase64DecodeExt, out, again);
      FUZZ_CHECK(again == in);
      break;
    case Transform::kHexEncode:
      apply_transform(Transform::kHexDecode, out, again);
      FUZZ_CHECK(again == in);
      break;
    case Transform::kUrlEncode:
      apply_transform(Transform::kUrlDecode, out, again);
      FUZZ_CHECK(again == in);
      break;
    default:
      break;
  }

  auto& oracle = rampart::seclang::testing::ModsecOracle::get();
  if (oracle.available()) FUZZ_CHECK(*oracle.apply(t, in) == out);
  return 0;
}
