#pragma once
// Request body (and query string) parsers feeding ARGS_GET / ARGS_POST, FILES*,
// MULTIPART_* and REQBODY_ERROR, named and flagged the way ModSecurity v3 names and
// flags them. Each works on a complete buffered body; limits are checked here.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::seclang {

struct Argument {
  std::string name;
  std::string value;
};

struct BodyLimits {
  size_t max_args = 1000;       // SecArgumentsLimit: beyond it → error
  size_t max_json_depth = 512;  // SecRequestBodyJsonDepthLimit
  size_t max_files = 100;       // multipart file parts
};

// The MULTIPART_* variables (each 0/1) the CRS setup rules 200003/200004 test.
struct MultipartFlags {
  bool boundary_quoted = false;
  bool boundary_whitespace = false;
  bool data_before = false;
  bool data_after = false;
  bool header_folding = false;
  bool lf_line = false;
  bool crlf_lf_lines = false;
  bool missing_semicolon = false;
  bool invalid_quoting = false;
  bool invalid_part = false;
  bool invalid_header_folding = false;
  bool file_limit_exceeded = false;
  // MULTIPART_UNMATCHED_BOUNDARY == 1 (what rule 200004 tests); ModSecurity's value 2
  // (a matched boundary came after one) is reported as false.
  bool unmatched_boundary = false;
  // ModSecurity's internal parse-error flag: not a variable of its own, but part of
  // MULTIPART_STRICT_ERROR (bad Content-Type boundary, malformed boundary line, ...).
  bool parse_error = false;
  // MULTIPART_STRICT_ERROR: any of the above that ModSecurity folds into it.
  bool strict_error() const;
};

struct UploadedFile {
  std::string field_name;  // FILES_NAMES
  std::string filename;    // FILES
  size_t size = 0;         // FILES_SIZES
};

struct ParsedBody {
  std::vector<Argument> args;          // ARGS_POST, in body order (JSON: flattened)
  std::vector<UploadedFile> files;     // multipart only
  std::vector<Argument> part_headers;  // MULTIPART_PART_HEADERS: part name → header line
  MultipartFlags multipart;            // multipart only
  bool error = false;                  // REQBODY_ERROR
  std::string error_message;           // REQBODY_ERROR_MSG
  std::string xml_text;                // XML:/* (text content), XML processor only
  std::vector<std::string> xml_attribute_values;  // XML://@*, in document order
};

// `a=1&b=2` (also the query string for ARGS_GET): names and values %-decoded and '+' →
// space, a pair without '=' is a name with an empty value, empty pairs skipped.
ParsedBody parse_urlencoded(std::string_view body, const BodyLimits& limits, char separator = '&');
// `content_type` is the full Content-Type header value (the boundary comes from it).
ParsedBody parse_multipart(std::string_view body, std::string_view content_type,
                           const BodyLimits& limits);
// Nested keys flattened as ModSecurity v3 names them (e.g. `json.user.name`,
// arrays by index).
ParsedBody parse_json(std::string_view body, const BodyLimits& limits);
// Well-formedness check and text content for XML:/*; no DTDs or entities are expanded.
ParsedBody parse_xml(std::string_view body, const BodyLimits& limits);

}  // namespace rampart::seclang
