// The header side of multipart/form-data: the boundary from the request's Content-Type
// and each part's Content-Disposition, checked and flagged as ModSecurity v3 (3.0.9)
// does, error texts included (they reach REQBODY_ERROR_MSG).

#include <cctype>
#include <string>
#include <string_view>

#include "seclang/body_multipart_internal.h"

namespace rampart::seclang::multipart {
namespace {

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}
bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool boundary_char(std::string_view b, size_t i) {
  char c = b[i];
  if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) return true;
  if (c == ' ') return i + 1 < b.size();  // RFC 2046: a space, but not the last character
  return std::string_view("'()+_,-./:=?").find(c) != std::string_view::npos;
}

bool token_char(unsigned char c) {
  if (c <= 32 || c >= 127) return false;
  return std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

}  // namespace

size_t count_boundary_params(std::string_view text) {
  std::string low(text);
  for (char& c : low) c = lower(c);
  size_t count = 0;
  for (size_t at = low.find("boundary"); at != std::string::npos; at = low.find("boundary", at)) {
    at += 8;
    if (low.find('=', at) != std::string::npos) ++count;
  }
  return count;
}

BoundaryResult parse_boundary(std::string_view ct, MultipartFlags& flags) {
  BoundaryResult r;
  auto fail = [&](std::string message) {
    flags.parse_error = true;
    r.error = std::move(message);
    return r;
  };
  if (ct.empty()) return fail("Multipart: Content-Type header not available.");
  if (ct.size() > 1024) return fail("Multipart: Invalid boundary in C-T (length).");
  constexpr std::string_view kType = "multipart/form-data";
  if (ct.size() < kType.size()) return fail("Multipart: Invalid MIME type.");
  for (size_t i = 0; i < kType.size(); ++i) {
    if (lower(ct[i]) != kType[i]) return fail("Multipart: Invalid MIME type.");
  }
  if (count_boundary_params(ct) > 1) return fail("Multipart: Multiple boundary parameters in C-T.");
  size_t at = ct.find("boundary");
  if (at == std::string_view::npos) {
    if (count_boundary_params(ct) > 0)
      return fail("Multipart: Invalid boundary in C-T (case sensitivity).");
    return fail("Multipart: Boundary not found in C-T.");
  }
  bool seen_semicolon = false;
  for (size_t i = kType.size(); i < at; ++i) {
    if (is_space(ct[i])) continue;
    if (!seen_semicolon && ct[i] == ';') {
      seen_semicolon = true;
    } else {
      return fail("Multipart: Invalid boundary in C-T (malformed).");
    }
  }
  if (!seen_semicolon) flags.missing_semicolon = true;
  size_t eq = ct.find('=', at + 8);
  if (eq == std::string_view::npos) return fail("Multipart: Invalid boundary in C-T (malformed).");
  for (size_t i = at + 8; i < eq; ++i) {
    if (!is_space(ct[i])) return fail("Multipart: Invalid boundary in C-T (parameter name).");
    flags.boundary_whitespace = true;
  }
  std::string_view value = ct.substr(eq + 1);
  if (!value.empty() && is_space(value[0])) flags.boundary_whitespace = true;
  std::string_view boundary;
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    boundary = value.substr(1, value.size() - 2);
    if (boundary.empty()) return r;  // ModSecurity gives up silently
    flags.boundary_quoted = true;
  } else {
    if (!value.empty() && (value.front() == '"' || (value.size() >= 2 && value.back() == '"'))) {
      return fail("Multipart: Invalid boundary in C-T (quote).");
    }
    boundary = value.substr(0, value.find(';'));  // `boundary=X; charset=...` is accepted
    if (boundary.empty()) return r;
  }
  if (count_boundary_params(boundary) != 0)
    return fail("Multipart: Invalid boundary in C-T (content).");
  for (size_t i = 0; i < boundary.size(); ++i) {
    if (!boundary_char(boundary, i))
      return fail("Multipart: Invalid boundary in C-T (characters).");
  }
  r.boundary = std::string(boundary);
  return r;
}

int parse_content_disposition(std::string_view v, Part& part, MultipartFlags& flags) {
  if (v.substr(0, 9) != "form-data") return -1;
  size_t p = 9;
  auto at = [&](size_t i) { return i < v.size() ? v[i] : '\0'; };
  auto skip_ws = [&] {
    while (at(p) == ' ' || at(p) == '\t') ++p;
  };
  skip_ws();
  if (p >= v.size()) return 1;
  if (v[p] != ';') return -2;
  ++p;
  while (p < v.size()) {
    skip_ws();
    if (p >= v.size()) return -3;
    size_t start = p;
    while (p < v.size() && v[p] != '=' && v[p] != ' ' && v[p] != '\t') ++p;
    if (p >= v.size()) return -4;
    std::string_view param = v.substr(start, p - start);
    skip_ws();
    if (p >= v.size()) return -5;
    if (v[p] != '=') return -13;
    ++p;
    skip_ws();
    if (p >= v.size()) return -6;
    std::string value;
    if (v[p] == '"' || v[p] == '\'') {
      char quote = v[p];
      if (quote == '\'') flags.invalid_quoting = true;
      ++p;
      if (p >= v.size()) return -7;
      while (p < v.size()) {
        if (v[p] == '\\') {
          if (p + 1 >= v.size()) return -8;
          if (v[p + 1] == quote || v[p + 1] == '\\') ++p;  // other escapes stay (IE sends them)
        } else if (v[p] == quote) {
          break;
        }
        value.push_back(v[p++]);
      }
      ++p;  // the closing quote
    } else {
      size_t s = p;
      while (p < v.size() && token_char(static_cast<unsigned char>(v[p]))) ++p;
      value.assign(v.substr(s, p - s));
    }
    if (param == "name" || param == "filename") {
      std::string& slot = param == "name" ? part.name : part.filename;
      if (!slot.empty()) return param == "name" ? -14 : -15;
      slot = std::move(value);
    } else {
      return -11;
    }
    if (p < v.size()) {
      skip_ws();
      if (p >= v.size()) return 1;
      if (v[p] != ';') {
        if (v[p - 1] == '\'' || v[p - 1] == '"') flags.invalid_quoting = true;
        return -12;
      }
      ++p;
    }
  }
  return 1;
}

}  // namespace rampart::seclang::multipart
