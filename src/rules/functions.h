#pragma once
// The functions of the rules language. Their type rules live in the compiler and
// their bodies in the evaluator; this is the one list of names.

#include <cstdint>
#include <optional>
#include <string_view>

namespace rampart::rules {

enum class Function : uint8_t {
  kLower,
  kUpper,
  kLen,
  kStartsWith,
  kEndsWith,
  kConcat,
  kAny,
  kAll,
  kUrlDecode,
  kRegexReplace,
  kSubstring,
  kLookupJsonString,
  kCidr,
};

struct FunctionName {
  std::string_view name;
  Function function;
};

inline constexpr FunctionName kFunctions[] = {
    {"lower", Function::kLower},
    {"upper", Function::kUpper},
    {"len", Function::kLen},
    {"starts_with", Function::kStartsWith},
    {"ends_with", Function::kEndsWith},
    {"concat", Function::kConcat},
    {"any", Function::kAny},
    {"all", Function::kAll},
    {"url_decode", Function::kUrlDecode},
    {"regex_replace", Function::kRegexReplace},
    {"substring", Function::kSubstring},
    {"lookup_json_string", Function::kLookupJsonString},
    {"cidr", Function::kCidr},
};

inline std::optional<Function> find_function(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (f.name == name) return f.function;
  }
  return std::nullopt;
}

}  // namespace rampart::rules
