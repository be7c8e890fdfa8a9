#pragma once
// What a phase module's micro-benchmark runs on: a module built from a real config and
// a parsed request, with the request context the server would give it. Any failure
// to build them aborts: a benchmark of a broken fixture measures nothing.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/ip.h"
#include "http/h1_parser.h"
#include "pipeline/module.h"
#include "pipeline/request_context.h"

namespace rampart::bench {

struct ModuleFixture {
  std::shared_ptr<const config::Config> config;
  std::unique_ptr<pipeline::Module> module;
  http::RequestHead head;
  std::vector<http::Header> upstream;
  core::IpAddress client_ip = *core::IpAddress::parse("192.0.2.10");
};

using BuildModule = std::unique_ptr<pipeline::Module> (*)(const config::Config&,
                                                          std::vector<config::Diagnostic>&);

// `request` must outlive the fixture: the parsed head points into it.
inline std::unique_ptr<ModuleFixture> make_module_fixture(const std::string& yaml,
                                                          BuildModule build,
                                                          std::string_view request) {
  auto f = std::make_unique<ModuleFixture>();
  config::LoadResult loaded = config::load_string(yaml, "<bench>");
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    std::abort();
  }
  f->config = loaded.config;
  std::vector<config::Diagnostic> errors;
  f->module = build(*f->config, errors);
  if (!f->module) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.to_string().c_str());
    std::abort();
  }
  http::ParserLimits limits;
  if (http::parse_request_head(request, limits, f->head).status != http::ParseStatus::kComplete) {
    std::abort();
  }
  return f;
}

// The context's fields the server sets before the phases run: the first site, the
// fixture's client.
inline void prepare_context(pipeline::RequestContext& ctx, const ModuleFixture& f) {
  ctx.site = &f.config->sites[0];
  ctx.site_index = 0;
  ctx.client_ip = f.client_ip;
  ctx.facts.head = &f.head;
  ctx.facts.client_ip = f.client_ip;
}

}  // namespace rampart::bench
