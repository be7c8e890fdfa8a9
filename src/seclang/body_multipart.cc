// multipart/form-data bodies, cut into lines and chunks exactly as ModSecurity v3 (3.0.9)
// cuts them (a 4096-byte line buffer), so that every MULTIPART_* flag, argument value,
// file size and error text matches what nginx + ModSecurity report for the same body.
// Its quirks are kept on purpose, since rules are compared against it:
//  - a form-data value loses the line break at the end of each of its lines
//    (`a\r\nb` → `ab`); a file's size counts them, except the one before the boundary;
//  - an error in a part header line is reported but parsing goes on; a boundary met
//    while a part's headers are still open is taken as a header line and flags the
//    part invalid; a malformed boundary line stops parsing;
//  - when the final boundary is missing nothing of the body is kept (no ARGS, FILES).

#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "seclang/body.h"
#include "seclang/body_multipart_internal.h"

namespace rampart::seclang {

bool MultipartFlags::strict_error() const {
  return parse_error || boundary_quoted || boundary_whitespace || data_before || data_after ||
         header_folding || lf_line || missing_semicolon || invalid_quoting || invalid_part ||
         invalid_header_folding || file_limit_exceeded;
}

namespace {

using multipart::Part;

constexpr size_t kBufSize = 4096;  // ModSecurity's MULTIPART_BUF_SIZE

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string chomp(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.remove_suffix(1);
  return std::string(s);
}

class MultipartParser {
 public:
  MultipartParser(std::string boundary, const BodyLimits& limits, ParsedBody& out)
      : boundary_(std::move(boundary)), limits_(limits), out_(out), flags_(out.multipart) {}

  void run(std::string_view body) {
    if (body.empty()) return;
    seen_data_ = true;
    size_t pos = 0;
    bool line_start = true;
    while (pos < body.size()) {
      // One chunk: up to and including '\n', at most kBufSize bytes, and never a '\r'
      // as the last byte of a full buffer.
      size_t start = pos;
      bool ended = false;
      while (pos < body.size()) {
        char c = body[pos];
        if (c == '\r' && pos - start == kBufSize - 1) {
          ended = true;
          break;
        }
        ++pos;
        if (c == '\n' || pos - start == kBufSize) {
          ended = true;
          break;
        }
      }
      std::string_view chunk = body.substr(start, pos - start);
      if (!ended) {
        leftover_ = chunk;  // an unterminated last line: only complete() looks at it
        leftover_line_start_ = line_start;
        break;
      }
      if (!process_chunk(chunk, line_start, chunk.size() == kBufSize || chunk.back() != '\n'))
        return;
      line_start = chunk.back() == '\n';
      prev_ending_ = !line_start ? 0 : chunk.size() >= 2 && chunk[chunk.size() - 2] == '\r' ? 2 : 1;
      if (complete_ && pos < body.size()) {
        flags_.data_after = true;
        return;
      }
    }
  }

  void complete() {
    flags_.crlf_lf_lines = flags_.lf_line && crlf_line_;
    if (!complete_) {
      if (boundary_count_ > 0) {
        std::string final_line = "--" + boundary_ + "--";
        // A final boundary with no line break after it ends the body even when the last
        // part's headers never ended (that part is then flagged invalid).
        if (leftover_line_start_ && leftover_ == final_line) {
          if (part_ && !part_->has_data) flags_.invalid_part = true;
          note_preceding_line_end();
          finish_part(true);
          complete_ = true;
        }
        if (!complete_) return set_error("Multipart: Final boundary missing.");
      } else if (seen_data_) {
        return set_error("Multipart: No boundaries found in payload.");
      } else {
        return;
      }
    }
    for (Part& p : parts_) {
      if (p.is_file) {
        out_.files.push_back(UploadedFile{p.name, p.filename, p.file_size});
      } else {
        out_.args.push_back(Argument{p.name, std::move(p.value)});
      }
    }
  }

 private:
  void set_error(std::string message) {
    out_.error = true;
    out_.error_message = "Multipart parsing error: " + std::move(message);
  }

  bool matches_at(std::string_view s, size_t at) const {
    return s.size() >= at + boundary_.size() && s.compare(at, boundary_.size(), boundary_) == 0;
  }

