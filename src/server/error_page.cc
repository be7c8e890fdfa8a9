#include "server/error_page.h"

#include <fmt/format.h>

#include "http/h1_writer.h"

namespace rampart::server {

namespace {

void append_html_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '<':
        out.append("&lt;");
        break;
      case '>':
        out.append("&gt;");
        break;
      case '&':
        out.append("&amp;");
        break;
      case '"':
        out.append("&quot;");
        break;
      default:
        out.push_back(c);
    }
  }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view value) {
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
}

bool accepts_json(std::string_view accept) {
  // Media types are case-insensitive (RFC 9110 8.3.1).
  std::string lowered(accept.substr(0, 1024));
  for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  return lowered.find("application/json") != std::string::npos &&
         lowered.find("text/html") == std::string::npos;
}

std::string_view error_code_name(int status) {
  switch (status) {
    case 400:
      return "bad_request";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 408:
      return "request_timeout";
    case 413:
      return "content_too_large";
    case 414:
      return "uri_too_long";
    case 417:
      return "expectation_failed";
    case 431:
      return "header_fields_too_large";
    case 501:
      return "not_implemented";
    case 502:
      return "bad_gateway";
    case 503:
      return "service_unavailable";
    case 504:
      return "gateway_timeout";
    case 505:
      return "http_version_not_supported";
    default:
      return status >= 500 ? "server_error" : "client_error";
  }
}

ErrorPage render_error_page(int status, std::string_view message, std::string_view request_id,
                            std::string_view config_version, bool wants_json) {
  ErrorPage page;
  if (wants_json) {
    page.content_type = "application/json";
    page.body = fmt::format("{{\"status\":{},\"error\":\"{}\",\"message\":\"", status,
                            error_code_name(status));
    append_json_escaped(page.body, message);
    page.body.append("\",\"request_id\":\"");
    append_json_escaped(page.body, request_id);
    page.body.append("\",\"config_version\":\"");
    append_json_escaped(page.body, config_version);
    page.body.append("\"}\n");
    return page;
  }
  page.content_type = "text/html; charset=utf-8";
  std::string_view reason = http::reason_phrase(status);
  page.body = fmt::format(
      "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0} {1}</title>"
      "<style>body{{font:16px system-ui,sans-serif;margin:4em auto;max-width:36em;color:#222}}"
      "h1{{font-size:1.6em}}small{{color:#777}}</style></head><body>"
      "<h1>{0} {1}</h1><p>",
      status, reason);
  append_html_escaped(page.body, message);
  page.body.append("</p><p><small>rampart &middot; request ");
  append_html_escaped(page.body, request_id);
  page.body.append(" &middot; config ");
  append_html_escaped(page.body, config_version);
  page.body.append("</small></p></body></html>\n");
  return page;
}

}  // namespace rampart::server
