#pragma once
// The ordered list of modules built from one config snapshot. It owns the policy
// around modules: kill switches (a module disabled in the config is not built; one
// switched off at runtime is skipped — see kill_switches.h), fail modes and the failure
// counters, so no module has to implement them itself.

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "pipeline/kill_switches.h"
#include "pipeline/module.h"

namespace rampart::pipeline {

using ModuleFactory = std::function<std::unique_ptr<Module>(
    const config::Config&, std::vector<config::Diagnostic>& errors)>;

struct ModuleDescriptor {
  Phase phase;
  std::string_view name;  // the key under `modules:` in the config
  ModuleFactory factory;
  // Whether the config gives the module anything to do (null: always). A module that has
  // nothing to do is left out of the pipeline, so it costs requests nothing.
  bool (*configured)(const config::Config&) = nullptr;
};

class ModuleRegistry {
 public:
  void add(ModuleDescriptor descriptor) { modules_.push_back(std::move(descriptor)); }
  const std::vector<ModuleDescriptor>& modules() const { return modules_; }

 private:
  std::vector<ModuleDescriptor> modules_;
};

enum class RequestResult : uint8_t { kForward, kRespond };

struct ModuleStats {
  std::string_view name;
  uint64_t failures;
  bool fail_closed;
  bool killed = false;  // switched off at runtime (admin API)
};

class Pipeline {
 public:
  // Builds the enabled modules in phase order; factory errors are appended to `errors`.
  static std::unique_ptr<Pipeline> build(const config::Config& config,
                                         const ModuleRegistry& registry,
                                         std::vector<config::Diagnostic>& errors);

  RequestResult run_request(RequestContext& ctx) const;
  // The largest request-body limit any module asks for this request (0: none wants it).
  size_t request_body_limit(const RequestContext& ctx) const;
  // Runs the modules' on_request_body hooks (those that asked for the body), in phase
  // order; kRespond when one answered (ctx.local_response) or failed closed.
  RequestResult run_request_body(RequestContext& ctx, std::string_view body, bool truncated) const;
  // Response inspection (Module::inspect_response), before the response is stored or
  // sent; kRespond: answer with ctx.local_response instead (a module's deny, or one that
  // failed closed). ctx.response_status / response_headers must be set.
  RequestResult inspect_response(RequestContext& ctx) const;
  // The largest response-body limit a module asks for (0: stream the body untouched).
  size_t response_body_limit(const RequestContext& ctx) const;
  RequestResult inspect_response_body(RequestContext& ctx, std::string_view body,
                                      bool truncated) const;
  void run_response(RequestContext& ctx) const;
  void run_log(const RequestContext& ctx) const noexcept;

  size_t size() const { return entries_.size(); }
  std::vector<ModuleStats> stats() const;
  // Every module's exported counters, grouped by metric name.
  std::vector<CounterSample> counters() const;
  std::vector<std::string_view> names() const;
  // Modules the config gives something to do but disables (`enabled: false`).
  std::vector<std::string_view> disabled_by_config() const;

 private:
  struct Entry {
    std::unique_ptr<Module> module;  // null: disabled by the config, never built
    std::string_view name;
    Phase phase = Phase::kNormalize;
    uint32_t slot = 0;  // in kill_switches()
    bool has_slot = false;
    bool fail_closed = false;
    mutable std::atomic<uint64_t> failures{0};
  };
  // Whether the entry is off for this request (config or runtime kill switch); if so,
  // counts and records the skip.
  bool killed(const Entry& entry) const {
    return entry.module == nullptr || (entry.has_slot && kill_switches().off(entry.slot));
  }
  void skip_killed(const Entry& entry, RequestContext& ctx) const;
  // Returns true when the failure must stop the request (fail-closed).
  bool handle_failure(const Entry& entry, RequestContext& ctx, const char* what) const;

  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<const Entry*> response_entries_;
  std::vector<const Entry*> inspect_entries_;
};

}  // namespace rampart::pipeline