  // false: parsing stops here (ModSecurity's process() returning an error).
  // `full`: the chunk filled the line buffer (or stopped short of a '\r' that would have).
  bool process_chunk(std::string_view chunk, bool line_start, bool full) {
    bool as_boundary = false;
    if (line_start && chunk.size() > 3 && chunk[0] == '-' && chunk[1] == '-') {
      if (matches_at(chunk, 2)) {
        if (part_ && !part_->has_data) {
          // Still in the part's headers, or right after them: with no line of data, the
          // line break a delimiter starts with is missing. Taken as a header or data line.
          flags_.invalid_part = true;
        } else {
          if (boundary_count_ > 0) unmatched_value_ = 2;
          std::string_view rest = chunk.substr(2 + boundary_.size());
          bool is_final = rest.substr(0, 2) == "--";
          if (is_final) {
            rest.remove_prefix(2);
            if (complete_) {
              flags_.parse_error = true;
              set_error("Multipart: Invalid boundary (final duplicate).");
              return false;
            }
          }
          if (rest != "\r\n" && rest != "\n") {
            flags_.parse_error = true;
            set_error("Multipart: Invalid boundary: " + std::string(chunk));
            return false;
          }
          (rest == "\n" ? flags_.lf_line : crlf_line_) = true;
          note_preceding_line_end();
          finish_part(is_final);
          if (is_final) complete_ = true;
          as_boundary = true;
          ++boundary_count_;
        }
      } else {
        if (flags_.boundary_quoted && chunk[2] == '"' && matches_at(chunk, 3)) {
          flags_.parse_error = true;
          set_error("Multipart: Invalid boundary (quotes).");
          return false;
        }
        size_t p = 2;
        while (p < chunk.size() && std::isspace(static_cast<unsigned char>(chunk[p]))) ++p;
        if (p != 2 && matches_at(chunk, p)) {
          flags_.parse_error = true;
          set_error("Multipart: Invalid boundary (whitespace).");
          return false;
        }
        unmatched_value_ = 1;
      }
    } else if (line_start) {
      for (size_t i = 0; i + 1 < chunk.size(); ++i) {
        if (chunk[i] == '-' && chunk[i + 1] == '-' && matches_at(chunk, i + 2)) {
          unmatched_value_ = 1;
          break;
        }
      }
    }
    flags_.unmatched_boundary = unmatched_value_ == 1;
    if (as_boundary) return true;
    if (!part_) {
      flags_.data_before = true;
      return true;
    }
    if (!part_->headers_done) {
      if (full) {  // ModSecurity checks the buffer, not the line: 4096 bytes with '\n' fail too
        flags_.parse_error = true;
        set_error("Multipart: Part header line over " + std::to_string(kBufSize) + " bytes long");
        return false;
      }
      part_header(chunk);
      return true;
    }
    part_data(chunk);
    return true;
  }

  // The line break in front of a boundary belongs to it: a bare LF there is flagged too
  // (a bare LF inside a value is not; a CRLF there does not count as a CRLF line).
  void note_preceding_line_end() {
    if (prev_ending_ == 1) flags_.lf_line = true;
  }

  void finish_part(bool last) {
    if (part_) {
      // MULTIPART_PART_HEADERS is filled as each part ends, even if the body is cut short.
      for (std::string& line : part_->header_lines) {
        out_.part_headers.push_back(Argument{part_->name, std::move(line)});
      }
      if (!part_->name.empty()) {
        parts_.push_back(std::move(*part_));
      } else {
        flags_.invalid_part = true;
      }
      part_.reset();
    }
    if (!last) {
      part_.emplace();
      reserve_ = 0;
    }
  }

