#pragma once
// Helpers for the rules tests: parse a raw HTTP request into a head that outlives the
// call, compile an expression and evaluate it, and read compile errors as the span of
// expression text they point at.

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/ip_range_set.h"
#include "http/h1_parser.h"
#include "rules/compiler.h"
#include "rules/evaluator.h"
#include "rules/fields.h"
#include "rules/request.h"

namespace rampart::rules::testing {

// Parses `raw` (CRLF line ends, ending in an empty line) into a head whose views stay
// valid for the rest of the test binary's life.
inline const http::RequestHead& parse_head(std::string_view raw) {
  static std::deque<std::string> inputs;
  static std::deque<http::RequestHead> heads;
  const std::string& kept = inputs.emplace_back(raw);
  http::RequestHead& head = heads.emplace_back();
  http::ParseResult r = http::parse_request_head(kept, http::ParserLimits{}, head);
  EXPECT_EQ(r.status, http::ParseStatus::kComplete)
      << "test request does not parse (" << r.error.reason << "):\n"
      << raw;
  return head;
}

// A request head with the given extra header lines ("Name: value\r\n" each).
inline std::string get(std::string_view target, std::string_view headers = "",
                       std::string_view host = "shop.example") {
  std::string s = "GET ";
  s += target;
  s += " HTTP/1.1\r\nHost: ";
  s += host;
  s += "\r\n";
  s += headers;
  s += "\r\n";
  return s;
}

inline std::shared_ptr<const core::LiveIpSet> ip_set(
    std::initializer_list<std::string_view> items) {
  core::IpRangeSet::Builder b;
  for (std::string_view item : items) {
    auto c = core::Cidr::parse(item);
    EXPECT_TRUE(c.has_value()) << item;
    if (c) b.add(*c);
  }
  return std::make_shared<const core::LiveIpSet>(
      std::make_shared<const core::IpRangeSet>(std::move(b).build()), false);
}

inline core::IpAddress ip(std::string_view text) {
  auto a = core::IpAddress::parse(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a.value_or(core::IpAddress{});
}

// A compile error, with the text it points at.
struct Failure {
  size_t offset = 0;
  size_t length = 0;
  std::string message;
  std::string span;  // text.substr(offset, length)
};

inline std::ostream& operator<<(std::ostream& os, const Failure& f) {
  return os << "[" << f.offset << "+" << f.length << " \"" << f.span << "\"] " << f.message;
}

// One request, any number of expressions evaluated against it. Each eval gets a fresh
// compiler and evaluation state, so tests do not depend on each other's slots.
class Harness {
 public:
  Harness() : Harness(get("/")) {}
  explicit Harness(std::string_view raw_request) {
    lists["bad"] = ip_set({"203.0.113.0/24", "2001:db8:bad::/48"});
    lists["office"] = ip_set({"192.0.2.0/28"});
    set_request(raw_request);
  }

  void set_request(std::string_view raw) {
    request.head = &parse_head(raw);
    request.client_ip = ip("192.0.2.1");
  }

  CompileOptions options() const { return CompileOptions{&lists, phase, phase_name}; }

  // The compile error of `expr`, or a failed test if it compiles.
  Failure error(std::string_view expr, Type result = Type::kBool) const {
    Compiler compiler(options(), *registry);
    CompileResult r = compiler.compile(expr, result);
    Failure f;
    if (!r.error) {
      ADD_FAILURE() << "expected a compile error for: " << expr;
      return f;
    }
    EXPECT_EQ(r.program, nullptr);
    f.offset = r.error->offset;
    f.length = r.error->length;
    f.message = r.error->message;
    EXPECT_GE(f.length, 1u) << expr;
    EXPECT_LE(f.offset, expr.size()) << expr;
    f.span = std::string(expr.substr(std::min(f.offset, expr.size()), f.length));
    return f;
  }

  // Whether the condition `expr` matches the request; a failed test if it does not
  // compile as a condition.
  bool match(std::string_view expr) {
    Compiler compiler(options(), *registry);
    CompileResult r = compiler.compile(expr, Type::kBool);
    if (!r.program) {
      ADD_FAILURE() << "does not compile: " << expr << "\n  " << r.error->message << "\n"
                    << caret_snippet(expr, r.error->offset, r.error->length);
      return false;
    }
    EvalState state(request, compiler.slots(), *registry);
    bool hit = matches(*r.program, state);
    steps = state.steps;
    return hit;
  }

  // The value of `expr` as the language writes it ("abc", 42, 192.0.2.1, ["a"],
  // (missing)), whatever its type; "error: ..." when it does not compile.
  std::string value(std::string_view expr) {
    static constexpr Type kTypes[] = {Type::kBool, Type::kString,      Type::kInt,
                                      Type::kIp,   Type::kStringArray, Type::kIntArray};
    std::optional<CompileError> first_error;
    for (Type t : kTypes) {
      Compiler compiler(options(), *registry);
      CompileResult r = compiler.compile(expr, t);
      if (!r.program) {
        if (!first_error) first_error = r.error;
        continue;
      }
      EvalState state(request, compiler.slots(), *registry);
      std::vector<TraceEntry> trace;
      state.trace_into(&trace);
      Value v = evaluate(*r.program, state);
      steps = state.steps;
      last_trace.clear();
      for (const auto& e : trace) last_trace.push_back(e.field + " = " + format_value(e.value));
      EXPECT_EQ(v.type, t) << expr;
      return format_value(v);
    }
    return "error: " + first_error->message;
  }

  // A string-valued expression's value (for readability: no quotes, no escaping).
  std::string str(std::string_view expr) {
    Compiler compiler(options(), *registry);
    CompileResult r = compiler.compile(expr, Type::kString);
    if (!r.program) {
      ADD_FAILURE() << "does not compile as a string: " << expr << "\n  " << r.error->message;
      return "";
    }
    EvalState state(request, compiler.slots(), *registry);
    Value v = evaluate(*r.program, state);
    if (v.missing) return "(missing)";
    return std::string(v.string);
  }

  IpLists lists;
  Request request;
  Availability phase = Availability::kResponse;  // every field allowed unless a test says
  std::string_view phase_name = "response";
  const FieldRegistry* registry = &FieldRegistry::global();
  uint64_t steps = 0;
  std::vector<std::string> last_trace;  // fields read by the last value()
};

}  // namespace rampart::rules::testing
