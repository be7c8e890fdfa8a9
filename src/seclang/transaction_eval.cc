// Rule execution with ModSecurity v3's semantics: a rule's setvars run for every value
// that matches (even when a later rule of its chain fails), the rest of the actions and
// the disruptive action once the whole chain has matched.
#include "seclang/transaction_eval.h"

#include <algorithm>

#include "seclang/text_util.h"

namespace rampart::seclang {
namespace {

// Checking the clock on every rule would cost more than most rules.
constexpr uint32_t kDeadlineCheckEvery = 16;
// A Vectorscan scan runs several databases: on a short value it costs more than the few
// regexes it would spare, on a long one (a body, a big argument) far less. Shorter values
// go through the literal prefilter, which is cheap whatever the length.
constexpr size_t kPrefilterMinBytes = 128;

}  // namespace

void TransactionEval::run_phase(int phase) {
  Transaction& t = t_;
  if (t.mode_ == EngineMode::kOff) return;
  if (phase != 5) {
    if (t.intervention_.disruptive) return;
    if (t.allow_ == Transaction::Allow::kAll) return;
    if (t.allow_ == Transaction::Allow::kRequest && phase <= 2) return;
  }
  ++t.epoch_;  // the request data may have changed since the last phase (body, response)
  uint32_t since_check = 0;
  for (const Rule* rule : t.rules_.phase(phase)) {
    if (phase != 5 && t.intervention_.disruptive) break;
    if (t.allow_ == Transaction::Allow::kPhase) break;
    if (!t.skip_to_marker_.empty()) {
      if (rule->is_marker && rule->marker == t.skip_to_marker_) t.skip_to_marker_.clear();
      continue;
    }
    if (rule->is_marker) continue;
    if (t.skip_count_ > 0) {
      --t.skip_count_;
      continue;
    }
    if (removed(*rule)) continue;
    if (++since_check == kDeadlineCheckEvery) {
      since_check = 0;
      if (Transaction::Clock::now() > t.deadline_) {
        t.budget_exceeded_ = true;
        return;
      }
    }
    ++t.rules_evaluated_;
    if (evaluate_rule(*rule)) after_full_match(*rule);
  }
  if (t.allow_ == Transaction::Allow::kPhase) t.allow_ = Transaction::Allow::kNone;
  // A skipAfter whose marker is not in this phase does not reach into the next one.
  t.skip_to_marker_.clear();
  t.skip_count_ = 0;
}

bool TransactionEval::removed(const Rule& rule) const {
  for (const auto& [first, last] : t_.removed_ids_) {
    if (rule.id >= first && rule.id <= last) return true;
  }
  for (const auto& tag : t_.removed_tags_) {
    if (std::find(rule.tags.begin(), rule.tags.end(), tag) != rule.tags.end()) return true;
  }
  return false;
}

bool TransactionEval::target_removed(const Rule& rule, const Value& value) const {
  auto matches = [&](const std::string& target) {
    // "ARGS:foo" removes that member, "ARGS" the whole collection.
    size_t colon = target.find(':');
    std::string_view collection = std::string_view(target).substr(0, colon);
    if (!iequals(collection, value.collection)) return false;
    if (colon == std::string::npos) return true;
    return iequals(std::string_view(target).substr(colon + 1), value.key);
  };
  for (const auto& [range, target] : t_.removed_targets_by_id_) {
    if (rule.id >= range.first && rule.id <= range.second && matches(target)) return true;
  }
  for (const auto& [tag, target] : t_.removed_targets_by_tag_) {
    if (std::find(rule.tags.begin(), rule.tags.end(), tag) != rule.tags.end() && matches(target)) {
      return true;
    }
  }
  return false;
}

bool TransactionEval::evaluate_rule(const Rule& rule) {
  t_.matched_vars_used_ = 0;
  for (const auto& link : rule.links) {
    if (!evaluate_link(rule, link)) return false;
  }
  return true;
}

std::string_view TransactionEval::run_transforms(const std::vector<Transform>& transforms,
                                                 size_t skip, std::string_view start,
                                                 std::string& slot, bool copy_unchanged,
                                                 Transaction::CacheEntry* source) {
  // `slot` ends up holding the result; `spare` takes turns with it so no step copies more
  // than its own output.
  std::string_view current = start;
  bool in_slot = false;
  // While no step has changed it, `current` is the source's text (when `start` is): a step
  // known to leave that text as it is is skipped, and what the others do is learned.
  bool at_source = source != nullptr && start.data() == source->view.data() &&
                   start.size() == source->view.size();
  // Only used within this call: one buffer for the whole transaction, its capacity kept.
  std::string& spare = t_.buf_->transform_spare;
  for (size_t i = skip; i < transforms.size(); ++i) {
    const uint64_t bit = uint64_t{1} << static_cast<unsigned>(transforms[i]);
    if (at_source && (source->unchanged_by & bit) != 0) continue;
    std::string& out = in_slot ? spare : slot;
    const bool changed = apply_transform(transforms[i], current, out);
    if (at_source) (changed ? source->changed_by : source->unchanged_by) |= bit;
    if (!changed) continue;
    at_source = false;
    if (in_slot) slot.swap(spare);
    in_slot = true;
    current = slot;
  }
  if (in_slot) return slot;
  if (!copy_unchanged) return start;
  slot.assign(start);
  return slot;
}

Transaction::CacheEntry& TransactionEval::source_entry(const Value& value) {
  TransformCache& cache = t_.buf_->transform_cache;
  auto [entry, inserted] =
      cache.find_or_add(value.source, value.value.size(), TransformCache::kSourceChain);
  if (inserted) {
    entry->view = value.value;  // the source outlives the transaction's cache
    cache.intern(*entry);
    // Its bytes tell at once which transformations cannot change it; the chains' entries
    // for the same text share the bitmap for the byte-class prefilter.
    entry->bytes = bytes_present(entry->view);
    entry->has_bytes = true;
    entry->unchanged_by = t_.rules_.transforms_without_effect(entry->bytes);
  }
  return *entry;
}

void TransactionEval::fill_entry(const Value& value, uint32_t chain, Transaction::CacheEntry& entry,
                                 Transaction::CacheEntry& source) {
  const std::vector<Transform>& transforms = t_.rules_.chain_transforms(chain);
  // Every step known to give back the text it gets: the chain leaves the text as it is.
  if ((t_.rules_.chain_mask(chain) & ~source.unchanged_by) == 0) {
    entry.view = value.value;
    TransformCache::alias(entry, source);
    return;
  }
  std::string_view start = value.value;
  size_t skip = 0;
  if (int32_t base = t_.rules_.chain_base(chain); base >= 0) {
    skip = t_.rules_.chain_transforms(static_cast<uint32_t>(base)).size();
    if ((t_.rules_.chain_mask(static_cast<uint32_t>(base)) & ~source.unchanged_by) != 0) {
      start = chain_text(value, static_cast<uint32_t>(base), source);
    }
  }
  // Unchanged, the view stays on `start`: the source or a base entry, both as lasting as
  // this entry.
  entry.view = run_transforms(transforms, skip, start, entry.text, false, &source);
  if (entry.view.data() == value.value.data() && entry.view.size() == value.value.size()) {
    TransformCache::alias(entry, source);
  }
}

std::string_view TransactionEval::chain_text(const Value& value, uint32_t chain,
                                             Transaction::CacheEntry& source) {
  auto [entry, inserted] =
      t_.buf_->transform_cache.find_or_add(value.source, value.value.size(), chain);
  if (inserted) fill_entry(value, chain, *entry, source);
  return entry->view;
}

std::string_view TransactionEval::transformed(const RuleLink& link, const Value& value,
                                              Transaction::CacheEntry** entry, bool force_entry) {
  *entry = nullptr;
  bool wants_entry = force_entry || link.prefilter_slot >= 0;
  if (link.transforms.empty() && !(wants_entry && (value.source != nullptr || force_entry))) {
    return value.value;
  }
  if (value.source != nullptr) {
    TransformCache& cache = t_.buf_->transform_cache;
    auto [cached, inserted] =
        cache.find_or_add(value.source, value.value.size(), link.transform_chain);
    *entry = cached;
    if (inserted) fill_entry(value, link.transform_chain, *cached, source_entry(value));
    // Not interned yet when made as another chain's base or changed by the chain (a long
    // text never is).
    if (cached->text_id == 0) cache.intern(*cached);
    return cached->view;
  }
  if (force_entry) {
    Transaction::Buffers& b = *t_.buf_;
    Transaction::CacheEntry& own = b.loose_used < b.loose_entries.size()
                                       ? b.loose_entries[b.loose_used]
                                       : b.loose_entries.emplace_back();
    ++b.loose_used;
    *entry = &own;
    // Without a stable source the value may change (MATCHED_VAR): always a copy.
    own.view = run_transforms(link.transforms, 0, value.value, own.text, true);
    t_.buf_->transform_cache.intern(own);
    return own.view;
  }
  return run_transforms(link.transforms, 0, value.value, scratch(), true);
}

const std::vector<TransactionEval::Value>& TransactionEval::set_values(const RuleLink& link) {
  Transaction::ValueSet& set = t_.buf_->value_sets[static_cast<size_t>(link.value_set)];
  if (set.epoch != t_.epoch_) {
    set.epoch = t_.epoch_;
    set.values.clear();
    for (const auto& selector : link.selectors) collect(selector, &link.exclusions, set.values);
  }
  return set.values;
}

Transaction::ValueGroup& TransactionEval::group(const RuleLink& link) {
  Transaction::ValueGroup& g = t_.buf_->value_groups[static_cast<size_t>(link.value_group)];
  if (g.epoch == t_.epoch_) return g;
  g.epoch = t_.epoch_;
  g.scanned = false;
  g.has_bytes = false;
  g.values.clear();
  // Entries (for the prefilters) only where the chain has a static @rx; otherwise an
  // untransformed value is used in place.
  bool entries = chain_filtered(link) || t_.rules_.prefilter_chain_size(link.transform_chain) > 0;
  const std::vector<Value>& values = set_values(link);
  g.values.reserve(values.size());
  for (const Value& value : values) {
    Transaction::CacheEntry* entry = nullptr;
    std::string_view text = transformed(link, value, &entry, entries);
    g.values.push_back({value, text, entry});
  }
  return g;
}

const RegexPrefilter* TransactionEval::chain_prefilter(const RuleLink& link, size_t size) const {
  if (size >= kPrefilterMinBytes && t_.prefilters_ != nullptr) {
    if (const RegexPrefilter* p = t_.prefilters_->by_chain[link.transform_chain].get()) return p;
  }
  return t_.rules_.literal_prefilter(link.transform_chain);
}

bool TransactionEval::chain_filtered(const RuleLink& link) const {
  return t_.rules_.literal_prefilter(link.transform_chain) != nullptr ||
         (t_.prefilters_ != nullptr && t_.prefilters_->by_chain[link.transform_chain] != nullptr);
}

void TransactionEval::scan(const RuleLink& link, Transaction::CacheEntry& entry) {
  if (entry.scanned) return;
  entry.scanned = true;
  std::vector<uint32_t>& hits = t_.buf_->prefilter_hits;
  hits.clear();
  const RegexPrefilter* prefilter = chain_prefilter(link, entry.view.size());
  size_t patterns = t_.rules_.prefilter_chain_size(link.transform_chain);
  if (prefilter == nullptr) {
    entry.may_match.assign((patterns + 63) / 64, true);
    return;
  }
  prefilter->scan(entry.view, hits);
  entry.may_match.assign((patterns + 63) / 64, false);
  for (uint32_t hit : hits) {
    if (hit < patterns) entry.may_match.set(hit);
  }
}

const ByteSet& TransactionEval::value_bytes(Transaction::CacheEntry& entry) {
  if (!entry.has_bytes) {
    // Many chains leave a short value as it was: the same text's bitmap is made once.
    entry.bytes =
        entry.same_text != nullptr ? value_bytes(*entry.same_text) : bytes_present(entry.view);
    entry.has_bytes = true;
  }
  return entry.bytes;
}

bool TransactionEval::group_has_bytes(const RuleLink& link, Transaction::ValueGroup& g) {
  if (!g.has_bytes) {
    g.has_bytes = true;
    g.bytes = ByteSet();
    for (auto& gv : g.values)
      g.bytes.merge(gv.entry ? value_bytes(*gv.entry) : bytes_present(gv.text));
  }
  return link.byte_condition.passes(g.bytes);
}

bool TransactionEval::group_may_match(const RuleLink& link, Transaction::ValueGroup& g) {
  if (!g.scanned) {
    g.scanned = true;
    size_t words = (t_.rules_.prefilter_chain_size(link.transform_chain) + 63) / 64;
    g.may_match.assign(words, 0);
    for (auto& gv : g.values) {
      scan(link, *gv.entry);
      const uint64_t* bits = gv.entry->may_match.data();
      for (size_t w = 0; w < words; ++w) g.may_match[w] |= bits[w];
    }
  }
  uint32_t slot = static_cast<uint32_t>(link.prefilter_slot);
  return (g.may_match[slot / 64] >> (slot % 64)) & 1u;
}

bool TransactionEval::evaluate_group(const Rule& rule, const RuleLink& link,
                                     std::string_view argument) {
  Transaction::ValueGroup& g = group(link);
  if (g.values.empty()) return false;
  const bool has_condition = !link.byte_condition.empty() && g.values.front().entry != nullptr;
  const bool prefilter = link.prefilter_slot >= 0 && chain_filtered(link);
  // A few bits for the whole group: most rules are done without looking at any value. The
  // byte-class test first, it is the cheaper.
  if (has_condition && !link.negated && !group_has_bytes(link, g)) return false;
  if (prefilter && !link.negated && !group_may_match(link, g)) return false;
  const bool check_targets =
      !t_.removed_targets_by_id_.empty() || !t_.removed_targets_by_tag_.empty();
  bool any = false;
  Captures& captures = captures_;  // try_match resets it before every value
  for (const auto& gv : g.values) {
    if (check_targets && target_removed(rule, gv.value)) continue;
    if ((prefilter || has_condition) && !may_match(link, *gv.entry)) {
      // The regex cannot match: only a negated operator matches then.
      if (link.negated && try_match(rule, link, gv.value, gv.text, argument, captures, true)) {
        any = true;
      }
      continue;
    }
    if (try_match(rule, link, gv.value, gv.text, argument, captures, false, gv.entry)) any = true;
  }
  return any;
}

bool TransactionEval::evaluate_link(const Rule& rule, const RuleLink& link) {
  Transaction& t = t_;
  std::string_view argument;
  if (link.dynamic_argument) {
    argument_.clear();
    expand(link.argument, &rule, argument_);
    argument = argument_;
  }
  if (link.unconditional) {
    run_collection_actions(link, rule);
    for (const auto& sv : link.setvars) run_setvar(sv, rule);
    run_expirevars(link, rule);
    return true;
  }
  if (link.value_group >= 0) return evaluate_group(rule, link, argument);
  bool any = false;
  Captures& captures = captures_;  // try_match resets it before every value
  for (const auto& selector : link.selectors) {
    values_.clear();
    collect(selector, &link.exclusions, values_);
    for (size_t i = 0; i < values_.size(); ++i) {
      Value value = values_[i];
      if (!t.removed_targets_by_id_.empty() || !t.removed_targets_by_tag_.empty()) {
        if (target_removed(rule, value)) continue;
      }
      if (link.multi_match) {
        // The value before and after every transformation that changed it.
        std::string& current = multi_current_;
        std::string& next = multi_next_;
        current.assign(value.value);
        auto lacks_bytes = [&link](std::string_view text) {
          return !link.byte_condition.empty() && !link.byte_condition.passes(bytes_present(text));
        };
        if (try_match(rule, link, value, current, argument, captures, lacks_bytes(current))) {
          any = true;
        }
        for (Transform tr : link.transforms) {
          if (!apply_transform(tr, current, next)) continue;
          current.swap(next);
          if (try_match(rule, link, value, current, argument, captures, lacks_bytes(current))) {
            any = true;
          }
        }
        continue;
      }
      Transaction::CacheEntry* entry;
      std::string_view input = transformed(link, value, &entry);
      // Without a cache entry the value's bytes are gathered here: still far cheaper than
      // running the regex.
      bool cannot_match = entry != nullptr ? link.prefilter_slot >= 0 && !may_match(link, *entry)
                                           : !link.byte_condition.empty() &&
                                                 !link.byte_condition.passes(bytes_present(input));
      if (cannot_match) {
        // The regex cannot match: only a negated operator matches then.
        if (link.negated && try_match(rule, link, value, input, argument, captures, true)) {
          any = true;
        }
        continue;
      }
      if (try_match(rule, link, value, input, argument, captures, false, entry)) any = true;
    }
  }
  return any;
}

bool TransactionEval::may_match(const RuleLink& link, Transaction::CacheEntry& entry) {
  if (!link.byte_condition.empty() && !link.byte_condition.passes(value_bytes(entry))) return false;
  if (!chain_filtered(link)) return true;
  scan(link, entry);
  uint32_t slot = static_cast<uint32_t>(link.prefilter_slot);
  return entry.may_match.test(slot);
}

bool TransactionEval::try_match(const Rule& rule, const RuleLink& link, const Value& value,
                                std::string_view input, std::string_view argument,
                                Captures& captures, bool known_no_match,
                                const Transaction::CacheEntry* entry) {
  Transaction& t = t_;
  captures.count = 0;
  // An operator with a fixed argument gives the same answer on the same text: a value
  // repeated in the request is matched once per rule (a non-match is remembered; a
  // match is not, as it still has to set MATCHED_VAR, captures and setvars per value).
  TransformCache& cache = t.buf_->transform_cache;
  const bool memo = entry != nullptr && entry->repeated && !link.dynamic_argument;
  if (memo && !known_no_match) known_no_match = cache.known_no_match(entry->text_id, link.op.get());
  MatchResult result = known_no_match
                           ? MatchResult::kNoMatch
                           : link.op->match(input, argument, link.capture ? &captures : nullptr);
  if (memo && !known_no_match && result == MatchResult::kNoMatch)
    cache.add_no_match(entry->text_id, link.op.get());
  if (result == MatchResult::kError) {
    ++t.operator_errors_;
    result = MatchResult::kNoMatch;
  }
  bool matched = (result == MatchResult::kMatch) != link.negated;
  if (!matched) return false;
  if (link.capture && result == MatchResult::kMatch) {
    for (int g = 0; g < captures.count && g < 10; ++g) {
      t.tx_[std::string(1, static_cast<char>('0' + g))] = captures.groups[g];
    }
  }
  if (t.matched_vars_used_ == t.matched_vars_.size()) t.matched_vars_.emplace_back();
  auto& [name, text] = t.matched_vars_[t.matched_vars_used_++];
  name.assign(value.collection);
  if (!value.key.empty()) name.append(":").append(value.key);
  text.assign(input);
  t.matched_var_.assign(input);
  t.matched_var_name_.assign(name);
  run_collection_actions(link, rule);
  for (const auto& sv : link.setvars) run_setvar(sv, rule);
  run_expirevars(link, rule);
  return true;
}

void TransactionEval::run_collection_actions(const RuleLink& link, const Rule& rule) {
  for (const auto& init : link.initcols) {
    std::string key;
    expand(init.value, &rule, key);
    t_.init_collection(init.collection, std::move(key));
  }
}

void TransactionEval::run_expirevars(const RuleLink& link, const Rule& rule) {
  for (const auto& expire : link.expirevars) {
    std::string name;
    expand(expire.name, &rule, name);
    for (char& c : name) c = ascii_lower(c);
    std::string seconds;
    expand(expire.value, &rule, seconds);
    t_.expire_variable(expire.collection, std::move(name), to_integer(seconds));
  }
}

void TransactionEval::after_full_match(const Rule& rule) {
  Transaction& t = t_;
  for (const auto& link : rule.links) {
    for (const auto& ctl : link.ctls) run_ctl(ctl);
  }
  if (rule.log) {
    MatchRecord record;
    record.rule_id = rule.id;
    record.phase = rule.phase;
    record.severity = rule.severity;
    if (rule.msg) expand(*rule.msg, &rule, record.message);
    if (rule.logdata) expand(*rule.logdata, &rule, record.data);
    t.matches_.push_back(std::move(record));
  }
  if (!rule.skip_after.empty()) t.skip_to_marker_ = rule.skip_after;
  if (rule.skip > 0) t.skip_count_ = rule.skip;
  if (t.mode_ != EngineMode::kOn) return;
  Disruptive action = rule.disruptive;
  int status = rule.status;
  if (action == Disruptive::kBlock) {
    action = rule.default_disruptive;
    if (status == 0) status = rule.default_status;
  }
  switch (action) {
    case Disruptive::kDeny:
    case Disruptive::kDrop:
      t.intervention_ = {
          true, status != 0 ? status : 403, rule.id, {}, action == Disruptive::kDrop};
      break;
    case Disruptive::kRedirect: {
      Intervention redirect{true, status >= 300 && status < 400 ? status : 302, rule.id, {}, false};
      if (rule.redirect_url) expand(*rule.redirect_url, &rule, redirect.url);
      t.intervention_ = std::move(redirect);
      break;
    }
    case Disruptive::kAllow:
      t.allow_ = rule.allow_scope == AllowScope::kPhase     ? Transaction::Allow::kPhase
                 : rule.allow_scope == AllowScope::kRequest ? Transaction::Allow::kRequest
                                                            : Transaction::Allow::kAll;
      break;
    default:
      break;
  }
}

void TransactionEval::run_setvar(const SetVarAction& sv, const Rule& rule) {
  Transaction::Collection* target = collection(sv.collection);
  if (target == nullptr) return;
  std::string name;
  expand(sv.name, &rule, name);
  for (char& c : name) c = ascii_lower(c);
  if (sv.op == SetVarOp::kDelete) {
    target->erase(name);
    return;
  }
  std::string value;
  expand(sv.value, &rule, value);
  if (sv.op == SetVarOp::kSet) {
    (*target)[std::move(name)] = std::move(value);
    return;
  }
  std::string& current = (*target)[std::move(name)];
  int64_t base = to_integer(current);
  int64_t delta = to_integer(value);
  current = std::to_string(sv.op == SetVarOp::kAdd ? base + delta : base - delta);
}

void TransactionEval::run_ctl(const CtlAction& ctl) {
  Transaction& t = t_;
  switch (ctl.kind) {
    case CtlKind::kRuleRemoveById:
      t.removed_ids_.emplace_back(ctl.first_id, ctl.last_id);
      break;
    case CtlKind::kRuleRemoveByTag:
      t.removed_tags_.push_back(ctl.tag);
      break;
    case CtlKind::kRuleRemoveTargetById:
      t.removed_targets_by_id_.push_back({{ctl.first_id, ctl.last_id}, ctl.target});
      break;
    case CtlKind::kRuleRemoveTargetByTag:
      t.removed_targets_by_tag_.emplace_back(ctl.tag, ctl.target);
      break;
    case CtlKind::kRuleEngine:
      t.mode_ = ctl.engine;
      break;
    case CtlKind::kRequestBodyProcessor:
      t.forced_processor_ = ctl.value;
      break;
    case CtlKind::kRequestBodyAccess:
      t.body_access_ = ctl.value == "On";
      break;
    case CtlKind::kForceRequestBodyVariable:
    case CtlKind::kAuditSetting:
      break;
  }
}

std::string_view TransactionEval::first_value(Variable variable, const std::string& key,
                                              const Rule* rule) {
  if (Transaction::Collection* c = collection(variable)) {
    auto it = c->find(key);
    return it == c->end() ? std::string_view() : std::string_view(it->second);
  }
  if (variable == Variable::kRule) {
    std::string& text = scratch();
    if (rule == nullptr) return {};
    if (key == "id") {
      text = std::to_string(rule->id);
    } else if (key == "msg" && rule->msg) {
      expand(*rule->msg, nullptr, text);
    } else if (key == "logdata" && rule->logdata) {
      expand(*rule->logdata, nullptr, text);
    } else if (key == "severity" && rule->severity >= 0) {
      text = std::to_string(rule->severity);
    } else if (key == "phase") {
      text = std::to_string(rule->phase);
    } else if (key == "ver") {
      text = rule->ver;
    } else if (key == "rev") {
      text = rule->rev;
    }
    return text;
  }
  Selector selector;
  selector.variable = variable;
  selector.key = key;
  std::vector<Value> values;
  collect(selector, nullptr, values);
  return values.empty() ? std::string_view() : values.front().value;
}

void TransactionEval::expand(const Macro& macro, const Rule* rule, std::string& out) {
  for (const auto& part : macro.parts) {
    if (!part.is_variable) {
      out += part.literal;
    } else {
      out += first_value(part.variable, part.key, rule);
    }
  }
}

}  // namespace rampart::seclang
