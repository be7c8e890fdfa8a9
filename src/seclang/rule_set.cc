// RuleSet::load: parse every file, compile the directives in order (defaults apply to
// the rules after them), then apply the exceptions (SecRuleRemove*, SecRuleUpdate*),
// which ModSecurity applies to every rule whatever its position.
#include "seclang/rule_set.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <mutex>
#include <unordered_set>

#include <re2/re2.h>

#include "seclang/compile_internal.h"
#include "seclang/settings.h"

namespace rampart::seclang {

class RuleSetBuilder {
 public:
  RuleSetBuilder(const LoadOptions& options, std::vector<LoadError>& errors)
      : cx_{options, errors, {}, {}, 1000} {}

  std::shared_ptr<const RuleSet> build(const ParsedFiles& parsed) {
    auto set = std::make_shared<RuleSet>();
    set->files_ = parsed.files;
    for (const auto& d : parsed.directives) {
      switch (d.kind) {
        case DirectiveKind::kSetting:
          apply_setting(d, set->settings_, cx_.errors);
          cx_.pcre_match_limit = set->settings_.pcre_match_limit;
          break;
        case DirectiveKind::kDefaultAction:
          compile_default_action(d, cx_);
          break;
        case DirectiveKind::kComponentSignature:
          if (!d.args.empty()) set->settings_.component_signature = d.args[0];
          break;
        case DirectiveKind::kMarker: {
          auto marker = std::make_unique<Rule>();
          marker->is_marker = true;
          marker->where = d.where;
          marker->marker = d.args.empty() ? std::string() : d.args[0];
          set->rules_.push_back(std::move(marker));
          break;
        }
        case DirectiveKind::kRule: {
          auto rule = std::make_unique<Rule>();
          compile_rule(d.rule, cx_, *rule);
          if (rule->id != 0 && !ids_.insert(rule->id).second) {
            cx_.error(d.where, "duplicate rule id " + std::to_string(rule->id));
          }
          set->rules_.push_back(std::move(rule));
          break;
        }
        default:
          exceptions_.push_back(&d);
          break;
      }
    }
    if (cx_.options.adjust_settings) cx_.options.adjust_settings(set->settings_);
    size_t rule_count = ids_.size();
    if (rule_count > cx_.options.max_rules) {
      cx_.error(parsed.directives.empty() ? SourceLocation{} : parsed.directives.back().where,
                std::to_string(rule_count) + " rules are over the limit of " +
                    std::to_string(cx_.options.max_rules));
    }
    for (const auto& rule : set->rules_) {
      if (!rule->is_marker) set->by_id_[rule->id] = rule.get();
    }
    std::unordered_set<const Rule*> removed;
    for (const Directive* d : exceptions_) apply_exception(*d, *set, removed);
    for (const auto& rule : set->rules_) {
      if (removed.count(rule.get())) continue;
      if (rule->is_marker) {
        // ModSecurity places a marker in every phase so skipAfter works from any phase.
        for (int phase = 1; phase <= 5; ++phase) set->phases_[phase].push_back(rule.get());
      } else {
        set->phases_[rule->phase].push_back(rule.get());
      }
    }
    for (const Rule* rule : removed) set->by_id_.erase(rule->id);
    check_markers(*set);
    share_chain_prefixes(*set);
    set->chain_count_ = static_cast<uint32_t>(cx_.chains.size());
    set->chain_patterns_.resize(set->chain_count_);
    for (const auto& rule : set->rules_) {
      for (auto& link : rule->links) {
        const std::string* pattern = link.op ? link.op->static_regex() : nullptr;
        if (pattern == nullptr) continue;
        link.byte_condition = byte_condition_for(*pattern);
        if (link.multi_match) continue;
        auto& patterns = set->chain_patterns_[link.transform_chain];
        link.prefilter_slot = static_cast<int32_t>(patterns.size());
        patterns.push_back(*pattern);
      }
    }
    assign_value_groups(*set);
    if (!cx_.errors.empty()) return nullptr;
    set->literal_prefilters_.resize(set->chain_count_);
    for (uint32_t chain = 0; chain < set->chain_count_; ++chain) {
      const auto& patterns = set->chain_patterns_[chain];
      if (!patterns.empty()) set->literal_prefilters_[chain] = build_literal_prefilter(patterns);
    }
    return set;
  }

