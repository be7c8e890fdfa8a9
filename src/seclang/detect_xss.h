#pragma once
// @detectXSS: a tokenizer-based cross-site-scripting detector of rampart's own (the role
// libinjection plays in ModSecurity). The input is tokenized as HTML in the contexts an
// injected value can start in (text, inside an attribute value unquoted / single /
// double quoted); dangerous tags, event-handler attributes, `javascript:`-like URLs and
// style expressions are flagged.

#include <string_view>

namespace rampart::seclang {

bool detect_xss(std::string_view input);

}  // namespace rampart::seclang
