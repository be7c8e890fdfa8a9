#pragma once
// A fingerprint written as a rule in the rules language, and compiled by rules/.

#include <memory>
#include <string>
#include <vector>

#include "modules/ddos/detector.h"

namespace rampart::modules::ddos {

// `http.user_agent eq "x" and http.request.uri.path eq "/y" and ...`; a truncated value
// becomes starts_with(), a client prefix `ip.src in {a.b.c.0/24}`. Empty for no parts.
std::string rule_text(const std::vector<FingerprintPart>& parts);

// A string literal of the rules language holding exactly `value`'s bytes.
std::string rules_string_literal(std::string_view value);

// Compiles `text` into `m` (program and field slots); false with `error` if it fails.
bool compile_rule(const std::string& text, Mitigation& m, std::string& error);

}  // namespace rampart::modules::ddos
