#include "modules/waf/waf_module.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <span>
#include <string>
#include <thread>

#include "seclang/persistent_store.h"
#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::modules::waf {
namespace {

using pipeline::Outcome;
using pipeline::RequestContext;
using Clock = std::chrono::steady_clock;

// What one request keeps between the module's hooks.
struct WafState final : pipeline::ModuleState {
  std::vector<seclang::HeaderView> headers;
  std::string remote_addr;
  seclang::RequestData data;
  std::unique_ptr<seclang::Transaction> tx;
  bool needs_body = false;
  // The response head as phase 3 saw it (copied: the server's views do not live as long
  // as the transaction), for phases 4 and 5.
  std::string response_text;
  std::vector<seclang::HeaderView> response_headers;
  size_t request_matches = 0;  // matches_.size() after the request phases
};

enum Counter : size_t {
  kInspected,
  kBlocked,
  kLogged,
  kBudgetExceeded,
  kOperatorErrors,
  kBodyInspected,
  kResponseBlocked,
  kResponseBodyInspected,
  kCounterCount
};
constexpr std::string_view kCounterNames[kCounterCount] = {
    "inspected",       "blocked",        "logged",           "budget_exceeded",
    "operator_errors", "body_inspected", "response_blocked", "response_body_inspected"};

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      static constexpr char kHex[] = "0123456789abcdef";
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

// RESPONSE_PROTOCOL: the protocol the response goes out in. rampart answers every
// HTTP/1.x request with an HTTP/1.1 status line (as nginx does), and HTTP/2 requests
// over HTTP/2.
std::string_view response_protocol(std::string_view http_version) {
  return http_version == "2.0" ? "HTTP/2.0" : "HTTP/1.1";
}

class WafModule final : public pipeline::Module {
 public:
  WafModule(std::shared_ptr<const seclang::RuleSet> rules, const config::WafSettings& settings)
      : rules_(std::move(rules)),
        body_limit_(settings.request_body_limit),
        budget_(settings.time_budget) {
    initial_tx_ = {
        {"paranoia_level", std::to_string(settings.paranoia_level)},
        // CRS 4 reads the level from here (its detection level defaults to it).
        {"blocking_paranoia_level", std::to_string(settings.paranoia_level)},
        {"inbound_anomaly_score_threshold", std::to_string(settings.inbound_threshold)},
        {"outbound_anomaly_score_threshold", std::to_string(settings.outbound_threshold)},
    };
    rule_ids_.reserve(rules_->rule_count());
    for (int phase = 1; phase <= 5; ++phase) {
      for (const seclang::Rule* rule : rules_->phase(phase)) {
        if (rule->is_marker) continue;
        rule_index_[rule->id] = rule_ids_.size();
        rule_ids_.push_back(std::to_string(rule->id));
      }
    }
    rule_matches_ = std::make_unique<std::atomic<uint64_t>[]>(rule_ids_.size());
    // The Vectorscan prefilters take seconds of CPU for the whole CRS: they are compiled
    // on a thread of their own and used from the first request that finds them ready;
    // until then every regex is confirmed directly. The thread keeps the rule set alive.
    // Off by default: as built today they cost more per request than they save
    // (bench/micro/seclang_crs_bench.cc).
    if (settings.prefilter) {
      std::thread([rules = rules_] { rules->build_prefilters(); }).detach();
    }
  }

  std::string_view name() const override { return "waf"; }
  pipeline::Phase phase() const override { return pipeline::Phase::kWaf; }

