#include "unit/seclang/modsec_oracle.h"

#include <dlfcn.h>

#include <modsecurity/actions/action.h>

#include <string>

namespace rampart::seclang::testing {
namespace {

// The names ModSecurity's own factory knows each transformation by (its `cmdLine`
// is `cmd_line` there; the rule parser spells it cmdLine).
const char* factory_name(Transform t) {
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

using Instantiate = modsecurity::actions::Action* (*)(std::string);
using MscInit = void* (*)();
using MscCreateRules = void* (*)();
using MscRulesAdd = int (*)(void*, const char*, const char**);
using MscNewTransaction = void* (*)(void*, void*, void*);

}  // namespace

ModsecOracle& ModsecOracle::get() {
  static ModsecOracle oracle;
  return oracle;
}

ModsecOracle::ModsecOracle() {
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

std::optional<std::string> ModsecOracle::apply(Transform t, std::string_view in) {
  if (!available_) return std::nullopt;
  auto* action = static_cast<modsecurity::actions::Action*>(actions_[static_cast<int>(t)]);
  return action->evaluate(std::string(in), static_cast<modsecurity::Transaction*>(transaction_));
}

}  // namespace rampart::seclang::testing
