#pragma once
// Run-time strings of SecLang (`%{tx.anomaly_score}`, `%{MATCHED_VAR}`,
// `%{request_headers.host}`, `%{rule.id}`): split at load into literal text and
// variable references, expanded per request by the transaction.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seclang/variables.h"

namespace rampart::seclang {

struct MacroPart {
  std::string literal;  // used when `is_variable` is false
  bool is_variable = false;
  Variable variable = Variable::kTx;
  std::string key;  // lower-cased member name for collections ("anomaly_score")
};

struct Macro {
  std::vector<MacroPart> parts;
  bool has_variables() const;
  // The text when there are no variables (the common case of msg/tag values).
  const std::string& literal() const { return parts.empty() ? empty_ : parts[0].literal; }

 private:
  static inline const std::string empty_;
};

// nullopt and `error` set on an unknown variable or an unterminated `%{`.
std::optional<Macro> compile_macro(std::string_view text, std::string& error);

}  // namespace rampart::seclang
