#pragma once
// Everything a module may read or change about one request. It lives on the
// connection's coroutine frame for the duration of the request.

#include <array>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/ip.h"
#include "http/message.h"
#include "pipeline/cache_directives.h"
#include "pipeline/phase.h"
#include "rules/request.h"

namespace rampart::pipeline {

// State a module keeps for one request between its hooks (request, body, response,
// log), e.g. the WAF's transaction. Owned by the RequestContext.
class ModuleState {
 public:
  virtual ~ModuleState() = default;
};

// A response produced at the edge (redirect, block, error) instead of by the origin.
struct LocalResponse {
  int status = 0;
  std::string location;      // sets Location when non-empty
  std::string content_type;  // empty: the server's branded error page is used
  std::string body;
  std::string_view reason;  // short machine-readable cause, e.g. "redirect"
  // More header fields to send (Retry-After of a 429, Set-Cookie, Cache-Control); values
  // must outlive the request (config strings or keep()'d ones).
  std::vector<http::Header> headers;
};

// A challenge a rule asked for. The bot phase serves the page; until a module has
// taken it, the pipeline answers 403 so a challenge never silently lets a request in.
enum class ChallengeKind : uint8_t { kNone, kChallenge, kJsChallenge, kManagedChallenge };

// What a valid clearance cookie grants: low comes from the no-JavaScript step, full from
// the proof of work.
enum class ClearanceLevel : uint8_t { kNone, kLow, kFull };

// A field a module adds to the request's access-log line: `"key":<json>`, with `json`
// already encoded (an object, array, number or string).
struct LogField {
  std::string_view key;
  std::string_view json;
};

struct VerdictRecord {
  std::string_view module;
  std::string_view verdict;  // static strings: "redirect", "headers", "error-skipped", ...
};

class RequestContext {
 public:
  RequestContext(const config::Config& config, const http::RequestHead& request,
                 std::vector<http::Header>& upstream_headers)
      : config(config), request(request), upstream_headers(upstream_headers) {}
  // Views handed out by keep_copy point into the context itself.
  RequestContext(const RequestContext&) = delete;
  RequestContext& operator=(const RequestContext&) = delete;

  const config::Config& config;
  const http::RequestHead& request;
  const config::Site* site = nullptr;
  size_t site_index = 0;
  core::IpAddress client_ip;
  std::string_view request_id;
  bool tls = false;

  // What the rules language sees of this request (head, client, extension values).
  // The server fills it before the pipeline runs.
  rules::Request facts;

  // Headers that will be sent upstream (hop-by-hop ones already removed); modules edit
  // this list. Values must outlive the request: config strings or keep()'d strings.
  std::vector<http::Header>& upstream_headers;

  LocalResponse local_response;

  // Response phase: status and headers that will be sent to the client, editable.
  int response_status = 0;
  std::vector<http::Header>* response_headers = nullptr;

  // Origin-form target to send upstream instead of the client's (a rewrite rule).
  std::string_view rewritten_target;

  // Pools a `route` rule chose (failover order, then the fallback) instead of the
  // site's; owned by the snapshot's compiled rules. Null: the site's own origin.
  const std::vector<std::string>* route_pools = nullptr;
  std::string_view route_fallback;

  // What the cache rules decided (cache_lookup phase); the server's cache step reads it.
  CacheDirectives cache;

  // Security phases a rule said to skip for this request (allow, skip actions); the
  // pipeline does not run their modules.
  void skip_phase(Phase phase) { skipped_phases_ |= 1u << static_cast<unsigned>(phase); }
  bool phase_skipped(Phase phase) const {
    return (skipped_phases_ >> static_cast<unsigned>(phase)) & 1u;
  }

  // Managed-WAF rule ids (inclusive ranges) a firewall `skip` rule said not to run for
  // this request; views of config-owned lists. At most 8 lists (later ones dropped).
  using RuleIdRanges = std::span<const std::pair<int64_t, int64_t>>;
  void exclude_waf_rules(RuleIdRanges ranges) {
    if (waf_exclusion_count_ < waf_exclusions_.size())
      waf_exclusions_[waf_exclusion_count_++] = ranges;
  }
  std::span<const RuleIdRanges> waf_exclusions() const {
    return {waf_exclusions_.data(), waf_exclusion_count_};
  }

