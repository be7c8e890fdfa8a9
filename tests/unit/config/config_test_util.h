#pragma once
// Helpers shared by the config loader tests.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "config/config.h"

namespace rampart::config::testing {

// Drops the newline that follows R"( so that line 1 of the YAML is the first line of
// the literal and line numbers in assertions can be read off the source.
inline std::string yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') text.remove_prefix(1);
  return std::string(text);
}

inline LoadResult load(std::string_view text) {
  return load_string(text, "test.yaml");
}

inline std::string all_errors(const LoadResult& r) {
  std::string out;
  for (const Diagnostic& d : r.errors) out += d.to_string() + "\n";
  return out;
}

// The first diagnostic whose message contains `needle`, or nullptr.
inline const Diagnostic* find_error(const LoadResult& r, std::string_view needle) {
  for (const Diagnostic& d : r.errors) {
    if (d.message.find(needle) != std::string::npos) return &d;
  }
  return nullptr;
}

// Asserts an error containing `needle` at exactly line:column.
inline ::testing::AssertionResult has_error_at(const LoadResult& r, int line, int column,
                                               std::string_view needle) {
  for (const Diagnostic& d : r.errors) {
    if (d.message.find(needle) == std::string::npos) continue;
    if (d.line == line && d.column == column) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error containing \"" << needle << "\" at " << line
                                       << ":" << column << "; errors were:\n"
                                       << all_errors(r);
}

// A listener and a site on two lines, in front of a test's body so that the body's
// first line is line 3 of the file.
inline constexpr std::string_view kHeadYaml =
    "listeners: [{address: 127.0.0.1:8080}]\n"
    "sites: [{name: s, hosts: [s.example], origin: {endpoints: [127.0.0.1:1]}}]\n";

inline LoadResult load_body(std::string_view body) {
  return load(std::string(kHeadYaml) + yaml(body));
}

// The i-th config-wide firewall rule of a loaded config.
inline const Rule& account_rule(const LoadResult& r, size_t i) {
  return r.config->firewall.rules.at(i);
}

// A valid config body after which a test appends or around which it edits.
inline constexpr std::string_view kMinimalYaml = R"(listeners:
  - address: 127.0.0.1:8080
sites:
  - name: one
    hosts: [one.example]
    origin:
      endpoints: [127.0.0.1:9000]
)";

}  // namespace rampart::config::testing
