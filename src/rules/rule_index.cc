#include "rules/rule_index.h"

#include <algorithm>
#include <optional>

namespace rampart::rules {

struct RuleIndex::Guard {
  enum class Kind : uint8_t { kExact, kPrefix, kContains, kIp };
  Kind kind = Kind::kExact;
  uint32_t slot = 0;
  bool fold_case = false;  // prefix and contains: ASCII case-insensitive
  bool integer = false;    // exact: the keys are integers
  bool array = false;      // exact: the field is an array; any element may match
  std::vector<std::string_view> strings;
  std::vector<int64_t> integers;
  const core::IpRangeSet* ips = nullptr;
};

namespace {

using Guard = RuleIndex::Guard;

char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool is_field(const Program& p, uint32_t node, Type type) {
  const Node& n = p.nodes[node];
  return n.op == Op::kField && n.type == type;
}

bool is_plain_field(const Program& p, uint32_t node) {
  return is_field(p, node, Type::kString) || is_field(p, node, Type::kInt);
}

// `field`, or lower(field)/upper(field), which a case-insensitive scan of the field
// over-approximates.
std::optional<std::pair<uint32_t, bool>> string_field(const Program& p, uint32_t node) {
  if (is_field(p, node, Type::kString)) return std::make_pair(node, false);
  const Node& n = p.nodes[node];
  if (n.op == Op::kCall && (n.function == Function::kLower || n.function == Function::kUpper) &&
      n.b == 1 && is_field(p, p.args[n.a], Type::kString)) {
    return std::make_pair(p.args[n.a], true);
  }
  return std::nullopt;
}

const Value* constant(const Program& p, uint32_t node) {
  const Node& n = p.nodes[node];
  return n.op == Op::kConst ? &p.constants[n.payload] : nullptr;
}

std::optional<Guard> guard_of_test(const Program& p, const Node& n) {
  Guard g;
  switch (n.op) {
    case Op::kEq: {
      uint32_t field = n.a;
      uint32_t value = n.b;
      if (!is_plain_field(p, field)) std::swap(field, value);
      const Value* v = constant(p, value);
      if (!is_plain_field(p, field) || v == nullptr) return std::nullopt;
      g.slot = p.nodes[field].payload;
      g.integer = v->type == Type::kInt;
      if (g.integer) {
        g.integers.push_back(v->integer);
      } else {
        g.strings.push_back(v->string);
      }
      return g;
    }
    case Op::kInStrings:
    case Op::kInInts:
      if (!is_plain_field(p, n.a)) return std::nullopt;
      g.slot = p.nodes[n.a].payload;
      g.integer = n.op == Op::kInInts;
      if (g.integer) {
        g.integers = p.int_sets[n.payload];
      } else {
        g.strings = p.string_sets[n.payload];
      }
      return g;
    case Op::kCall: {
      if (n.function != Function::kStartsWith || n.b != 2) return std::nullopt;
      const Value* v = constant(p, p.args[n.a + 1]);
      if (!is_field(p, p.args[n.a], Type::kString) || v == nullptr) return std::nullopt;
      g.kind = Guard::Kind::kPrefix;
      g.slot = p.nodes[p.args[n.a]].payload;
      g.strings.push_back(v->string);
      return g;
    }
    case Op::kWildcard: {
      if (!is_field(p, n.a, Type::kString) || n.c >= p.wildcards.size()) return std::nullopt;
      const Wildcard& w = p.wildcards[n.c];
      if (w.segments.front().empty()) return std::nullopt;  // "*..." says nothing of the start
      g.kind = Guard::Kind::kPrefix;
      g.slot = p.nodes[n.a].payload;
      g.fold_case = w.fold_case;
      g.strings.push_back(w.segments.front());
      return g;
    }
    case Op::kContains: {
      auto field = string_field(p, n.a);
      const Value* v = constant(p, n.b);
      if (!field || v == nullptr || v->string.empty()) return std::nullopt;
      g.kind = Guard::Kind::kContains;
      g.slot = p.nodes[field->first].payload;
      g.fold_case = field->second;
      g.strings.push_back(v->string);
      return g;
    }
    case Op::kAny: {
      // An array compared whole, or any(x[*] eq "v"): indexed by each element.
      if (!is_field(p, n.c, Type::kStringArray)) return std::nullopt;
      const Node& pred = p.nodes[n.a];
      auto is_element = [&](uint32_t node) {
        return p.nodes[node].op == Op::kEach && p.nodes[node].payload == n.payload;
      };
      if (pred.op == Op::kEq) {
        uint32_t element = pred.a;
        uint32_t value = pred.b;
        if (!is_element(element)) std::swap(element, value);
        const Value* v = constant(p, value);
        if (!is_element(element) || v == nullptr || v->type != Type::kString) return std::nullopt;
        g.strings.push_back(v->string);
      } else if (pred.op == Op::kInStrings && is_element(pred.a)) {
        g.strings = p.string_sets[pred.payload];
      } else {
        return std::nullopt;
      }
      g.slot = p.nodes[n.c].payload;
      g.array = true;
      return g;
    }
    case Op::kInIps:
      if (!is_field(p, n.a, Type::kIp)) return std::nullopt;
      g.kind = Guard::Kind::kIp;
      g.slot = p.nodes[n.a].payload;
      if (n.c != 0) {
        // A live list changes after the index is built: its rules are always candidates.
        const core::LiveIpSet& list = *p.list_sets[n.payload];
        if (list.live()) return std::nullopt;
        g.ips = list.get().get();  // a fixed list's set lives as long as the program
      } else {
        g.ips = p.ip_sets[n.payload].get();
      }
      return g;
    default:
      return std::nullopt;
  }
}

// The first guard on the and-chain from the root, searched left to right.
std::optional<Guard> find_guard(const Program& p, uint32_t node, int depth) {
  if (depth > 32) return std::nullopt;
  const Node& n = p.nodes[node];
  if (n.op == Op::kAnd) {
    if (auto g = find_guard(p, n.a, depth + 1)) return g;
    return find_guard(p, n.b, depth + 1);
  }
  return guard_of_test(p, n);
}

}  // namespace

RuleIndex::RuleIndex(std::span<const Program* const> programs) : rule_count_(programs.size()) {
  for (uint32_t i = 0; i < programs.size(); ++i) {
    auto guard = find_guard(*programs[i], programs[i]->root, 0);
    if (guard) {
      add(*guard, i);
      ++indexed_;
    } else {
      always_.push_back(i);
    }
  }
  for (ContainsGroup& g : contains_) g.search = LiteralSearch(g.literals, g.fold_case);
  for (IpGroup& g : ip_) {
    g.any_of = std::make_shared<const core::IpRangeSet>(std::move(g.builder).build());
  }
}

// Slots are shared by every program of one compiler, so the same field read in two
// rules lands in the same group.
void RuleIndex::add(const Guard& guard, uint32_t rule) {
  switch (guard.kind) {
    case Guard::Kind::kExact: {
      auto it = std::find_if(exact_.begin(), exact_.end(), [&](const ExactGroup& g) {
        return g.slot == guard.slot && g.integer == guard.integer && g.array == guard.array;
      });
      if (it == exact_.end()) {
        it =
            exact_.insert(exact_.end(), ExactGroup{guard.slot, guard.integer, guard.array, {}, {}});
      }
      for (std::string_view s : guard.strings) it->by_string[s].push_back(rule);
      for (int64_t v : guard.integers) it->by_int[v].push_back(rule);
      return;
    }
    case Guard::Kind::kPrefix: {
      auto it = std::find_if(prefix_.begin(), prefix_.end(), [&](const PrefixGroup& g) {
        return g.slot == guard.slot && g.fold_case == guard.fold_case;
      });
      if (it == prefix_.end()) {
        it = prefix_.insert(prefix_.end(), PrefixGroup{guard.slot, guard.fold_case, {}, {}});
      }
      for (std::string_view prefix : guard.strings) {
        std::string key(prefix);
        if (guard.fold_case) std::transform(key.begin(), key.end(), key.begin(), lower_ascii);
        auto found = it->by_prefix.find(key);
        if (found == it->by_prefix.end()) {
          found = it->by_prefix.emplace(keys_.emplace_back(std::move(key)), std::vector<uint32_t>{})
                      .first;
        }
        found->second.push_back(rule);
        auto at = std::lower_bound(it->lengths.begin(), it->lengths.end(), prefix.size());
        if (at == it->lengths.end() || *at != prefix.size()) it->lengths.insert(at, prefix.size());
      }
      return;
    }
    case Guard::Kind::kContains: {
      auto it = std::find_if(contains_.begin(), contains_.end(), [&](const ContainsGroup& g) {
        return g.slot == guard.slot && g.fold_case == guard.fold_case;
      });
      if (it == contains_.end()) {
        it = contains_.insert(contains_.end(), ContainsGroup{});
        it->slot = guard.slot;
        it->fold_case = guard.fold_case;
      }
      for (std::string_view literal : guard.strings) {
        auto at = std::find(it->literals.begin(), it->literals.end(), literal);
        size_t index = static_cast<size_t>(at - it->literals.begin());
        if (at == it->literals.end()) {
          it->literals.emplace_back(literal);
          it->rules.emplace_back();
        }
        it->rules[index].push_back(rule);
      }
      return;
    }
    case Guard::Kind::kIp: {
      auto it = std::find_if(ip_.begin(), ip_.end(),
                             [&](const IpGroup& g) { return g.slot == guard.slot; });
      if (it == ip_.end()) {
        it = ip_.insert(ip_.end(), IpGroup{});
        it->slot = guard.slot;
      }
      it->builder.add_set(*guard.ips);
      it->rules.push_back(rule);
      return;
    }
  }
}

void RuleIndex::candidates(EvalState& state, std::vector<uint32_t>& out) const {
  out.clear();
  out.insert(out.end(), always_.begin(), always_.end());
  size_t unsorted_from = out.size();
  for (const ExactGroup& g : exact_) {
    const Value& v = state.field(g.slot);
    if (v.missing) continue;
    if (g.array) {
      for (std::string_view element : v.strings) {
        auto it = g.by_string.find(element);
        if (it != g.by_string.end()) out.insert(out.end(), it->second.begin(), it->second.end());
      }
      continue;
    }
    const std::vector<uint32_t>* hits = nullptr;
    if (g.integer) {
      auto it = g.by_int.find(v.integer);
      if (it != g.by_int.end()) hits = &it->second;
    } else {
      auto it = g.by_string.find(v.string);
      if (it != g.by_string.end()) hits = &it->second;
    }
    if (hits != nullptr) out.insert(out.end(), hits->begin(), hits->end());
  }
  for (const PrefixGroup& g : prefix_) {
    const Value& v = state.field(g.slot);
    if (v.missing || g.lengths.empty() || v.string.size() < g.lengths.front()) continue;
    std::string_view value = v.string;
    if (g.fold_case) {
      size_t n = std::min(value.size(), g.lengths.back());
      char* lowered = state.scratch().chars(n);
      std::transform(value.begin(), value.begin() + static_cast<ptrdiff_t>(n), lowered,
                     lower_ascii);
      value = std::string_view(lowered, n);
    }
    for (size_t len : g.lengths) {
      if (len > value.size()) break;
      auto it = g.by_prefix.find(value.substr(0, len));
      if (it != g.by_prefix.end()) out.insert(out.end(), it->second.begin(), it->second.end());
    }
  }
  for (const ContainsGroup& g : contains_) {
    const Value& v = state.field(g.slot);
    if (v.missing) continue;
    g.search.search(v.string, [&](uint32_t literal) {
      out.insert(out.end(), g.rules[literal].begin(), g.rules[literal].end());
    });
  }
  for (const IpGroup& g : ip_) {
    const Value& v = state.field(g.slot);
    if (v.missing || !g.any_of->contains(v.ip)) continue;
    out.insert(out.end(), g.rules.begin(), g.rules.end());
  }
  if (out.size() > unsorted_from) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
}

}  // namespace rampart::rules
