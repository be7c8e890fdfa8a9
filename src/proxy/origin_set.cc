#include "proxy/origin_set.h"

#include "core/listener.h"
#include "pipeline/expression.h"
#include "rules/compiler.h"

namespace rampart::proxy {

namespace {

std::string endpoint_name(const boost::asio::ip::tcp::endpoint& ep) {
  std::string address = ep.address().to_string();
  if (ep.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(ep.port());
}

// A hash key may be any scalar the rules language yields; strings are the common case,
// `ip.src` and numbers are accepted as they are.
void compile_hash_key(OriginPool& pool, const config::Config& config, const rules::IpLists& lists,
                      std::vector<config::Diagnostic>& errors) {
  const auto& key = pool.config().hash_key;
  if (!key) return;
  for (rules::Type type : {rules::Type::kString, rules::Type::kIp, rules::Type::kInt}) {
    rules::Compiler compiler(
        rules::CompileOptions{&lists, rules::Availability::kRequest, "origin"});
    rules::CompileResult result = compiler.compile(key->text, type);
    if (result.program) {
      pool.set_hash_key(std::move(result.program), compiler.slots());
      return;
    }
  }
  // None fit: report the error for the usual case.
  rules::Compiler compiler(rules::CompileOptions{&lists, rules::Availability::kRequest, "origin"});
  pipeline::compile_expression(compiler, *key, rules::Type::kString, config.source,
                               "pool \"" + pool.name() + "\" hash_key", errors);
}

}  // namespace

std::shared_ptr<OriginSet> OriginSet::build(const config::Config& config, OriginStateStore& store,
                                            std::vector<config::Diagnostic>& errors) {
  auto set = std::make_shared<OriginSet>();
  rules::IpLists lists = pipeline::ip_lists_of(config);
  for (const config::Pool& pool : config.pools) {
    std::vector<OriginEndpoint> endpoints;
    for (const config::PoolEndpoint& pe : pool.endpoints) {
      std::string error;
      auto ep = core::resolve_endpoint(pe.address.host, pe.address.port, error);
      if (!ep) {
        errors.push_back({config.source, pe.line, pe.column,
                          (pool.implicit ? "site origin" : "pool \"" + pool.name + "\"") +
                              std::string(": endpoint ") + pe.address.to_string() + ": " + error});
        continue;
      }
      OriginEndpoint e;
      e.name = endpoint_name(*ep);
      e.host = pe.address.host;
      e.address = *ep;
      e.configured_enabled = pe.enabled;
      endpoints.push_back(std::move(e));
    }
    auto runtime = std::make_shared<OriginPool>(pool, std::move(endpoints), store);
    if (pool.tls) {
      runtime->set_tls(
          tls::OriginContext::build(*pool.tls, pool.name, config.source, errors, pool.http2));
    }
    compile_hash_key(*runtime, config, lists, errors);
    set->pools_.push_back(std::move(runtime));
  }
  for (const config::Site& site : config.sites) {
    FailoverPlan plan;
    for (const std::string& name : site.origin.pools) {
      if (OriginPool* p = set->pool(name)) plan.pools.push_back(p);
    }
    if (!site.origin.fallback.empty()) plan.fallback = set->pool(site.origin.fallback);
    if (plan.pools.empty() && !plan.fallback) {
      errors.push_back({config.source, 0, 0, "site '" + site.name + "': no origin pool"});
    }
    set->site_plans_.push_back(std::move(plan));
  }
  return set;
}

OriginPool* OriginSet::pool(std::string_view name) const {
  for (const auto& p : pools_) {
    if (p->name() == name) return p.get();
  }
  return nullptr;
}

OriginPool* OriginSet::choose(const FailoverPlan& plan) {
  for (OriginPool* p : plan.pools) {
    size_t usable = p->usable_count();
    if (usable > 0 && usable >= p->config().min_healthy) return p;
  }
  if (plan.fallback && plan.fallback->usable_count() > 0) return plan.fallback;
  for (OriginPool* p : plan.pools) {
    if (p->usable_count() > 0) return p;
  }
  return nullptr;
}

FailoverPlan OriginSet::route_plan(std::span<const std::string> pools,
                                   std::string_view fallback) const {
  FailoverPlan plan;
  for (const std::string& name : pools) {
    if (OriginPool* p = pool(name)) plan.pools.push_back(p);
  }
  if (!fallback.empty()) plan.fallback = pool(fallback);
  return plan;
}

}  // namespace rampart::proxy