  Outcome on_request(RequestContext& ctx) const override {
    auto state = std::make_unique<WafState>();
    const http::RequestHead& head = ctx.request;
    state->headers.reserve(head.headers.size());
    for (const auto& h : head.headers) state->headers.push_back({h.name, h.value});
    state->remote_addr = ctx.client_ip.to_string();
    seclang::RequestData& d = state->data;
    d.method = head.method;
    d.uri = head.target;
    d.http_version = ctx.facts.protocol == "HTTP/2" ? "2.0"
                     : head.version_minor == 0      ? "1.0"
                                                    : "1.1";
    d.headers = state->headers;
    d.remote_addr = state->remote_addr;
    d.unique_id = ctx.request_id;
    state->tx =
        std::make_unique<seclang::Transaction>(*rules_, d, initial_tx_, Clock::now() + budget_);
    state->tx->use_persistent_store(&seclang::PersistentStore::process());
    count(kInspected);
    seclang::Transaction& tx = *state->tx;
    for (const auto& ranges : ctx.waf_exclusions()) {
      for (const auto& [first, last] : ranges) tx.remove_rules(first, last);
    }
    tx.process_request_headers();
    if (head.body == http::BodyKind::kNone) {
      // Nothing to wait for: phase 2 runs now, so body-less requests never suspend.
      tx.process_request_body({}, false);
    } else {
      state->needs_body = true;
    }
    Outcome outcome = decide(ctx, tx, !state->needs_body);
    ctx.module_state(pipeline::Phase::kWaf) = std::move(state);
    return outcome;
  }

  size_t request_body_limit(const RequestContext& ctx) const override {
    auto* state = static_cast<const WafState*>(ctx.module_state(pipeline::Phase::kWaf));
    if (state == nullptr || !state->needs_body || !state->tx->wants_request_body()) return 0;
    return body_limit_ == 0 ? 1 : body_limit_;
  }

  Outcome on_request_body(RequestContext& ctx, std::string_view body,
                          bool truncated) const override {
    auto* state = static_cast<WafState*>(ctx.module_state(pipeline::Phase::kWaf).get());
    if (state == nullptr || !state->needs_body) return Outcome::kContinue;
    state->needs_body = false;
    seclang::Transaction& tx = *state->tx;
    // Past rampart's inspection limit the first bytes are inspected; the files' own
    // SecRequestBodyLimit (and its Reject action) applies to the full length when known.
    bool over_files_limit = truncated && ctx.request.body == http::BodyKind::kContentLength &&
                            ctx.request.content_length > tx.request_body_limit();
    count(kBodyInspected);
    tx.process_request_body(body, over_files_limit);
    return decide(ctx, tx, true);
  }

  bool inspects_response() const override { return true; }

  // Phase 3 on the response head (the origin's, a cache hit's or a collapsed fetch's).
  Outcome inspect_response(RequestContext& ctx) const override {
    WafState* state = response_state(ctx);
    if (state == nullptr) return Outcome::kContinue;
    seclang::Transaction& tx = *state->tx;
    state->request_matches = tx.matches().size();
    size_t bytes = 0;
    for (const http::Header& h : *ctx.response_headers) bytes += h.name.size() + h.value.size();
    state->response_text.clear();
    state->response_text.reserve(bytes);
    for (const http::Header& h : *ctx.response_headers) {
      state->response_text.append(h.name).append(h.value);
    }
    state->response_headers.clear();
    size_t at = 0;
    std::string_view text = state->response_text;
    for (const http::Header& h : *ctx.response_headers) {
      state->response_headers.push_back(
          {text.substr(at, h.name.size()), text.substr(at + h.name.size(), h.value.size())});
      at += h.name.size() + h.value.size();
    }
    // The request's budget was for the request phases; the origin's time is not ours.
    tx.set_deadline(Clock::now() + budget_);
    tx.process_response_headers(ctx.response_status, response_protocol(state->data.http_version),
                                state->response_headers);
    Outcome outcome = decide_response(ctx, *state, false);
    if (outcome == Outcome::kContinue && !tx.wants_response_body()) log_response(ctx, *state);
    return outcome;
  }

  size_t response_body_limit(const RequestContext& ctx) const override {
    auto* state = static_cast<const WafState*>(ctx.module_state(pipeline::Phase::kWaf));
    if (state == nullptr || state->tx == nullptr || state->needs_body ||
        state->tx->budget_exceeded() || !state->tx->wants_response_body()) {
      return 0;
    }
    return std::max<size_t>(state->tx->response_body_limit(), 1);
  }

