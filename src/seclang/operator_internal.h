#pragma once
// Private to the operator files: the per-family factories that compile_operator
// (operator.cc) dispatches to, and the small parsers several families share.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "seclang/operator.h"

namespace rampart::seclang::detail {

// Each factory returns nullptr and sets `error` when it does not know `name` (compared
// case-insensitively, like ModSecurity's rule parser) with error left empty, or when
// the argument is invalid (error set).
std::unique_ptr<Operator> make_regex_operator(std::string_view name, const std::string& argument,
                                              bool dynamic, const OperatorLoadContext& context,
                                              std::string& error);
std::unique_ptr<Operator> make_string_operator(std::string_view name, const std::string& argument,
                                               bool dynamic, const OperatorLoadContext& context,
                                               std::string& error);
std::unique_ptr<Operator> make_numeric_operator(std::string_view name, const std::string& argument,
                                                bool dynamic, std::string& error);
std::unique_ptr<Operator> make_ip_operator(std::string_view name, const std::string& argument,
                                           bool dynamic, const OperatorLoadContext& context,
                                           std::string& error);
std::unique_ptr<Operator> make_validate_operator(std::string_view name, const std::string& argument,
                                                 bool dynamic, std::string& error);
std::unique_ptr<Operator> make_detect_operator(std::string_view name);

// For data-file operators given a macro argument (the file is read once, at load).
std::string file_name_macro_error(std::string_view name);

bool iequals(std::string_view a, std::string_view b);

// std::stoi as ModSecurity's numeric operators use it, with its failures mapped to 0:
// leading whitespace, an optional sign, then decimal digits up to the first other byte;
// no digits or a value outside int's range gives 0.
int modsec_atoi(std::string_view text);

// `path` as written in a rule, resolved against the rule file's directory when relative.
std::string resolve_data_path(std::string_view path, const OperatorLoadContext& context);

// The whole file, or nullopt and `error` set when it cannot be read or exceeds max_bytes.
std::optional<std::string> read_data_file(const std::string& path, size_t max_bytes,
                                          std::string& error);

}  // namespace rampart::seclang::detail
