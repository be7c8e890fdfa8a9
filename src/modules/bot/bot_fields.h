#pragma once
// The rules fields the bot modules (bot_clearance, bot_score, verified_bot) set per
// request: each module names its fields in one table, registers them once before any
// rule compiles, and sets them by index.

#include <array>
#include <cstddef>
#include <string_view>

#include "pipeline/request_context.h"
#include "rules/fields.h"
#include "rules/value.h"

namespace rampart::modules::bot {

struct FieldSpec {
  std::string_view name;
  rules::Type type;
  std::string_view description;
};

// One id per spec, in the specs' order; kInvalid where the name is already taken by a
// field of another kind (the module then leaves that field unset).
template <size_t N>
using FieldIds = std::array<rules::FieldId, N>;

template <size_t N>
FieldIds<N> register_bot_fields(const std::array<FieldSpec, N>& specs) {
  auto& registry = rules::FieldRegistry::global();
  FieldIds<N> ids{};
  for (size_t i = 0; i < N; ++i)
    ids[i] = registry.add_extension(specs[i].name, specs[i].type, specs[i].description);
  return ids;
}

inline void set_bot_field(pipeline::RequestContext& ctx, rules::FieldId field, rules::Value value) {
  if (field != rules::FieldRegistry::kInvalid) ctx.facts.set_extension(field, value);
}

}  // namespace rampart::modules::bot
