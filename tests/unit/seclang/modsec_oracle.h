#pragma once
// ModSecurity v3 itself as a test oracle: loads the installed libmodsecurity at run time
// (no link-time dependency) and runs one of its transformations, so the differential
// tests compare rampart's transformations with the library nginx runs the CRS with.
// Absent library → available() is false and the differential tests skip. Header-only so
// the fuzz target (one source file) can use it too.

#include <dlfcn.h>

#include <optional>
#include <string>
#include <string_view>

#include "seclang/transform.h"

namespace rampart::seclang::testing {

class ModsecOracle {
 public:
  // The process-wide instance (the library is loaded once).
  static ModsecOracle& get();

  bool available() const { return available_; }
  // t(in) as ModSecurity computes it, with a transaction whose rule set maps %uXXXX
  // through the same unicode.mapping (code page 20127) as the nginx configuration.
  std::optional<std::string> apply(Transform t, std::string_view in);

 private:
  ModsecOracle();
  bool available_ = false;
  void* transaction_ = nullptr;
  void* actions_[64] = {};
};

namespace oracle_detail {

// The start of the vtable of ModSecurity's actions::Action (libmodsecurity 3.0.x): the
// two destructor slots, then `std::string evaluate(const std::string&, Transaction*)`.
// Declared here rather than taken from libmodsecurity-dev so only the library is needed;
// objects are only ever made by the library and reached through this interface.
class ForeignAction {
 public:
  virtual ~ForeignAction() = 0;
  virtual std::string evaluate(const std::string& value, void* transaction) = 0;
};

// The names ModSecurity's own factory knows each transformation by (its `cmdLine`
// is `cmd_line` there; the rule parser spells it cmdLine).
inline const char* factory_name(Transform t) {
  switch (t) {
    case Transform::kNone:
      return "t:none";
    case Transform::kBase64Decode:
      return "t:base64Decode";
    case Transform::kBase64DecodeExt:
      return "t:base64DecodeExt";
    case Transform::kBase64Encode:
      return "t:base64Encode";
    case Transform::kCmdLine:
      return "t:cmd_line";
    case Transform::kCompressWhitespace:
      return "t:compressWhitespace";
    case Transform::kCssDecode:
      return "t:cssDecode";
    case Transform::kEscapeSeqDecode:
      return "t:escapeSeqDecode";
    case Transform::kHexDecode:
      return "t:hexDecode";
    case Transform::kHexEncode:
      return "t:hexEncode";
    case Transform::kHtmlEntityDecode:
      return "t:htmlEntityDecode";
    case Transform::kJsDecode:
      return "t:jsDecode";
    case Transform::kLength:
      return "t:length";
    case Transform::kLowercase:
      return "t:lowercase";
    case Transform::kMd5:
      return "t:md5";
    case Transform::kNormalisePath:
      return "t:normalisePath";
    case Transform::kNormalisePathWin:
      return "t:normalisePathWin";
    case Transform::kParityEven7bit:
      return "t:parityEven7bit";
    case Transform::kParityOdd7bit:
      return "t:parityOdd7bit";
    case Transform::kParityZero7bit:
      return "t:parityZero7bit";
    case Transform::kRemoveComments:
      return "t:removeComments";
    case Transform::kRemoveCommentsChar:
      return "t:removeCommentsChar";
    case Transform::kRemoveNulls:
      return "t:removeNulls";
    case Transform::kRemoveWhitespace:
      return "t:removeWhitespace";
    case Transform::kReplaceComments:
      return "t:replaceComments";
    case Transform::kReplaceNulls:
      return "t:replaceNulls";
    case Transform::kSha1:
      return "t:sha1";
    case Transform::kSqlHexDecode:
      return "t:sqlHexDecode";
    case Transform::kTrim:
      return "t:trim";
    case Transform::kTrimLeft:
      return "t:trimLeft";
    case Transform::kTrimRight:
      return "t:trimRight";
    case Transform::kUppercase:
      return "t:uppercase";
    case Transform::kUrlDecode:
      return "t:urlDecode";
    case Transform::kUrlDecodeUni:
      return "t:urlDecodeUni";
    case Transform::kUrlEncode:
      return "t:urlEncode";
    case Transform::kUtf8ToUnicode:
      return "t:utf8toUnicode";
  }
  return nullptr;
}

using Instantiate = ForeignAction* (*)(std::string);
using MscInit = void* (*)();
using MscCreateRules = void* (*)();
using MscRulesAdd = int (*)(void*, const char*, const char**);
using MscNewTransaction = void* (*)(void*, void*, void*);

}  // namespace oracle_detail

inline ModsecOracle& ModsecOracle::get() {
  static ModsecOracle oracle;
  return oracle;
}

inline ModsecOracle::ModsecOracle() {
  using namespace oracle_detail;
  void* lib = dlopen("libmodsecurity.so.3", RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return;
  auto instantiate = reinterpret_cast<Instantiate>(
      dlsym(lib,
            "_ZN11modsecurity7actions15transformations14Transformation11instantiateENSt7__"
            "cxx1112basic_stringIcSt11char_traitsIcESaIcEEE"));
  auto msc_init = reinterpret_cast<MscInit>(dlsym(lib, "msc_init"));
  auto create_rules = reinterpret_cast<MscCreateRules>(dlsym(lib, "msc_create_rules_set"));
  auto rules_add = reinterpret_cast<MscRulesAdd>(dlsym(lib, "msc_rules_add"));
  auto new_tx = reinterpret_cast<MscNewTransaction>(dlsym(lib, "msc_new_transaction"));
  if (!instantiate || !msc_init || !create_rules || !rules_add || !new_tx) return;
  void* msc = msc_init();
  void* rules = create_rules();
  const char* error = nullptr;
  if (rules_add(rules, "SecUnicodeMapFile /etc/nginx/unicode.mapping 20127\n", &error) < 0) {
    return;
  }
  transaction_ = new_tx(msc, rules, nullptr);
  for (int i = 0; i <= static_cast<int>(Transform::kUtf8ToUnicode); ++i) {
    actions_[i] = instantiate(factory_name(static_cast<Transform>(i)));
  }
  available_ = transaction_ != nullptr;
}

// The call goes through ForeignAction, a stand-in for the library's class, which UBSan's
// vptr check rightly flags as a different type; the vtable layouts are the same.
__attribute__((no_sanitize("vptr"))) inline std::optional<std::string> ModsecOracle::apply(
    Transform t, std::string_view in) {
  if (!available_) return std::nullopt;
  auto* action = static_cast<oracle_detail::ForeignAction*>(actions_[static_cast<int>(t)]);
  return action->evaluate(std::string(in), transaction_);
}

}  // namespace rampart::seclang::testing
