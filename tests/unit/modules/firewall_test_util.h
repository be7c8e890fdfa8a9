#pragma once
// Shared by the firewall module's tests: configs with rules, requests, and a summary
// of what the module did to a request.

#include "modules/firewall/firewall_module.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "http/h1_parser.h"
#include "modules/builtin.h"
#include "modules/firewall/compiled_rules.h"
#include "pipeline/pipeline.h"
#include "unit/config/config_test_util.h"

namespace firewall_test {

using rampart::config::Config;
using rampart::config::Diagnostic;
using rampart::config::LoadResult;
using rampart::http::Header;
using rampart::modules::firewall::build_firewall_module;
using rampart::pipeline::ChallengeKind;
using rampart::pipeline::Module;
using rampart::pipeline::Outcome;
using rampart::pipeline::Phase;
using rampart::pipeline::RequestContext;
using rampart::pipeline::RequestResult;

using Rules = std::vector<std::string>;  // one flow-style YAML map per rule
using Headers = std::vector<std::pair<std::string, std::string>>;

inline void append_rules(std::string& out, std::string_view indent, const Rules& rules) {
  out += std::string(indent) + "  rules:";
  if (rules.empty()) {
    out += " []\n";
    return;
  }
  out += "\n";
  for (const std::string& r : rules) out += std::string(indent) + "    - " + r + "\n";
}

// A config with the config-wide `global` rules, a site "shop" (index 0) with `shop`
// and a site "other" (index 1) with `other`.
inline std::string config_yaml(const Rules& global, const Rules& shop, const Rules& other = {},
                               std::string_view extra = "") {
  std::string y =
      "listeners: [{address: 127.0.0.1:8080}]\n"
      "lists:\n"
      "  office: {items: [192.0.2.0/24, \"2001:db8::/32\"]}\n";
  y += extra;
  y += "firewall:\n";
  append_rules(y, "", global);
  y += "sites:\n";
  y += "  - name: shop\n    hosts: [shop.example]\n    origin: {endpoints: [127.0.0.1:1]}\n";
  y += "    firewall:\n";
  append_rules(y, "    ", shop);
  y += "  - name: other\n    hosts: [other.example]\n    origin: {endpoints: [127.0.0.1:1]}\n";
  y += "    firewall:\n";
  append_rules(y, "    ", other);
  return y;
}

inline std::shared_ptr<const Config> load_config(const std::string& yaml) {
  LoadResult r = rampart::config::load_string(yaml, "test.yaml");
  EXPECT_TRUE(r.ok()) << rampart::config::testing::all_errors(r) << yaml;
  return r.config;
}

inline std::unique_ptr<Module> build(const Config& config) {
  std::vector<Diagnostic> errors;
  auto module = build_firewall_module(config, errors);
  for (const auto& e : errors) ADD_FAILURE() << e.to_string();
  EXPECT_NE(module, nullptr);
  return module;
}

// One parsed request and the context the pipeline would hand the module.
struct Request {
  std::string text;
  rampart::http::RequestHead head;
  std::vector<Header> upstream;
  std::unique_ptr<RequestContext> ctx;
};

struct RequestSpec {
  std::string method = "GET";
  std::string target = "/";
  Headers headers;
  std::string ip = "203.0.113.1";
  std::string host = "shop.example";
  int site = 0;  // -1: no site
};

inline std::unique_ptr<Request> make_request(const Config& config, const RequestSpec& spec) {
  auto r = std::make_unique<Request>();
  r->text = spec.method + " " + spec.target + " HTTP/1.1\r\nHost: " + spec.host + "\r\n";
  for (const auto& [name, value] : spec.headers) r->text += name + ": " + value + "\r\n";
  r->text += "\r\n";
  auto parsed = rampart::http::parse_request_head(r->text, {}, r->head);
  EXPECT_EQ(parsed.status, rampart::http::ParseStatus::kComplete) << r->text;
  r->upstream = r->head.headers;
  r->ctx = std::make_unique<RequestContext>(config, r->head, r->upstream);
  RequestContext& ctx = *r->ctx;
  if (spec.site >= 0) {
    ctx.site = &config.sites.at(static_cast<size_t>(spec.site));
    ctx.site_index = static_cast<size_t>(spec.site);
  }
  auto ip = rampart::core::IpAddress::parse(spec.ip);
  EXPECT_TRUE(ip.has_value()) << spec.ip;
  ctx.client_ip = ip.value_or(ctx.client_ip);
  ctx.facts.head = &r->head;
  ctx.facts.client_ip = ctx.client_ip;
  return r;
}

// Everything the module may decide about a request, comparable and printable.
struct Verdict {
  Outcome outcome = Outcome::kContinue;
  int status = 0;
  std::string content_type;
  std::string body;
  std::string location;
  std::string reason;
  std::string rewritten;
  ChallengeKind challenge = ChallengeKind::kNone;
  std::string challenge_rule;
  std::vector<std::string> rules;
  std::vector<std::string> verdicts;
  std::vector<std::string> skipped_phases;

  bool operator==(const Verdict&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  os << "{outcome " << static_cast<int>(v.outcome) << ", status " << v.status << ", type \""
     << v.content_type << "\", body \"" << v.body << "\", location \"" << v.location
     << "\", reason \"" << v.reason << "\", rewritten \"" << v.rewritten << "\", challenge "
     << static_cast<int>(v.challenge) << " by \"" << v.challenge_rule << "\", rules [";
  for (const auto& r : v.rules) os << r << " ";
  os << "], verdicts [";
  for (const auto& r : v.verdicts) os << r << " ";
  os << "], skipped [";
  for (const auto& r : v.skipped_phases) os << r << " ";
  return os << "]}";
}

inline Verdict summarize(Outcome outcome, const RequestContext& ctx) {
  Verdict v;
  v.outcome = outcome;
  v.status = ctx.local_response.status;
  v.content_type = ctx.local_response.content_type;
  v.body = ctx.local_response.body;
  v.location = ctx.local_response.location;
  v.reason = std::string(ctx.local_response.reason);
  v.rewritten = std::string(ctx.rewritten_target);
  v.challenge = ctx.challenge;
  v.challenge_rule = std::string(ctx.challenge_rule);
  for (auto r : ctx.matched_rules()) v.rules.emplace_back(r);
  for (const auto& r : ctx.verdicts()) {
    v.verdicts.push_back(std::string(r.module) + "=" + std::string(r.verdict));
  }
  for (size_t p = 0; p < rampart::pipeline::kPhaseNames.size(); ++p) {
    if (ctx.phase_skipped(static_cast<Phase>(p))) {
      v.skipped_phases.emplace_back(rampart::pipeline::kPhaseNames[p]);
    }
  }
  return v;
}

inline Verdict run(const Module& module, const Config& config, const RequestSpec& spec) {
  auto request = make_request(config, spec);
  Outcome outcome = module.on_request(*request->ctx);
  return summarize(outcome, *request->ctx);
}

inline RequestSpec get(std::string target, Headers headers = {}) {
  RequestSpec s;
  s.target = std::move(target);
  s.headers = std::move(headers);
  return s;
}

inline uint64_t counter(const Module& module, std::string_view id) {
  std::vector<rampart::pipeline::CounterSample> samples;
  module.collect_counters(samples);
  for (const auto& s : samples) {
    if (s.metric == "rampart_rule_matches_total" && s.label == "rule" && s.label_value == id) {
      return s.value;
    }
  }
  ADD_FAILURE() << "no counter for rule " << id;
  return 0;
}

using Strings = std::vector<std::string>;

// --- basics --------------------------------------------------------------------------

}  // namespace firewall_test
