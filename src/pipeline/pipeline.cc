#include "pipeline/pipeline.h"

#include <algorithm>
#include <exception>

#include "core/log.h"
#include "pipeline/kill_switches.h"

namespace rampart::pipeline {

std::optional<Phase> phase_from_name(std::string_view name) {
  for (size_t i = 0; i < kPhaseNames.size(); ++i) {
    if (kPhaseNames[i] == name) return static_cast<Phase>(i);
  }
  return std::nullopt;
}

std::unique_ptr<Pipeline> Pipeline::build(const config::Config& config,
                                          const ModuleRegistry& registry,
                                          std::vector<config::Diagnostic>& errors) {
  auto pipeline = std::make_unique<Pipeline>();
  std::vector<const ModuleDescriptor*> ordered;
  for (const auto& d : registry.modules()) ordered.push_back(&d);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](auto* a, auto* b) { return a->phase < b->phase; });
  for (const ModuleDescriptor* d : ordered) {
    // Every module gets its switch, used or not, so an operator can switch off a module
    // before a config that uses it arrives.
    std::optional<uint32_t> slot = kill_switches().slot(d->name);
    if (d->configured != nullptr && !d->configured(config)) continue;
    const config::ModuleSettings& settings = config.module(d->name);
    auto entry = std::make_unique<Entry>();
    entry->name = d->name;
    entry->phase = d->phase;
    if (slot) {
      entry->slot = *slot;
      entry->has_slot = true;
    }
    if (!settings.enabled) {
      // Kept as an empty entry so each request it would have run for records and counts
      // the skip, and a challenge waiting for the bot phase is resolved the same way as
      // for a runtime switch.
      core::log(core::LogLevel::kInfo, "module {} disabled by its kill switch", d->name);
      pipeline->entries_.push_back(std::move(entry));
      continue;
    }
    size_t errors_before = errors.size();
    std::unique_ptr<Module> module = d->factory(config, errors);
    if (!module) {
      if (errors.size() == errors_before) {
        errors.push_back({config.source, 0, 0, fmt::format("module {} failed to build", d->name)});
      }
      continue;
    }
    entry->module = std::move(module);
    entry->phase = entry->module->phase();
    entry->fail_closed = settings.fail_mode == config::FailMode::kClosed;
    if (entry->module->wants_response()) pipeline->response_entries_.push_back(entry.get());
    if (entry->module->inspects_response()) pipeline->inspect_entries_.push_back(entry.get());
    pipeline->entries_.push_back(std::move(entry));
  }
  return pipeline;
}

bool Pipeline::handle_failure(const Entry& entry, RequestContext& ctx, const char* what) const {
  entry.failures.fetch_add(1, std::memory_order_relaxed);
  static core::LogRateLimiter limiter("module failed");
  if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
    core::log(core::LogLevel::kWarn, "module {} failed ({}), {} (+{} similar suppressed)",
              entry.module->name(), what, entry.fail_closed ? "failing closed" : "skipped",
              suppressed);
  }
  if (entry.fail_closed) {
    ctx.record(entry.module->name(), "error-closed");
    ctx.local_response = {};
    ctx.local_response.status = 503;
    ctx.local_response.reason = "module_failed";
    return true;
  }
  ctx.record(entry.module->name(), "error-skipped");
  return false;
}

void Pipeline::skip_killed(const Entry& entry, RequestContext& ctx) const {
  if (entry.has_slot) {
    kill_switches().count_skip(entry.slot,
                               entry.module == nullptr ? SkipReason::kConfig : SkipReason::kAdmin);
  }
  ctx.record(entry.name, "killed");
  if (entry.phase == Phase::kBot && ctx.challenge != ChallengeKind::kNone) {
    // The operator switched challenges off: the request goes on unchallenged, and the
    // log says why (the rule that asked is still listed in `rules`).
    ctx.challenge = ChallengeKind::kNone;
    ctx.record(entry.name, "challenge-skipped");
  }
}

RequestResult Pipeline::run_request(RequestContext& ctx) const {
  for (const auto& entry : entries_) {
    // A challenge is the bot phase's to serve; no later phase may act on a request that
    // was not challenged (a redirect, a cached response, forwarding it).
    if (ctx.challenge != ChallengeKind::kNone && entry->phase > Phase::kBot) break;
    if (killed(*entry)) {
      skip_killed(*entry, ctx);
      continue;
    }
    if (ctx.phase_skipped(entry->phase)) {
      if (entry->has_slot) kill_switches().count_skip(entry->slot, SkipReason::kRule);
      ctx.record(entry->name, "skipped");
      continue;
    }
    Outcome outcome;
    // A module is not supposed to throw; if one does, that is a module failure handled
    // by its fail mode, never a crash of the worker.
    try {
      outcome = entry->module->on_request(ctx);
    } catch (const std::exception& e) {
      outcome = Outcome::kError;
    } catch (...) {
      outcome = Outcome::kError;
    }
    if (outcome == Outcome::kContinue) continue;
    if (outcome == Outcome::kRespond) return RequestResult::kRespond;
    if (handle_failure(*entry, ctx, "request phase")) return RequestResult::kRespond;
  }
  if (ctx.challenge != ChallengeKind::kNone) {
    // No module served the challenge a rule asked for: refuse rather than let the
    // request through unchallenged.
    ctx.local_response = {};
    ctx.local_response.status = 403;
    ctx.local_response.reason = "challenge";
    return RequestResult::kRespond;
  }
  return RequestResult::kForward;
}