  ChallengeKind challenge = ChallengeKind::kNone;
  std::string_view challenge_rule;  // id of the rule that asked for it

  // Bot management. `clearance` is set before the first security phase (the
  // bot_clearance module, phase normalize) when the request carries a valid clearance
  // cookie, so DDoS, rate limiting and overload shedding can honour it.
  ClearanceLevel clearance = ClearanceLevel::kNone;
  bool has_clearance() const { return clearance != ClearanceLevel::kNone; }
  // 1 (automated) .. 99 (human); unset until a scoring module computes it. The bot
  // phase's managed_challenge reads it (unknown: proof of work).
  std::optional<uint8_t> bot_score;
  // Set in phase normalize (the verified_bot module) when the client is a verified bot:
  // published IP range, forward-confirmed reverse DNS or a Web Bot Auth signature.
  bool verified_bot = false;
  std::string_view verified_bot_name;  // the config's bot name; empty when not verified
  // Set by the DDoS module in under-attack mode: challenges answer 503 instead of 403.
  bool under_attack = false;

  // Ids of the rules that matched (and log), in order; shown in the access log.
  void matched_rule(std::string_view id) {
    if (rule_count_ < rules_.size()) rules_[rule_count_++] = id;
  }
  std::span<const std::string_view> matched_rules() const { return {rules_.data(), rule_count_}; }

  void record(std::string_view module, std::string_view verdict) {
    if (verdict_count_ < verdicts_.size()) verdicts_[verdict_count_++] = {module, verdict};
  }
  std::span<const VerdictRecord> verdicts() const { return {verdicts_.data(), verdict_count_}; }

  // Adds a field to the access-log line (at most 4 per request; later ones are dropped).
  // `key` must be a static string; `json` a view that lives as long as the request
  // (e.g. from keep()).
  void add_log_field(std::string_view key, std::string_view json) {
    if (log_field_count_ < log_fields_.size()) log_fields_[log_field_count_++] = {key, json};
  }
  std::span<const LogField> log_fields() const { return {log_fields_.data(), log_field_count_}; }

  // One slot per phase for the module of that phase (null until the module sets it).
  std::unique_ptr<ModuleState>& module_state(Phase phase) {
    return module_states_[static_cast<size_t>(phase)];
  }
  const ModuleState* module_state(Phase phase) const {
    return module_states_[static_cast<size_t>(phase)].get();
  }

  // Stores a string for the rest of the request and returns a stable view of it.
  std::string_view keep(std::string value) { return owned_.emplace_front(std::move(value)); }
  // The same for a short string, copied into the context itself while room is left
  // (a heap string and a list node per request cost more than what modules compute).
  std::string_view keep_copy(std::string_view value) {
    if (value.size() > inline_kept_.size() - inline_kept_used_) return keep(std::string(value));
    if (value.empty()) return {};
    char* at = inline_kept_.data() + inline_kept_used_;
    std::memcpy(at, value.data(), value.size());
    inline_kept_used_ += value.size();
    return {at, value.size()};
  }

 private:
  std::array<VerdictRecord, 16> verdicts_{};
  size_t verdict_count_ = 0;
  std::array<std::string_view, 16> rules_{};
  std::array<LogField, 4> log_fields_{};
  std::array<RuleIdRanges, 8> waf_exclusions_{};
  size_t waf_exclusion_count_ = 0;
  size_t log_field_count_ = 0;
  size_t rule_count_ = 0;
  uint32_t skipped_phases_ = 0;
  std::forward_list<std::string> owned_;  // allocates nothing until used
  std::array<char, 256> inline_kept_;     // keep_copy's; left uninitialized on purpose
  size_t inline_kept_used_ = 0;
  std::array<std::unique_ptr<ModuleState>, kPhaseNames.size()> module_states_{};
};

}  // namespace rampart::pipeline
