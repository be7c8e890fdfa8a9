// compile_operator: maps an operator name onto its family's factory (one file per
// family: operator_regex, operator_string, operator_numeric, operator_ip,
// operator_validate, operator_detect); the helpers they share are in operator_util.cc.

#include "seclang/operator.h"
#include "seclang/operator_internal.h"

namespace rampart::seclang {
namespace detail {
namespace {

class ConstantOperator final : public Operator {
 public:
  explicit ConstantOperator(MatchResult result) : result_(result) {}
  MatchResult match(std::string_view, std::string_view, Captures*) const override {
    return result_;
  }

 private:
  MatchResult result_;
};

}  // namespace

}  // namespace detail

std::unique_ptr<Operator> compile_operator(const OperatorSpec& spec, bool dynamic_argument,
                                           const OperatorLoadContext& context, std::string& error) {
  using namespace detail;
  error.clear();
  std::string_view name = spec.name;
  if (iequals(name, "unconditionalMatch")) {
    return std::make_unique<ConstantOperator>(MatchResult::kMatch);
  }
  if (iequals(name, "noMatch")) return std::make_unique<ConstantOperator>(MatchResult::kNoMatch);
  std::unique_ptr<Operator> op =
      make_regex_operator(name, spec.argument, dynamic_argument, context, error);
  if (!op && error.empty()) {
    op = make_string_operator(name, spec.argument, dynamic_argument, context, error);
  }
  if (!op && error.empty())
    op = make_numeric_operator(name, spec.argument, dynamic_argument, error);
  if (!op && error.empty()) {
    op = make_ip_operator(name, spec.argument, dynamic_argument, context, error);
  }
  if (!op && error.empty()) {
    op = make_validate_operator(name, spec.argument, dynamic_argument, error);
  }
  if (!op && error.empty()) op = make_detect_operator(name);
  if (op) return op;
  if (!error.empty()) {
    if (!error.starts_with('@')) error = "@" + spec.name + ": " + error;
    return nullptr;
  }
  error = "unknown operator @" + spec.name;
  return nullptr;
}

}  // namespace rampart::seclang
