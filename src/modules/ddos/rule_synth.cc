#include "modules/ddos/rule_synth.h"

#include <cstdio>

namespace rampart::modules::ddos {
namespace {

std::string_view field_of(Dim dim) {
  switch (dim) {
    case Dim::kUserAgent:
      return "http.user_agent";
    case Dim::kPath:
      return "http.request.uri.path";
    case Dim::kMethod:
      return "http.request.method";
    case Dim::kJa4:
      return "tls.ja4";
    case Dim::kPrefix:
      return "ip.src";
  }
  return "";
}

}  // namespace

std::string rules_string_literal(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out.append(buf);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string rule_text(const std::vector<FingerprintPart>& parts) {
  std::string out;
  for (const FingerprintPart& p : parts) {
    if (!out.empty()) out += " and ";
    std::string_view field = field_of(p.dim);
    if (p.dim == Dim::kPrefix) {
      // The value is CIDR text the detector wrote itself, never client bytes.
      out += "ip.src in {" + p.value + "}";
    } else if (p.truncated) {
      out += "starts_with(" + std::string(field) + ", " + rules_string_literal(p.value) + ")";
    } else {
      out += std::string(field) + " eq " + rules_string_literal(p.value);
    }
  }
  return out;
}

bool compile_rule(const std::string& text, Mitigation& m, std::string& error) {
  rules::Compiler compiler(
      rules::CompileOptions{nullptr, rules::Availability::kRequest, "ddos_l7"});
  rules::CompileResult result = compiler.compile(text, rules::Type::kBool);
  if (!result.program) {
    error = result.error ? result.error->message : "unknown error";
    return false;
  }
  m.program = std::move(result.program);
  m.slots = compiler.slots();
  return true;
}

}  // namespace rampart::modules::ddos
