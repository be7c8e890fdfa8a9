#include "rules/rule_index.h"

#include <algorithm>
#include <optional>

namespace rampart::rules {
namespace {

struct Guard {
  uint32_t slot = 0;
  bool integer = false;
  std::vector<std::string_view> strings;
  std::vector<int64_t> integers;
};

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

void RuleIndex::candidates(EvalState& state, std::vector<uint32_t>& out) const {
  out.clear();
  out.insert(out.end(), always_.begin(), always_.end());
  bool merged = groups_.empty();
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
