#include "rules/rule_index.h"

#include <algorithm>
#include <optional>

namespace rampart::rules {

struct RuleIndex::Guard {
  uint32_t slot = 0;
  bool prefix = false;     // strings are prefixes of the value, not the whole value
  bool fold_case = false;  // prefix guards: compared ASCII case-insensitively
  bool integer = false;
  std::vector<std::string_view> strings;
  std::vector<int64_t> integers;
};

namespace {

using Guard = RuleIndex::Guard;

bool is_plain_field(const Program& p, uint32_t node) {
  const Node& n = p.nodes[node];
  return n.op == Op::kField && (n.type == Type::kString || n.type == Type::kInt);
}

std::optional<Guard> guard_of_comparison(const Program& p, const Node& n) {
  Guard g;
  if (n.op == Op::kEq) {
    uint32_t field = n.a;
    uint32_t constant = n.b;
    if (!is_plain_field(p, field)) std::swap(field, constant);
    if (!is_plain_field(p, field) || p.nodes[constant].op != Op::kConst) return std::nullopt;
    const Value& v = p.constants[p.nodes[constant].payload];
    g.slot = p.nodes[field].payload;
    g.integer = v.type == Type::kInt;
    if (g.integer) {
      g.integers.push_back(v.integer);
    } else {
      g.strings.push_back(v.string);
    }
    return g;
  }
  if (n.op == Op::kCall && n.function == Function::kStartsWith && n.b == 2) {
    uint32_t field = p.args[n.a];
    uint32_t constant = p.args[n.a + 1];
    if (!is_plain_field(p, field) || p.nodes[field].type != Type::kString ||
        p.nodes[constant].op != Op::kConst) {
      return std::nullopt;
    }
    g.slot = p.nodes[field].payload;
    g.prefix = true;
    g.strings.push_back(p.constants[p.nodes[constant].payload].string);
    return g;
  }
  if (n.op == Op::kWildcard && is_plain_field(p, n.a) && n.c < p.wildcard_prefixes.size()) {
    const std::string& prefix = p.wildcard_prefixes[n.c];
    if (prefix.empty()) return std::nullopt;  // "*..." says nothing about the start
    g.slot = p.nodes[n.a].payload;
    g.prefix = true;
    g.fold_case = n.integer == 1;
    g.strings.push_back(prefix);
    return g;
  }
  if ((n.op == Op::kInStrings || n.op == Op::kInInts) && is_plain_field(p, n.a)) {
    g.slot = p.nodes[n.a].payload;
    g.integer = n.op == Op::kInInts;
    if (g.integer) {
      g.integers = p.int_sets[n.payload];
    } else {
      g.strings = p.string_sets[n.payload];
    }
    return g;
  }
  return std::nullopt;
}

// The first guard found on the and-chain from the root, searched left to right.
std::optional<Guard> find_guard(const Program& p, uint32_t node, int depth) {
  if (depth > 32) return std::nullopt;
  const Node& n = p.nodes[node];
  if (n.op == Op::kAnd) {
    if (auto g = find_guard(p, n.a, depth + 1)) return g;
    return find_guard(p, n.b, depth + 1);
  }
  return guard_of_comparison(p, n);
}

}  // namespace

RuleIndex::RuleIndex(std::span<const Program* const> programs) : rule_count_(programs.size()) {
  for (uint32_t i = 0; i < programs.size(); ++i) {
    auto guard = find_guard(*programs[i], programs[i]->root, 0);
    if (!guard) {
      always_.push_back(i);
      continue;
    }
    if (guard->prefix) {
      add_prefix_guard(*guard, i);
      ++indexed_;
      continue;
    }
    // Slots are shared by every program of one compiler, so the same field read in
    // two rules lands in the same group.
    auto group = std::find_if(groups_.begin(), groups_.end(), [&](const Group& g) {
      return g.slot == guard->slot && g.integer == guard->integer;
    });
    if (group == groups_.end()) {
      groups_.push_back(Group{guard->slot, guard->integer, {}, {}});
      group = groups_.end() - 1;
    }
    for (std::string_view s : guard->strings) group->by_string[s].push_back(i);
    for (int64_t v : guard->integers) group->by_int[v].push_back(i);
    ++indexed_;
  }
}

void RuleIndex::add_prefix_guard(const Guard& guard, uint32_t rule) {
  auto group = std::find_if(
      prefix_groups_.begin(), prefix_groups_.end(),
      [&](const PrefixGroup& g) { return g.slot == guard.slot && g.fold_case == guard.fold_case; });
  if (group == prefix_groups_.end()) {
    prefix_groups_.push_back(PrefixGroup{guard.slot, guard.fold_case, {}, {}});
    group = prefix_groups_.end() - 1;
  }
  for (std::string_view prefix : guard.strings) {
    std::string key(prefix);
    if (guard.fold_case) {
      for (char& c : key) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    }
    auto it = group->by_prefix.find(key);
    if (it == group->by_prefix.end()) {
      it = group->by_prefix.emplace(keys_.emplace_back(std::move(key)), std::vector<uint32_t>{})
               .first;
    }
    it->second.push_back(rule);
    auto at = std::lower_bound(group->lengths.begin(), group->lengths.end(), prefix.size());
    if (at == group->lengths.end() || *at != prefix.size())
      group->lengths.insert(at, prefix.size());
  }
}

void RuleIndex::candidates(EvalState& state, std::vector<uint32_t>& out) const {
  out.clear();
  out.insert(out.end(), always_.begin(), always_.end());
  bool merged = groups_.empty() && prefix_groups_.empty();
  for (const PrefixGroup& g : prefix_groups_) {
    const Value& v = state.field(g.slot);
    if (v.missing || g.lengths.empty() || v.string.size() < g.lengths.front()) continue;
    std::string_view value = v.string;
    if (g.fold_case) {
      size_t n = std::min(value.size(), g.lengths.back());
      char* lowered = state.scratch().chars(n);
      for (size_t k = 0; k < n; ++k) {
        char c = value[k];
        lowered[k] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      }
      value = std::string_view(lowered, n);
    }
    for (size_t len : g.lengths) {
      if (len > value.size()) break;
      auto it = g.by_prefix.find(value.substr(0, len));
      if (it == g.by_prefix.end()) continue;
      out.insert(out.end(), it->second.begin(), it->second.end());
      merged = false;
    }
  }
  for (const Group& g : groups_) {
    const Value& v = state.field(g.slot);
    if (v.missing) continue;
    const std::vector<uint32_t>* hits = nullptr;
    if (g.integer) {
      auto it = g.by_int.find(v.integer);
      if (it != g.by_int.end()) hits = &it->second;
    } else {
      auto it = g.by_string.find(v.string);
      if (it != g.by_string.end()) hits = &it->second;
    }
    if (hits == nullptr) continue;
    out.insert(out.end(), hits->begin(), hits->end());
    merged = false;
  }
  if (!merged) {
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
  }
}

}  // namespace rampart::rules
