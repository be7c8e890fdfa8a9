// @eq @ge @gt @le @lt: both sides read as integers the way ModSecurity's std::stoi
// calls do, a value that does not parse counting as 0 (so `@eq 0` matches "abc").

#include <climits>

#include "seclang/operator_internal.h"

namespace rampart::seclang::detail {
namespace {

enum class Relation : uint8_t { kEq, kGe, kGt, kLe, kLt };

bool holds(Relation r, int input, int argument) {
  switch (r) {
    case Relation::kEq:
      return input == argument;
    case Relation::kGe:
      return input >= argument;
    case Relation::kGt:
      return input > argument;
    case Relation::kLe:
      return input <= argument;
    case Relation::kLt:
      return input < argument;
  }
  return false;
}

class NumericOperator final : public Operator {
 public:
  NumericOperator(Relation relation, int argument, bool dynamic)
      : relation_(relation), argument_(argument), dynamic_(dynamic) {}
  MatchResult match(std::string_view input, std::string_view argument, Captures*) const override {
    int rhs = dynamic_ ? modsec_atoi(argument) : argument_;
    return holds(relation_, modsec_atoi(input), rhs) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }

 private:
  Relation relation_;
  int argument_;
  bool dynamic_;
};

}  // namespace

int modsec_atoi(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))) ++i;
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
  size_t digits_start = i;
  long long value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    value = value * 10 + (text[i] - '0');
    // std::stoi throws out_of_range here, which ModSecurity maps to 0.
    if (value > static_cast<long long>(INT_MAX) + 1) return 0;
  }
  if (i == digits_start) return 0;
  if (negative) value = -value;
  if (value > INT_MAX || value < INT_MIN) return 0;
  return static_cast<int>(value);
}

std::unique_ptr<Operator> make_numeric_operator(std::string_view name, const std::string& argument,
                                                bool dynamic, std::string& error) {
  struct Entry {
    std::string_view name;
    Relation relation;
  };
  static constexpr Entry kRelations[] = {{"eq", Relation::kEq},
                                         {"ge", Relation::kGe},
                                         {"gt", Relation::kGt},
                                         {"le", Relation::kLe},
                                         {"lt", Relation::kLt}};
  for (const Entry& e : kRelations) {
    if (!iequals(name, e.name)) continue;
    return std::make_unique<NumericOperator>(e.relation, dynamic ? 0 : modsec_atoi(argument),
                                             dynamic);
  }
  return nullptr;
}

}  // namespace rampart::seclang::detail
