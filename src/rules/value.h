#pragma once
// One runtime value. Strings and arrays are views: into the request, the compiled
// program, or the evaluation's arena, all of which outlive the evaluation.

#include <cstdint>
#include <span>
#include <string_view>

#include "core/ip.h"
#include "rules/types.h"

namespace rampart::rules {

struct Value {
  Type type = Type::kBool;
  // A field the request does not have (no such header, no response yet, a module
  // that did not run). Every comparison with a missing value is false.
  bool missing = true;
  bool boolean = false;
  // Which member holds the value follows from `type`. A union keeps a Value at 32
  // bytes: evaluation copies them at every node.
  union {
    std::string_view string;                    // kString
    int64_t integer;                            // kInt
    core::IpAddress ip;                         // kIp
    std::span<const std::string_view> strings;  // kStringArray
    std::span<const int64_t> integers;          // kIntArray
  };

  Value() noexcept : string() {}

  static Value none(Type t) {
    Value v;
    v.type = t;
    return v;
  }
  static Value of_bool(bool b) {
    Value v = present(Type::kBool);
    v.boolean = b;
    return v;
  }
  static Value of_int(int64_t i) {
    Value v = present(Type::kInt);
    v.integer = i;
    return v;
  }
  static Value of_string(std::string_view s) {
    Value v = present(Type::kString);
    v.string = s;
    return v;
  }
  static Value of_ip(const core::IpAddress& a) {
    Value v = present(Type::kIp);
    v.ip = a;
    return v;
  }
  static Value of_strings(std::span<const std::string_view> s) {
    Value v = present(Type::kStringArray);
    v.strings = s;
    return v;
  }
  static Value of_ints(std::span<const int64_t> s) {
    Value v = present(Type::kIntArray);
    v.integers = s;
    return v;
  }

 private:
  static Value present(Type t) {
    Value v;
    v.type = t;
    v.missing = false;
    return v;
  }
};

static_assert(sizeof(Value) <= 32);

}  // namespace rampart::rules