 private:
  // Chains that start alike (the CRS runs urlDecodeUni alone and in front of a dozen
  // others; six of its chains start utf8toUnicode,urlDecodeUni) share the work: a
  // chain's base is its longest proper prefix that is a chain too, and a prefix that
  // starts two chains or more is made one. A value's cache entry for a chain starts from
  // its entry for the base, so each prefix runs once per value.
  void share_chain_prefixes(RuleSet& set) {
    std::map<std::vector<Transform>, int> starts;
    for (const auto& [chain, id] : cx_.chains) {
      for (size_t k = 1; k < chain.size(); ++k) {
        ++starts[std::vector<Transform>(chain.begin(), chain.begin() + static_cast<long>(k))];
      }
    }
    for (const auto& [prefix, count] : starts) {
      if (count >= 2) cx_.intern_chain(prefix);
    }
    set.chain_transforms_.resize(cx_.chains.size());
    set.chain_masks_.assign(cx_.chains.size(), 0);
    set.chain_base_.assign(cx_.chains.size(), -1);
    for (const auto& [chain, id] : cx_.chains) {
      set.chain_transforms_[id] = chain;
      for (Transform t : chain) set.chain_masks_[id] |= uint64_t{1} << static_cast<unsigned>(t);
      for (size_t k = chain.size() > 0 ? chain.size() - 1 : 0; k >= 1; --k) {
        auto it = cx_.chains.find(
            std::vector<Transform>(chain.begin(), chain.begin() + static_cast<long>(k)));
        if (it != cx_.chains.end()) {
          set.chain_base_[id] = static_cast<int32_t>(it->second);
          break;
        }
      }
    }
    uint64_t used = 0;
    for (uint64_t mask : set.chain_masks_) used |= mask;
    set.effect_rows_.clear();
    for (int t = 0; t < 64; ++t) {
      if (((used >> t) & 1u) == 0) continue;
      if (const ByteSet* bytes = effect_bytes(static_cast<Transform>(t))) {
        set.effect_rows_.emplace_back(uint64_t{1} << t, *bytes);
      }
    }
  }

  // Whether a variable's values stay the same for a whole phase: request data does, the
  // writable collections and MATCHED_* change as rules run.
  static bool phase_stable(Variable v) {
    switch (v) {
      case Variable::kTx:
      case Variable::kIp:
      case Variable::kGlobal:
      case Variable::kSession:
      case Variable::kUser:
      case Variable::kResource:
      case Variable::kEnv:
      case Variable::kGeo:
      case Variable::kRule:
      case Variable::kMatchedVars:
      case Variable::kMatchedVarsNames:
      case Variable::kMatchedVar:
      case Variable::kMatchedVarName:
      case Variable::kHighestSeverity:
      case Variable::kDuration:
      case Variable::kTime:
      case Variable::kTimeEpoch:
        return false;
      default:
        return true;
    }
  }

  static void append_signature(const Selector& s, std::string& out) {
    out += std::to_string(static_cast<int>(s.variable));
    out += s.count ? '&' : ':';
    out += std::to_string(s.key.size());
    out += ':';
    out += s.key;
    if (s.key_regex) {
      out += '/';
      out += std::to_string(s.key_regex->pattern().size());
      out += ':';
      out += s.key_regex->pattern();
    }
    out += '|';
  }

