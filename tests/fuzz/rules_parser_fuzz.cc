// libFuzzer target for the rules compiler: any expression text must give either a
// program or one error that points inside the text, never a crash, a hang or an
// exception; a program must then evaluate against a fixed request within its step
// bound and give a value of the type it was compiled for.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/ip_range_set.h"
#include "fuzz_check.h"
#include "http/h1_parser.h"
#include "rules/compiler.h"
#include "rules/error.h"
#include "rules/evaluator.h"

namespace {

using namespace rampart;

const char kRequest[] =
    "POST /api/v1/items.json?id=42&tag=a&tag=b&q=%E0%0A%FF+x HTTP/1.1\r\n"
    "Host: Shop.Example:8443\r\n"
    "User-Agent: Mozilla/5.0 curl/8.1\r\n"
    "Accept: text/html\r\n"
    "Accept: application/json\r\n"
    "Cookie: sid=abc; theme=\"dark\"\r\n"
    "Referer: https://ref.example/\r\n"
    "Content-Length: 38\r\n"
    "\r\n";
const char kBody[] = R"({"user":{"name":"root","ids":[1,"2"]}})";
constexpr size_t kArrayMax = 8;  // the request's longest array: its header list

struct Fixture {
  rules::IpLists lists;
  http::RequestHead head;
  rules::Request request;

  Fixture() {
    auto make = [](std::initializer_list<const char*> items) {
      core::IpRangeSet::Builder b;
      for (const char* item : items) b.add(*core::Cidr::parse(item));
      return std::make_shared<const core::LiveIpSet>(
          std::make_shared<const core::IpRangeSet>(std::move(b).build()), false);
    };
    lists["bad"] = make({"203.0.113.0/24", "2001:db8:bad::/48"});
    lists["office"] = make({"192.0.2.0/28"});
    auto r = http::parse_request_head(kRequest, http::ParserLimits{}, head);
    FUZZ_CHECK(r.status == http::ParseStatus::kComplete);
    request.head = &head;
    request.client_ip = *core::IpAddress::parse("192.0.2.1");
    request.body = std::string_view(kBody);
    request.response_status = 200;
    request.timestamp = 1700000000;
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

// Compiles `text` for `result`; a program is evaluated, an error checked.
bool run(std::string_view text, rules::Type result) {
  const Fixture& f = fixture();
  rules::Compiler compiler(
      rules::CompileOptions{&f.lists, rules::Availability::kResponse, "response"});
  rules::CompileResult r = compiler.compile(text, result);
  FUZZ_CHECK(!r.program != !r.error);  // exactly one of them
  if (r.error) {
    const rules::CompileError& e = *r.error;
    FUZZ_CHECK(!e.message.empty());
    FUZZ_CHECK(e.length >= 1);
    FUZZ_CHECK(e.offset <= text.size());
    std::string snippet = rules::caret_snippet(text, e.offset, e.length);
    FUZZ_CHECK(snippet.find('^') != std::string::npos);
    return false;
  }
  const rules::Program& program = *r.program;
  FUZZ_CHECK(program.root < program.nodes.size());
  rules::EvalState state(f.request, compiler.slots());
  rules::Value v = rules::evaluate(program, state);
  FUZZ_CHECK(v.type == result);
  FUZZ_CHECK(!state.exhausted);
  // Every node runs at most once, or once per element inside any()/all().
  FUZZ_CHECK(state.steps <= program.nodes.size() * (kArrayMax + 1));
  if (result == rules::Type::kBool) {
    // matches() agrees with the value, and a second run over the same state (fields
    // now cached) gives the same answer.
    bool hit = !v.missing && v.boolean;
    FUZZ_CHECK(rules::matches(program, state) == hit);
  } else if (!v.missing) {
    (void)rules::format_value(v);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bool condition = run(text, rampart::rules::Type::kBool);
  bool string = run(text, rampart::rules::Type::kString);
  FUZZ_CHECK(!(condition && string));  // an expression has one type
  return 0;
}