  // Errors here are reported (REQBODY_ERROR) but, as in ModSecurity, do not stop parsing.
  void part_header(std::string_view line) {
    if (line.find('\0') != std::string_view::npos)
      return set_error("Multipart: Nul byte in part headers.");
    if (line.size() > 1 && line[line.size() - 2] == '\r') {
      crlf_line_ = true;
    } else {
      flags_.lf_line = true;
    }
    Part& p = *part_;
    if (line == "\r\n" || line == "\n") return end_of_headers(p);
    if (std::isspace(static_cast<unsigned char>(line[0]))) {
      flags_.header_folding = true;
      if (p.last_header == SIZE_MAX)
        return set_error("Multipart: Invalid part header (folding error).");
      size_t i = 0;
      while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) {
        if (line[i] != ' ' && line[i] != '\t') flags_.invalid_header_folding = true;
        ++i;
      }
      auto& [name, value] = p.headers[p.last_header];
      value.push_back(' ');
      value += chomp(line.substr(i));
      p.header_lines[p.last_header] = name + ": " + value;
      if (value.size() > kBufSize) return set_error("Multipart: Part header too long.");
      return;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return set_error("Multipart: Invalid part header (colon missing): " + std::string(line));
    }
    if (colon == 0) return set_error("Multipart: Invalid part header (header name missing).");
    std::string_view name = line.substr(0, colon);
    size_t v = colon + 1;
    while (v < line.size() && (line[v] == ' ' || line[v] == '\t')) ++v;
    for (const auto& h : p.headers) {
      if (iequals(h.first, name)) return;  // a repeated header is ignored, silently
    }
    p.headers.emplace_back(std::string(name), chomp(line.substr(v)));
    p.header_lines.emplace_back(line);
    p.last_header = p.headers.size() - 1;
  }

  void end_of_headers(Part& p) {
    const std::string* disposition = nullptr;
    for (const auto& h : p.headers) {
      if (iequals(h.first, "Content-Disposition")) disposition = &h.second;
    }
    if (!disposition) return set_error("Multipart: Part missing Content-Disposition header.");
    int rc = multipart::parse_content_disposition(*disposition, p, flags_);
    if (rc < 0) {
      return set_error("Multipart: Invalid Content-Disposition header (" + std::to_string(rc) +
                       "): " + *disposition);
    }
    if (p.name.empty())
      return set_error("Multipart: Content-Disposition header missing name field.");
    if (!p.filename.empty()) {
      // A parser that finds names with a crude search would miss this filename.
      if (disposition->find("filename=") == std::string::npos) {
        return set_error("Multipart: Invalid Content-Disposition header (filename).");
      }
      p.is_file = true;
    }
    p.headers_done = true;
    p.last_header = SIZE_MAX;
  }

  void part_data(std::string_view chunk) {
    Part& p = *part_;
    // The line break ending a chunk is held back: it belongs to the next boundary if
    // one follows.
    size_t held = 0;
    if (chunk.back() == '\n') held = chunk.size() >= 2 && chunk[chunk.size() - 2] == '\r' ? 2 : 1;
    std::string_view data = chunk.substr(0, chunk.size() - held);
    p.has_data = true;
    if (p.is_file) {
      if (p.file_size == 0 && !p.counted) {
        p.counted = true;
        if (++files_ > limits_.max_files && !flags_.file_limit_exceeded) {
          flags_.file_limit_exceeded = true;
          set_error("Multipart: Upload file limit exceeded " + std::to_string(limits_.max_files) +
                    ". Use SecUploadFileLimit to change the limit.");
        }
      }
      p.file_size += data.size() + reserve_;
    } else {
      p.value.append(data);  // ModSecurity drops the held-back bytes of form-data values
    }
    reserve_ = held;
  }

  std::string boundary_;
  const BodyLimits& limits_;
  ParsedBody& out_;
  MultipartFlags& flags_;
  std::optional<Part> part_;
  std::vector<Part> parts_;
  size_t boundary_count_ = 0;
  size_t reserve_ = 0;
  size_t files_ = 0;
  int unmatched_value_ = 0;
  int prev_ending_ = 0;  // how the last chunk ended: 0 no line break, 1 LF, 2 CRLF
  bool crlf_line_ = false;
  bool complete_ = false;
  bool seen_data_ = false;
  std::string_view leftover_;
  bool leftover_line_start_ = false;
};

}  // namespace

ParsedBody parse_multipart(std::string_view body, std::string_view content_type,
                           const BodyLimits& limits) {
  ParsedBody parsed;
  multipart::BoundaryResult b = multipart::parse_boundary(content_type, parsed.multipart);
  if (!b.error.empty()) {
    parsed.error = true;
    parsed.error_message = "Multipart parsing error: " + b.error;
    return parsed;
  }
  if (b.boundary.empty()) return parsed;
  MultipartParser parser(std::move(b.boundary), limits, parsed);
  parser.run(body);
  parser.complete();
  return parsed;
}

}  // namespace rampart::seclang
