#pragma once
// SecLang text → directives. Handles line continuations (`\` at end of line), comments,
// quoting (double quotes around variables/operator/actions, single quotes around action
// values, backslash escapes), `Include` (a file or a glob, relative to the including
// file; cycles and depth are errors) and the limits below. Syntax only: names of
// variables, operators, actions and transformations are checked by the compiler.

#include <cstddef>
#include <string>
#include <string_view>

#include "seclang/ast.h"

namespace rampart::seclang {

struct ParseLimits {
  size_t max_file_bytes = 8u << 20;    // one file
  size_t max_total_bytes = 64u << 20;  // all files of one load
  size_t max_directives = 100000;
  size_t max_include_depth = 16;
  size_t max_chain_length = 32;
};

// Reads `path` (and everything it includes) into `out`; errors are appended, parsing
// goes on after an error so that one load reports all of them.
void parse_file(const std::string& path, const ParseLimits& limits, ParsedFiles& out);

// Parses text that did not come from a file (inline rules in the YAML config, tests);
// `name` is used as the file name in locations and Includes resolve against
// `base_dir`.
void parse_text(std::string_view text, const std::string& name, const std::string& base_dir,
                const ParseLimits& limits, ParsedFiles& out);

}  // namespace rampart::seclang
