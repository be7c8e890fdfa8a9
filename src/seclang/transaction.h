#pragma once
// One request's run through a RuleSet: the request data as SecLang variables, the TX
// collection, and the phases 1-5 executed in order with ModSecurity v3's semantics
// (per-value setvar, chains, skipAfter, ctl, anomaly scoring done by the rules
// themselves). Not thread-safe; one per request, on the worker that serves it.

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "seclang/body.h"
#include "seclang/persistent_store.h"
#include "seclang/rule_set.h"
#include "seclang/transform_cache.h"

namespace rampart::seclang {

struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// The request as the WAF sees it; every view must outlive the transaction.
struct RequestData {
  std::string_view method;
  std::string_view uri;           // request-target as received (origin or absolute form)
  std::string_view http_version;  // "1.1", "2.0"
  std::span<const HeaderView> headers;
  std::string_view remote_addr;
  int remote_port = 0;
  std::string_view server_addr;
  int server_port = 0;
  std::string_view unique_id;
};

// A rule that matched and logs (what ModSecurity writes to its audit log).
struct MatchRecord {
  int64_t rule_id = 0;
  int phase = 0;
  int severity = -1;
  std::string message;
  std::string data;
};

struct Intervention {
  bool disruptive = false;
  int status = 0;       // 403 unless the rule says otherwise
  int64_t rule_id = 0;  // the rule that decided
  std::string url;      // redirect target
  bool drop = false;    // close the connection instead of answering
};

class Transaction {
 public:
  using Clock = std::chrono::steady_clock;

  // `initial_tx` are set in TX before any rule runs (rampart's YAML settings such as the
  // paranoia level). `deadline` bounds the time spent in rules (time_point::max(): none).
  Transaction(const RuleSet& rules, const RequestData& request,
              std::span<const std::pair<std::string, std::string>> initial_tx = {},
              Clock::time_point deadline = Clock::time_point::max());

  // Rules the embedding program excludes for this request (like ctl:ruleRemoveById at the
  // start), e.g. rampart's firewall `skip` rules. Call before process_request_headers.
  void remove_rules(int64_t first_id, int64_t last_id) {
    removed_ids_.emplace_back(first_id, last_id);
  }

  // Where `initcol` loads and phase 5 saves the persistent collections (IP, GLOBAL, ...).
  // Without one (the default) they live as long as the transaction.
  void use_persistent_store(PersistentStore* store) { store_ = store; }

  // A new time budget, e.g. for the response phases, which run after the origin answered.
  void set_deadline(Clock::time_point deadline) { deadline_ = deadline; }

  void process_request_headers();  // phase 1
  // Whether phase 2 wants the request body buffered (body access on, engine not off).
  bool wants_request_body() const;
  size_t request_body_limit() const;
  // Phase 2. `body` is the buffered body (possibly empty); `truncated` if it was longer
  // than the limit (the limit action then applies).
  void process_request_body(std::string_view body, bool truncated);
  void process_response_headers(int status, std::string_view protocol,
                                std::span<const HeaderView> headers);  // phase 3
  // Whether phase 4 wants the response body (SecResponseBodyAccess On, the response's
  // MIME type in SecResponseBodyMimeType, engine not off, no verdict yet).
  bool wants_response_body() const;
  size_t response_body_limit() const;  // SecResponseBodyLimit
  // Phase 4 (`body` is copied). `truncated`: the body was longer than the limit and
  // `body` is its first part; SecResponseBodyLimitAction Reject then denies (403)
  // instead of inspecting.
  void process_response_body(std::string_view body, bool truncated = false);
  // Phase 5; then the persistent collections are saved.
  void process_logging();

  const Intervention& intervention() const { return intervention_; }
  const std::vector<MatchRecord>& matches() const { return matches_; }
  // TX member by (lower-case) name; empty if unset.
  std::string_view tx(std::string_view name) const;
  bool budget_exceeded() const { return budget_exceeded_; }
  uint32_t operator_errors() const { return operator_errors_; }
  uint32_t rules_evaluated() const { return rules_evaluated_; }

  // One value a variable resolved to (used by the evaluation code).
  struct Value {
    std::string_view collection;  // "ARGS", "REQUEST_HEADERS", ...
    std::string_view key;         // member name ("" for single values)
    std::string_view value;
    const void* source = nullptr;  // stable identity for the transformation cache
  };

 private:
  friend class TransactionEval;
  friend struct BufferPool;
  struct Member {
    std::string key;  // as received
    std::string value;
  };
  using Collection = std::unordered_map<std::string, std::string>;  // lower-case keys

  void run_phase(int phase);
  void parse_request_line_and_headers();
  void apply_body(std::string_view body);
  // `initcol`: loads the collection's record `key` from the store (once per collection).
  // TX and the persistent collections (IP, GLOBAL, SESSION, USER, RESOURCE); else null.
  Collection* collection_of(Variable variable);
  void init_collection(Variable collection, std::string key);
  // `expirevar`: the variable goes `seconds` after this transaction saves it.
  void expire_variable(Variable collection, std::string name, int64_t seconds);
  void save_collections();

