#include "seclang/macro.h"

#include "seclang/text_util.h"

namespace rampart::seclang {

bool Macro::has_variables() const {
  for (const auto& part : parts) {
    if (part.is_variable) return true;
  }
  return false;
}

std::optional<Macro> compile_macro(std::string_view text, std::string& error) {
  Macro macro;
  std::string literal;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '%' && i + 1 < text.size() && text[i + 1] == '{') {
      size_t close = text.find('}', i + 2);
      if (close == std::string_view::npos) {
        error = "unterminated macro in '" + std::string(text) + "'";
        return std::nullopt;
      }
      std::string_view ref = text.substr(i + 2, close - i - 2);
      // `%{tx.name}` and `%{tx:name}` both address a member; `%{MATCHED_VAR}` a value.
      size_t sep = ref.find_first_of(".:");
      std::string_view name = sep == std::string_view::npos ? ref : ref.substr(0, sep);
      auto variable = variable_by_name(name);
      if (!variable) {
        error = "unknown variable '" + std::string(name) + "' in macro %{" + std::string(ref) + "}";
        return std::nullopt;
      }
      if (!literal.empty()) {
        macro.parts.push_back({std::move(literal), false, Variable::kTx, {}});
        literal.clear();
      }
      MacroPart part;
      part.is_variable = true;
      part.variable = *variable;
      if (sep != std::string_view::npos) part.key = to_lower(ref.substr(sep + 1));
      macro.parts.push_back(std::move(part));
      i = close + 1;
      continue;
    }
    literal.push_back(text[i++]);
  }
  if (!literal.empty() || macro.parts.empty()) {
    macro.parts.push_back({std::move(literal), false, Variable::kTx, {}});
  }
  return macro;
}

}  // namespace rampart::seclang