size_t Pipeline::request_body_limit(const RequestContext& ctx) const {
  size_t limit = 0;
  for (const auto& entry : entries_) {
    if (killed(*entry) || ctx.phase_skipped(entry->phase)) continue;
    // A module that throws here asks for nothing; run_request_body meets the same
    // throw and applies its fail mode.
    try {
      limit = std::max(limit, entry->module->request_body_limit(ctx));
    } catch (...) {
    }
  }
  return limit;
}

RequestResult Pipeline::run_request_body(RequestContext& ctx, std::string_view body,
                                         bool truncated) const {
  for (const auto& entry : entries_) {
    if (killed(*entry) || ctx.phase_skipped(entry->phase)) continue;
    Outcome outcome;
    try {
      size_t limit = entry->module->request_body_limit(ctx);
      if (limit == 0) continue;
      // Each module sees the body as if the server had buffered for it alone: a module
      // that asked for less than another gets its own prefix and truncation flag.
      bool cut = body.size() > limit;
      outcome =
          entry->module->on_request_body(ctx, cut ? body.substr(0, limit) : body, truncated || cut);
    } catch (...) {
      outcome = Outcome::kError;
    }
    if (outcome == Outcome::kContinue) continue;
    if (outcome == Outcome::kRespond) return RequestResult::kRespond;
    if (handle_failure(*entry, ctx, "request body phase")) return RequestResult::kRespond;
  }
  return RequestResult::kForward;
}

RequestResult Pipeline::inspect_response(RequestContext& ctx) const {
  for (const Entry* entry : inspect_entries_) {
    if (killed(*entry) || ctx.phase_skipped(entry->phase)) continue;
    Outcome outcome;
    try {
      outcome = entry->module->inspect_response(ctx);
    } catch (...) {
      outcome = Outcome::kError;
    }
    if (outcome == Outcome::kContinue) continue;
    if (outcome == Outcome::kRespond) return RequestResult::kRespond;
    if (handle_failure(*entry, ctx, "response inspection")) return RequestResult::kRespond;
  }
  return RequestResult::kForward;
}

size_t Pipeline::response_body_limit(const RequestContext& ctx) const {
  size_t limit = 0;
  for (const Entry* entry : inspect_entries_) {
    if (killed(*entry) || ctx.phase_skipped(entry->phase)) continue;
    try {
      limit = std::max(limit, entry->module->response_body_limit(ctx));
    } catch (...) {
    }
  }
  return limit;
}

RequestResult Pipeline::inspect_response_body(RequestContext& ctx, std::string_view body,
                                              bool truncated) const {
  for (const Entry* entry : inspect_entries_) {
    if (killed(*entry) || ctx.phase_skipped(entry->phase)) continue;
    Outcome outcome;
    try {
      size_t limit = entry->module->response_body_limit(ctx);
      if (limit == 0) continue;
      bool cut = body.size() > limit;
      outcome = entry->module->inspect_response_body(ctx, cut ? body.substr(0, limit) : body,
                                                     truncated || cut);
    } catch (...) {
      outcome = Outcome::kError;
    }
    if (outcome == Outcome::kContinue) continue;
    if (outcome == Outcome::kRespond) return RequestResult::kRespond;
    if (handle_failure(*entry, ctx, "response body inspection")) return RequestResult::kRespond;
  }
  return RequestResult::kForward;
}

void Pipeline::run_response(RequestContext& ctx) const {
  for (const Entry* entry : response_entries_) {
    if (killed(*entry)) continue;
    Outcome outcome;
    try {
      outcome = entry->module->on_response(ctx);
    } catch (...) {
      outcome = Outcome::kError;
    }
    // The response head is already decided; a failing response hook can only be skipped.
    if (outcome == Outcome::kError) {
      entry->failures.fetch_add(1, std::memory_order_relaxed);
      ctx.record(entry->module->name(), "error-skipped");
    }
  }
}

void Pipeline::run_log(const RequestContext& ctx) const noexcept {
  for (const auto& entry : entries_) {
    if (entry->module != nullptr) entry->module->on_log(ctx);
  }
}

std::vector<ModuleStats> Pipeline::stats() const {
  std::vector<ModuleStats> out;
  for (const auto& entry : entries_) {
    if (entry->module == nullptr) continue;
    out.push_back({entry->module->name(), entry->failures.load(std::memory_order_relaxed),
                   entry->fail_closed, killed(*entry)});
  }
  return out;
}

std::vector<CounterSample> Pipeline::counters() const {
  std::vector<CounterSample> out;
  for (const auto& entry : entries_) {
    if (entry->module != nullptr) entry->module->collect_counters(out);
  }
  std::stable_sort(out.begin(), out.end(), [](const CounterSample& a, const CounterSample& b) {
    return a.metric < b.metric;
  });
  return out;
}

std::vector<std::string_view> Pipeline::names() const {
  std::vector<std::string_view> out;
  for (const auto& entry : entries_) {
    if (entry->module != nullptr) out.push_back(entry->module->name());
  }
  return out;
}

std::vector<std::string_view> Pipeline::disabled_by_config() const {
  std::vector<std::string_view> out;
  for (const auto& entry : entries_) {
    if (entry->module == nullptr) out.push_back(entry->name);
  }
  return out;
}

}  // namespace rampart::pipeline
