#pragma once
// The table of fields expressions can read. Built-in fields compute from the request;
// extension fields (a bot score, a country) are registered by the modules that set
// them, before any expression is compiled, and read from Request::extensions.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rules/request.h"
#include "rules/scratch.h"
#include "rules/types.h"
#include "rules/value.h"

namespace rampart::rules {

// When in a request's life a field has a value; reading it earlier gives "missing".
enum class Availability : uint8_t { kRequest, kBody, kResponse };

// `key` is the map key for keyed fields (headers["x"]) and empty otherwise.
using FieldCompute = Value (*)(const Request& request, std::string_view key, Scratch& scratch);

struct FieldDef {
  FieldId id = 0;
  std::string name;
  Type type = Type::kString;
  bool keyed = false;          // read as name["key"]
  bool lowercase_key = false;  // the key is matched case-insensitively (header names)
  Availability availability = Availability::kRequest;
  FieldCompute compute = nullptr;  // null for extension fields
  std::string description;
};

class FieldRegistry {
 public:
  // The process-wide table. Registration happens at start-up, before workers run and
  // before any expression compiles; afterwards the table is only read.
  static FieldRegistry& global();

  const FieldDef* find(std::string_view name) const;
  const FieldDef& get(FieldId id) const { return *fields_[id]; }
  size_t size() const { return fields_.size(); }
  std::vector<std::string_view> names() const;

  // Adds a field a module sets per request with Request::set_extension. Registering
  // the same name again with the same type returns the same id; a different type is
  // a programming error (returns nullopt-like 0xffff).
  static constexpr FieldId kInvalid = 0xffff;
  FieldId add_extension(std::string_view name, Type type, std::string_view description);

  FieldRegistry();

 private:
  void add(FieldDef def);
  std::vector<std::unique_ptr<FieldDef>> fields_;
};

}  // namespace rampart::rules