  const RuleSet& rules_;
  const PrefilterSet* prefilters_;  // as published when the transaction began (may be null)
  const RequestData& request_;
  Clock::time_point deadline_;

  // Request data resolved once.
  std::string uri_decoded_;
  std::string filename_;
  std::string basename_;
  bool has_basename_ = false;
  std::string request_line_;
  std::string protocol_;
  std::string_view query_string_;
  bool has_query_ = false;
  std::vector<Argument> args_get_;
  std::vector<Argument> args_post_;
  std::vector<Member> cookies_;
  ParsedBody body_;
  std::string_view request_body_;
  std::string body_processor_;  // REQBODY_PROCESSOR: URLENCODED, MULTIPART, JSON, XML
  bool body_phase_ran_ = false;
  bool body_error_ = false;
  bool inbound_data_error_ = false;
  std::string remote_port_text_;
  std::string server_port_text_;
  std::string server_name_;
  std::string combined_size_text_;

  // Response data (phases 3-4).
  bool response_seen_ = false;
  std::string response_status_;
  std::string_view response_protocol_;
  std::span<const HeaderView> response_headers_;
  std::string response_content_type_;
  // A copy: phase 5 runs when the request ends, after the server's buffer is gone.
  std::string response_body_text_;
  std::string_view response_body_;
  bool has_response_body_ = false;
  bool outbound_data_error_ = false;

  // Persistent collections this transaction loaded (initcol), to save after phase 5.
  struct Persisted {
    Variable variable;
    std::string key;
    PersistentStore::Values loaded;
    std::unordered_map<std::string, int64_t> expiries;  // expirevar: name → seconds
  };
  PersistentStore* store_ = nullptr;
  std::vector<Persisted> persisted_;
  bool saved_ = false;

  // Mutable rule state.
  Collection tx_;
  Collection ip_;
  Collection global_;
  Collection session_;
  Collection user_;
  Collection resource_;
  std::string matched_var_;
  std::string matched_var_name_;
  // name, value; the first `matched_vars_used_` are the current rule's. The strings are
  // reused from rule to rule, and a deque keeps them in place (views of MATCHED_VARS stay
  // valid while a chain adds to it).
  std::deque<std::pair<std::string, std::string>> matched_vars_;
  size_t matched_vars_used_ = 0;
  EngineMode mode_;
  bool body_access_;
  std::string forced_processor_;
  std::vector<std::pair<int64_t, int64_t>> removed_ids_;
  std::vector<std::string> removed_tags_;
  std::vector<std::pair<std::pair<int64_t, int64_t>, std::string>> removed_targets_by_id_;
  std::vector<std::pair<std::string, std::string>> removed_targets_by_tag_;
  std::string skip_to_marker_;
  int skip_count_ = 0;
  enum class Allow : uint8_t { kNone, kPhase, kRequest, kAll } allow_ = Allow::kNone;
  Intervention intervention_;
  std::vector<MatchRecord> matches_;
  bool budget_exceeded_ = false;
  uint32_t operator_errors_ = 0;
  uint32_t rules_evaluated_ = 0;

  using CacheEntry = TransformCacheEntry;
  // Per phase (`epoch_` counts phases): the values of each value set and the transformed
  // values of each value group (RuleLink::value_set / value_group), built by the first
  // link that reads them.
  struct ValueSet {
    uint32_t epoch = 0;
    std::vector<Value> values;
  };
  struct GroupValue {
    Value value;
    std::string_view text;  // after the group's transformations
    CacheEntry* entry;
  };
  struct ValueGroup {
    uint32_t epoch = 0;
    bool scanned = false;             // `may_match` holds the union over the values
    std::vector<uint64_t> may_match;  // by prefilter slot: some value may match
    bool has_bytes = false;           // `bytes` holds the union over the values
    ByteSet bytes;
    std::vector<GroupValue> values;
  };
  // The evaluation's working memory. A worker hands it from one transaction to the next
  // (transaction.cc keeps a few per thread), emptied but with its capacity, so a request
  // like the last one allocates almost nothing for it.
  struct Buffers {
    // Per-request cache of transformed values: the same value through the same chain of
    // transformations is computed once (the CRS runs dozens of rules over ARGS).
    TransformCache transform_cache;
    // Values without a stable source that a value group transformed (their entries must
    // outlive the group; a deque keeps their addresses). The first `loose_used` are this
    // transaction's.
    std::deque<CacheEntry> loose_entries;
    size_t loose_used = 0;
    std::vector<ValueSet> value_sets;
    std::vector<ValueGroup> value_groups;
    std::vector<uint32_t> prefilter_hits;
    // Strings made while evaluating (values computed on demand, macro results): a deque
    // so views into them stay valid while more are added. The first `scratch_used` are
    // this transaction's; the rest are spare capacity from earlier ones.
    std::deque<std::string> scratch;
    size_t scratch_used = 0;
    std::string transform_spare;  // the second buffer of a chain of transformations
  };
  static std::unique_ptr<Buffers> acquire_buffers(const RuleSet& rules);
  static void release_buffers(std::unique_ptr<Buffers> buffers);

  uint32_t epoch_ = 0;
  std::unique_ptr<Buffers> buf_;

 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
};

}  // namespace rampart::seclang