  // Interns every link's variable list (value set) and (variable list, transformation
  // chain) pair (value group); see RuleLink::value_set.
  static void assign_value_groups(RuleSet& set) {
    std::map<std::string, int32_t> sets;
    std::map<std::pair<int32_t, uint32_t>, int32_t> groups;
    for (const auto& rule : set.rules_) {
      for (auto& link : rule->links) {
        link.value_set = -1;
        link.value_group = -1;
        if (link.unconditional || link.multi_match || link.selectors.empty()) continue;
        bool stable = true;
        std::string signature;
        for (const auto& s : link.selectors) {
          stable = stable && phase_stable(s.variable);
          append_signature(s, signature);
        }
        signature += '!';
        for (const auto& s : link.exclusions) append_signature(s, signature);
        if (!stable) continue;
        auto [it, added] = sets.try_emplace(signature, static_cast<int32_t>(sets.size()));
        link.value_set = it->second;
        auto [git, gadded] = groups.try_emplace({link.value_set, link.transform_chain},
                                                static_cast<int32_t>(groups.size()));
        link.value_group = git->second;
      }
    }
    set.value_set_count_ = static_cast<uint32_t>(sets.size());
    set.value_group_count_ = static_cast<uint32_t>(groups.size());
  }

  void apply_exception(const Directive& d, RuleSet& set, std::unordered_set<const Rule*>& removed) {
    auto each_by_tag = [&](const std::string& tag, auto&& fn) {
      for (auto& rule : set.rules_) {
        if (std::find(rule->tags.begin(), rule->tags.end(), tag) != rule->tags.end()) fn(*rule);
      }
    };
    auto each_by_msg = [&](const std::string& msg, auto&& fn) {
      for (auto& rule : set.rules_) {
        if (rule->msg && !rule->msg->has_variables() && rule->msg->literal() == msg) fn(*rule);
      }
    };
    auto by_id = [&](const std::string& text) -> Rule* {
      int64_t id = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
      if (ec != std::errc()) return nullptr;
      auto it = set.by_id_.find(id);
      return it == set.by_id_.end() ? nullptr : const_cast<Rule*>(it->second);
    };
    switch (d.kind) {
      case DirectiveKind::kRemoveById:
        for (const auto& arg : d.args) {
          int64_t first = 0, last = 0;
          size_t dash = arg.find('-', 1);
          std::string_view a = arg;
          auto parse = [](std::string_view t, int64_t& out) {
            auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
            return ec == std::errc() && ptr == t.data() + t.size();
          };
          bool ok = dash == std::string::npos
                        ? parse(a, first) && (last = first, true)
                        : parse(a.substr(0, dash), first) && parse(a.substr(dash + 1), last);
          if (!ok) {
            cx_.error(d.where, "SecRuleRemoveById: '" + arg + "' is not an id or id range");
            continue;
          }
          for (auto& rule : set.rules_) {
            if (!rule->is_marker && rule->id >= first && rule->id <= last)
              removed.insert(rule.get());
          }
        }
        break;
      case DirectiveKind::kRemoveByTag:
        if (!d.args.empty()) each_by_tag(d.args[0], [&](Rule& r) { removed.insert(&r); });
        break;
      case DirectiveKind::kRemoveByMsg:
        if (!d.args.empty()) each_by_msg(d.args[0], [&](Rule& r) { removed.insert(&r); });
        break;
      case DirectiveKind::kUpdateTargetById:
      case DirectiveKind::kUpdateTargetByTag:
      case DirectiveKind::kUpdateTargetByMsg: {
        std::vector<Selector> add, exclude;
        if (!compile_variables(d.variables, d.where, cx_, add, exclude)) break;
        auto update = [&](Rule& rule) {
          if (rule.is_marker || rule.links.empty()) return;
          auto& head = rule.links[0];
          head.selectors.insert(head.selectors.end(), add.begin(), add.end());
          head.exclusions.insert(head.exclusions.end(), exclude.begin(), exclude.end());
        };
        if (d.args.empty()) break;
        if (d.kind == DirectiveKind::kUpdateTargetById) {
          // ModSecurity accepts an id, a range or several; rules not loaded are not an error.
          if (Rule* rule = by_id(d.args[0])) update(*rule);
        } else if (d.kind == DirectiveKind::kUpdateTargetByTag) {
          each_by_tag(d.args[0], update);
        } else {
          each_by_msg(d.args[0], update);
        }
        break;
      }
      case DirectiveKind::kUpdateActionById: {
        if (d.args.empty()) break;
        std::string id = d.args[0].substr(0, d.args[0].find(':'));
        Rule* rule = by_id(id);
        if (rule == nullptr) {
          cx_.error(d.where, "SecRuleUpdateActionById: no rule with id " + id);
          break;
        }
        update_rule_actions(d.actions, d.where, cx_, *rule);
        break;
      }
      default:
        break;
    }
  }

