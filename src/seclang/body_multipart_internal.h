#pragma once
// Shared between body_multipart.cc (the line machine) and body_multipart_headers.cc
// (Content-Type boundary and Content-Disposition parsing); not part of the contract.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "seclang/body.h"

namespace rampart::seclang::multipart {

struct Part {
  std::string name;
  std::string filename;
  bool headers_done = false;
  bool is_file = false;
  std::string value;      // form-data parts
  size_t file_size = 0;   // file parts
  bool counted = false;   // toward the file limit
  bool has_data = false;  // a data line seen: a boundary may now end the part
  // Header name → value (names compared without case), and the header lines as
  // MULTIPART_PART_HEADERS shows them.
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> header_lines;
  size_t last_header = SIZE_MAX;  // index in headers/header_lines, for folding
};

struct BoundaryResult {
  std::string boundary;  // empty: no usable boundary
  std::string error;     // non-empty: REQBODY_ERROR with this text
};

// How many times "boundary" (any case) appears with a '=' somewhere after it.
size_t count_boundary_params(std::string_view text);
BoundaryResult parse_boundary(std::string_view content_type, MultipartFlags& flags);
// ModSecurity's return codes: 1 when valid, a negative code (shown in the error) if not.
int parse_content_disposition(std::string_view value, Part& part, MultipartFlags& flags);

}  // namespace rampart::seclang::multipart
