#pragma once
// Small branded error responses: HTML for browsers, JSON when the client asks for it.
// Each carries the request id and the config version, so a report names both.

#include <string>
#include <string_view>

namespace rampart::server {

struct ErrorPage {
  std::string content_type;
  std::string body;
};

// `wants_json` when the request's Accept prefers application/json.
ErrorPage render_error_page(int status, std::string_view message, std::string_view request_id,
                            std::string_view config_version, bool wants_json);

bool accepts_json(std::string_view accept_header);

// A short machine-readable name for a status: "bad_gateway", "not_found", ...
std::string_view error_code_name(int status);

// Escapes a string for inclusion in a JSON string literal (no surrounding quotes).
void append_json_escaped(std::string& out, std::string_view value);

}  // namespace rampart::server