  // Phase 4 on the body the server held for it (up to SecResponseBodyLimit).
  Outcome inspect_response_body(RequestContext& ctx, std::string_view body,
                                bool truncated) const override {
    WafState* state = response_state(ctx);
    if (state == nullptr) return Outcome::kContinue;
    count(kResponseBodyInspected);
    state->tx->process_response_body(body, truncated);
    Outcome outcome = decide_response(ctx, *state, true);
    if (outcome == Outcome::kContinue) log_response(ctx, *state);
    return outcome;
  }

  // Phase 5, then the persistent collections are saved. Runs for every request the
  // module saw, answered or not.
  void on_log(const RequestContext& ctx) const noexcept override {
    auto* state = static_cast<const WafState*>(ctx.module_state(pipeline::Phase::kWaf));
    if (state == nullptr || state->tx == nullptr) return;
    try {
      state->tx->set_deadline(Clock::now() + budget_);
      state->tx->process_logging();
    } catch (...) {
      // Logging must never take the worker down; a failed phase 5 only loses its setvars.
    }
  }

  void collect_counters(std::vector<pipeline::CounterSample>& out) const override {
    for (size_t i = 0; i < kCounterCount; ++i) {
      out.push_back({"rampart_waf_requests_total",
                     "Requests seen by the managed WAF, by what happened to them", "result",
                     kCounterNames[i], counters_[i].load(std::memory_order_relaxed)});
    }
    for (size_t i = 0; i < rule_ids_.size(); ++i) {
      uint64_t n = rule_matches_[i].load(std::memory_order_relaxed);
      if (n == 0) continue;
      out.push_back({"rampart_waf_rule_matches_total",
                     "Requests in which each managed (SecLang) rule matched and logged", "rule",
                     rule_ids_[i], n});
    }
  }

 private:
  void count(Counter c) const { counters_[c].fetch_add(1, std::memory_order_relaxed); }

  Outcome decide(RequestContext& ctx, seclang::Transaction& tx, bool final_phase) const {
    const seclang::Intervention& verdict = tx.intervention();
    if (tx.budget_exceeded()) {
      count(kBudgetExceeded);
      log_matches(ctx, tx, "budget_exceeded");
      return Outcome::kError;  // the pipeline applies the module's fail mode
    }
    if (tx.operator_errors() > 0 && final_phase) {
      counters_[kOperatorErrors].fetch_add(tx.operator_errors(), std::memory_order_relaxed);
    }
    if (verdict.disruptive) {
      count(kBlocked);
      log_matches(ctx, tx, verdict.status >= 300 && verdict.status < 400 ? "redirect" : "block");
      ctx.local_response = {};
      ctx.local_response.status = verdict.status;
      ctx.local_response.reason = "waf";
      if (!verdict.url.empty()) ctx.local_response.location = verdict.url;
      ctx.record(name(), "block");
      return Outcome::kRespond;
    }
    if (final_phase && !tx.matches().empty()) {
      count(kLogged);
      log_matches(ctx, tx, "log");
      ctx.record(name(), "log");
    }
    return Outcome::kContinue;
  }

  // The module's state when the response phases should run (the request phases ran
  // and the request body, if any, was inspected).
  static WafState* response_state(RequestContext& ctx) {
    auto* state = static_cast<WafState*>(ctx.module_state(pipeline::Phase::kWaf).get());
    if (state == nullptr || state->tx == nullptr || state->needs_body ||
        state->tx->budget_exceeded()) {
      return nullptr;  // a budget already spent is not spent again on the response
    }
    return state;
  }

  Outcome decide_response(RequestContext& ctx, WafState& state, bool body_phase) const {
    seclang::Transaction& tx = *state.tx;
    if (tx.budget_exceeded()) {
      count(kBudgetExceeded);
      return Outcome::kError;
    }
    const seclang::Intervention& verdict = tx.intervention();
    if (!verdict.disruptive) return Outcome::kContinue;
    count(kResponseBlocked);
    log_matches(ctx, tx, "block", "waf_response", state.request_matches);
    ctx.local_response = {};
    ctx.local_response.status = verdict.status;
    ctx.local_response.reason = "waf";
    if (!verdict.url.empty()) ctx.local_response.location = verdict.url;
    ctx.record(name(), body_phase ? "response-body-block" : "response-block");
    return Outcome::kRespond;
  }