  void check_markers(const RuleSet& set) {
    std::unordered_set<std::string> markers;
    for (const auto& rule : set.rules_) {
      if (rule->is_marker) markers.insert(rule->marker);
    }
    for (const auto& rule : set.rules_) {
      if (!rule->skip_after.empty() && !markers.count(rule->skip_after)) {
        cx_.error(rule->where, "skipAfter:" + rule->skip_after + ": no SecMarker with that name");
      }
    }
  }

  CompileContext cx_;
  std::unordered_set<int64_t> ids_;
  std::vector<const Directive*> exceptions_;
};

std::shared_ptr<const RuleSet> RuleSet::load(const std::vector<std::string>& files,
                                             const std::string& inline_text,
                                             const LoadOptions& options,
                                             std::vector<LoadError>& errors) {
  ParsedFiles parsed;
  for (const auto& file : files) parse_file(file, options.parse, parsed);
  if (!inline_text.empty()) parse_text(inline_text, "<inline rules>", ".", options.parse, parsed);
  for (auto& e : parsed.errors) errors.push_back({e.where, e.message});
  if (!parsed.errors.empty()) return nullptr;
  RuleSetBuilder builder(options, errors);
  return builder.build(parsed);
}

namespace {

// The prefilters alive in the process, by their pattern list: compiling the CRS takes
// seconds of CPU, and a reload of the same rules (or another site's WAF) reuses them.
std::shared_ptr<const RegexPrefilter> shared_prefilter(const std::vector<std::string>& patterns) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const RegexPrefilter>> alive;
  std::string key;
  for (const auto& p : patterns) key.append(std::to_string(p.size())).append(":").append(p);
  {
    std::lock_guard lock(mutex);
    auto it = alive.find(key);
    if (it != alive.end()) {
      if (auto found = it->second.lock()) return found;
    }
  }
  // Compiled outside the lock: two loads of the same rules at once may both compile.
  std::string error;
  // A set Vectorscan refuses leaves that chain without a prefilter: its rules are then
  // confirmed directly.
  std::shared_ptr<const RegexPrefilter> built = build_regex_prefilter(patterns, error);
  if (!built) return nullptr;
  std::lock_guard lock(mutex);
  std::erase_if(alive, [](const auto& entry) { return entry.second.expired(); });
  alive[std::move(key)] = built;
  return built;
}

}  // namespace

void RuleSet::build_prefilters() const {
  if (prefilters_ready_.load(std::memory_order_acquire) != nullptr) return;
  auto built = std::make_unique<PrefilterSet>();
  built->by_chain.resize(chain_patterns_.size());
  for (size_t chain = 0; chain < chain_patterns_.size(); ++chain) {
    if (chain_patterns_[chain].empty()) continue;
    built->by_chain[chain] = shared_prefilter(chain_patterns_[chain]);
  }
  prefilters_ = std::move(built);
  prefilters_ready_.store(prefilters_.get(), std::memory_order_release);
}

size_t RuleSet::prefilter_pattern_count() const {
  size_t n = 0;
  for (const auto& patterns : chain_patterns_) n += patterns.size();
  return n;
}

const Rule* RuleSet::find(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

}  // namespace rampart::seclang
