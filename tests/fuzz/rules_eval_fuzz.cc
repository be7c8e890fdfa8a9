// libFuzzer target for rule evaluation on hostile requests. The input is an
// expression, a line "%%", and a raw HTTP/1 request (head, then the body):
//
//   any(http.request.headers.names[*] contains "x")
//   %%
//   GET /?a=1 HTTP/1.1
//   Host: a.example
//
// The head is parsed with the real parser; an expression that compiles is evaluated,
// and the evaluation's step count must stay within the linear bound the language
// promises: every program node runs at most once, or once per element of the array
// an any()/all() (written or implicit) walks, and loops never nest.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip.h"
#include "core/ip_range_set.h"
#include "fuzz_check.h"
#include "http/h1_parser.h"
#include "rules/compiler.h"
#include "rules/evaluator.h"
#include "rules/scratch.h"
#include "rules/text.h"

namespace {

using namespace rampart;

constexpr std::string_view kSeparator = "\n%%\n";

const rules::IpLists& lists() {
  static const rules::IpLists l = [] {
    rules::IpLists out;
    core::IpRangeSet::Builder b;
    b.add(*core::Cidr::parse("203.0.113.0/24"));
    b.add(*core::Cidr::parse("2001:db8::/32"));
    out["bad"] = std::make_shared<const core::LiveIpSet>(
        std::make_shared<const core::IpRangeSet>(std::move(b).build()), false);
    return out;
  }();
  return l;
}

// The longest array any built-in field can give for this request.
size_t longest_array(const rules::Request& request) {
  const http::RequestHead& head = *request.head;
  rules::Scratch scratch;
  size_t args = rules::split_query(head.query, scratch).size();
  std::vector<std::string_view> cookie_lines;
  for (const auto& h : head.headers) {
    if (http::iequals(h.name, "cookie")) cookie_lines.push_back(h.value);
  }
  size_t cookies = rules::split_cookies(cookie_lines, scratch).size();
  return std::max({head.headers.size(), args, cookies});
}

void run(std::string_view expression, const rules::Request& request, rules::Type type) {
  rules::Compiler compiler(
      rules::CompileOptions{&lists(), rules::Availability::kResponse, "response"});
  rules::CompileResult r = compiler.compile(expression, type);
  if (!r.program) return;
  const rules::Program& program = *r.program;
  rules::EvalState state(request, compiler.slots());
  rules::Value v = rules::evaluate(program, state);
  FUZZ_CHECK(v.type == type);
  uint64_t bound = static_cast<uint64_t>(program.nodes.size()) * (longest_array(request) + 1);
  if (state.steps > bound) {
    std::fprintf(stderr, "steps %llu > bound %llu (%zu nodes, longest array %zu)\n",
                 static_cast<unsigned long long>(state.steps),
                 static_cast<unsigned long long>(bound), program.nodes.size(),
                 longest_array(request));
    std::abort();
  }
  FUZZ_CHECK(state.exhausted == (state.steps > rules::kMaxSteps));
  if (type == rules::Type::kBool) {
    FUZZ_CHECK(rules::matches(program, state) == (!v.missing && v.boolean && !state.exhausted));
  } else if (!v.missing) {
    (void)rules::format_value(v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t split = in.find(kSeparator);
  if (split == std::string_view::npos) return 0;
  std::string_view expression = in.substr(0, split);
  std::string_view raw = in.substr(split + kSeparator.size());

  http::RequestHead head;
  http::ParseResult parsed = http::parse_request_head(raw, http::ParserLimits{}, head);
  if (parsed.status != http::ParseStatus::kComplete) return 0;

  rules::Request request;
  request.head = &head;
  request.client_ip = *core::IpAddress::parse(size % 2 ? "2001:db8::1" : "192.0.2.1");
  request.tls = size % 3 == 0;
  request.body = raw.substr(parsed.consumed);
  request.response_status = 404;
  request.timestamp = 1700000000;

  run(expression, request, rules::Type::kBool);
  run(expression, request, rules::Type::kString);
  return 0;
}