  // Matches of the response phases that did not block go to their own log field.
  void log_response(RequestContext& ctx, const WafState& state) const {
    if (state.tx->matches().size() == state.request_matches) return;
    log_matches(ctx, *state.tx, "log", "waf_response", state.request_matches);
  }

  // The access-log field: {"action":..,"rule":..,"score":..,"rules":[..],"messages":[..]},
  // with the matches from index `first_match` on.
  void log_matches(RequestContext& ctx, const seclang::Transaction& tx, std::string_view action,
                   std::string_view key = "waf", size_t first_match = 0) const {
    std::string json = "{\"action\":";
    append_json_string(json, action);
    if (tx.intervention().rule_id != 0) {
      json += ",\"rule\":" + std::to_string(tx.intervention().rule_id);
    }
    std::string_view score = tx.tx(first_match == 0 ? "anomaly_score" : "outbound_anomaly_score");
    if (!score.empty()) {
      json += ",\"score\":";
      append_json_string(json, score);
    }
    std::span<const seclang::MatchRecord> matches(tx.matches());
    matches = matches.subspan(std::min(first_match, matches.size()));
    json += ",\"rules\":[";
    bool first = true;
    for (const auto& m : matches) {
      if (!first) json.push_back(',');
      first = false;
      json += std::to_string(m.rule_id);
      auto it = rule_index_.find(m.rule_id);
      if (it != rule_index_.end()) {
        rule_matches_[it->second].fetch_add(1, std::memory_order_relaxed);
      }
    }
    json += "],\"messages\":[";
    first = true;
    for (const auto& m : matches) {
      if (m.message.empty()) continue;
      if (!first) json.push_back(',');
      first = false;
      append_json_string(json, m.message);
    }
    json += "]}";
    ctx.add_log_field(key, ctx.keep(std::move(json)));
  }

  std::shared_ptr<const seclang::RuleSet> rules_;
  std::vector<std::pair<std::string, std::string>> initial_tx_;
  size_t body_limit_;
  std::chrono::milliseconds budget_;
  std::vector<std::string> rule_ids_;
  std::unordered_map<int64_t, size_t> rule_index_;
  std::unique_ptr<std::atomic<uint64_t>[]> rule_matches_;
  mutable std::atomic<uint64_t> counters_[kCounterCount]{};
};

}  // namespace

std::unique_ptr<pipeline::Module> build_waf_module(const config::Config& config,
                                                   std::vector<config::Diagnostic>& errors) {
  const config::WafSettings& settings = config.waf;
  size_t errors_before = errors.size();
  std::vector<std::string> files = waf_rule_files(settings, errors);
  for (size_t i = errors_before; i < errors.size(); ++i) {
    if (errors[i].file.empty()) errors[i].file = config.source;
  }
  if (errors.size() != errors_before) return nullptr;
  seclang::LoadOptions options;
  options.adjust_settings = [&](seclang::EngineSettings& s) {
    s.mode =
        settings.mode == "detect" ? seclang::EngineMode::kDetectionOnly : seclang::EngineMode::kOn;
    s.request_body_access = settings.request_body_limit > 0;
  };
  std::vector<seclang::LoadError> load_errors;
  // Inline rules are parsed as if they were a file named after the config.
  auto rules = seclang::RuleSet::load(files, settings.rules, options, load_errors);
  for (const auto& e : load_errors) {
    bool inline_rules = e.where.file == "<inline rules>";
    errors.push_back({inline_rules ? config.source : e.where.file,
                      inline_rules ? settings.rules_line + e.where.line : e.where.line, 0,
                      "waf: " + e.message});
  }
  if (!rules) {
    if (errors.size() == errors_before) {
      errors.push_back({config.source, settings.line, 0, "waf: the rules did not load"});
    }
    return nullptr;
  }
  return std::make_unique<WafModule>(std::move(rules), settings);
}

}  // namespace rampart::modules::waf
