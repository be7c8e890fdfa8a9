#include "app/rules_cmd.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "config/config.h"
#include "http/h1_parser.h"
#include "pipeline/expression.h"
#include "rules/compiler.h"
#include "rules/evaluator.h"

namespace rampart::app {
namespace {

constexpr size_t kMaxRequestFile = 16 << 20;

bool read_all(const std::string& path, std::string& out) {
  if (path == "-") {
    out.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return true;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return true;
}

// Request files are written in editors: bare LF line ends are accepted and turned into
// CRLF in the head, and a missing blank line after the headers is added.
std::string normalize_head(const std::string& raw, std::string& body) {
  std::string text = raw;
  size_t head_end = text.find("\r\n\r\n");
  size_t lf_end = text.find("\n\n");
  // The head ends at the first blank line of either kind: a body may hold the other.
  if (head_end == std::string::npos || (lf_end != std::string::npos && lf_end < head_end)) {
    std::string head = text.substr(0, lf_end);
    body = lf_end == std::string::npos ? "" : text.substr(lf_end + 2);
    std::string crlf;
    for (char c : head) {
      if (c == '\n' && (crlf.empty() || crlf.back() != '\r')) crlf += '\r';
      crlf += c;
    }
    while (!crlf.empty() && (crlf.back() == '\n' || crlf.back() == '\r')) crlf.pop_back();
    return crlf + "\r\n\r\n";
  }
  body = text.substr(head_end + 4);
  return text.substr(0, head_end + 4);
}

}  // namespace

int rules_test(const RulesTestOptions& options) {
  std::string raw;
  if (!read_all(options.request_file, raw)) {
    std::fprintf(stderr, "error: cannot read %s\n", options.request_file.c_str());
    return 2;
  }
  if (raw.size() > kMaxRequestFile) {
    std::fprintf(stderr, "error: %s is larger than 16 MiB\n", options.request_file.c_str());
    return 2;
  }
  std::string body;
  std::string head_text = normalize_head(raw, body);
  http::RequestHead head;
  http::ParserLimits limits;
  limits.max_header_bytes = kMaxRequestFile;
  limits.max_request_line = 64 << 10;
  limits.max_header_count = 10'000;
  http::ParseResult parsed = http::parse_request_head(head_text, limits, head);
  if (parsed.status != http::ParseStatus::kComplete) {
    std::fprintf(stderr, "error: %s is not a valid HTTP/1.1 request (%d %.*s)\n",
                 options.request_file.c_str(), parsed.error.status,
                 static_cast<int>(parsed.error.reason.size()), parsed.error.reason.data());
    return 2;
  }
  auto ip = core::IpAddress::parse(options.client_ip);
  if (!ip) {
    std::fprintf(stderr, "error: --ip %s is not an IP address\n", options.client_ip.c_str());
    return 2;
  }

  rules::IpLists lists;
  if (!options.config_file.empty()) {
    config::LoadResult loaded = config::load_file(options.config_file);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
      return 2;
    }
    lists = pipeline::ip_lists_of(*loaded.config);
  }
  // Every field is allowed here: the request file stands for any phase.
  rules::Compiler compiler(
      rules::CompileOptions{&lists, rules::Availability::kResponse, "response"});
  rules::CompileResult compiled = compiler.compile(options.expression);
  if (!compiled.program) {
    std::fprintf(
        stderr, "error: %s\n%s\n", compiled.error->message.c_str(),
        rules::caret_snippet(options.expression, compiled.error->offset, compiled.error->length)
            .c_str());
    return 2;
  }

  rules::Request request;
  request.head = &head;
  request.client_ip = *ip;
  request.tls = options.tls;
  request.response_status = options.response_status;
  if (!body.empty()) request.body = body;
  rules::EvalState state(request, compiler.slots());
  std::vector<rules::TraceEntry> trace;
  state.trace_into(&trace);
  rules::Value result = rules::evaluate(*compiled.program, state);
  bool matched = !result.missing && result.boolean && !state.exhausted;

  std::printf("fields:\n");
  if (trace.empty()) std::printf("  (none read)\n");
  for (const auto& t : trace) {
    std::printf("  %s = %s\n", t.field.c_str(), rules::format_value(t.value).c_str());
  }
  if (state.exhausted) {
    std::printf("result: error (the evaluation hit its step limit)\n");
    return 2;
  }
  std::printf("result: %s\n", matched ? "true (matches)" : "false (no match)");
  return matched ? 0 : 1;
}

}  // namespace rampart::app
