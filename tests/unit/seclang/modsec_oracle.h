#pragma once
// ModSecurity v3 itself as a test oracle: loads the installed libmodsecurity at run time
// (no link-time dependency) and runs one of its transformations, so the differential
// tests compare rampart's transformations with the library nginx runs the CRS with.
// Absent library → available() is false and the differential tests skip.

#include <optional>
#include <string>
#include <string_view>

#include "seclang/transform.h"

namespace rampart::seclang::testing {

class ModsecOracle {
 public:
  // The process-wide instance (the library is loaded once).
  static ModsecOracle& get();

  bool available() const { return available_; }
  // t(in) as ModSecurity computes it, with a transaction whose rule set maps %uXXXX
  // through the same unicode.mapping (code page 20127) as the nginx configuration.
  std::optional<std::string> apply(Transform t, std::string_view in);

 private:
  ModsecOracle();
  bool available_ = false;
  void* transaction_ = nullptr;
  void* actions_[64] = {};
};

}  // namespace rampart::seclang::testing
