#pragma once
// @detectSQLi: a tokenizer-based SQL injection detector of rampart's own (the role
// libinjection plays in ModSecurity). The input is tokenized as SQL in each of the
// contexts an injected value can start in (as-is, after a single quote, after a double
// quote); the sequence of token types is folded into a short fingerprint which is
// looked up among known attack shapes.

#include <string>
#include <string_view>

namespace rampart::seclang {

// True if `input` looks like SQL injection; `fingerprint` (if given) receives the
// token-type fingerprint that matched, e.g. "s&1" (reported as the matched data).
bool detect_sqli(std::string_view input, std::string* fingerprint = nullptr);

}  // namespace rampart::seclang
