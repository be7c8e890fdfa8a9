#pragma once
// The types of the rules language. Every expression has one, known at compile time.

#include <cstdint>
#include <string_view>

namespace rampart::rules {

enum class Type : uint8_t {
  kBool,
  kInt,
  kString,  // bytes: no encoding is assumed
  kIp,
  kStringArray,
  kIntArray,
};

constexpr bool is_array(Type t) {
  return t == Type::kStringArray || t == Type::kIntArray;
}

constexpr Type element_type(Type t) {
  return t == Type::kStringArray ? Type::kString : t == Type::kIntArray ? Type::kInt : t;
}

constexpr std::string_view type_name(Type t) {
  switch (t) {
    case Type::kBool:
      return "Bool";
    case Type::kInt:
      return "Int";
    case Type::kString:
      return "String";
    case Type::kIp:
      return "IP address";
    case Type::kStringArray:
      return "Array<String>";
    case Type::kIntArray:
      return "Array<Int>";
  }
  return "?";
}

}  // namespace rampart::rules
