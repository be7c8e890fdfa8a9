#pragma once
// Strict HTTP/1.1 message-head and chunked-body parsers (RFC 9112). This is rampart's
// security boundary: anything ambiguous is rejected, never guessed at, so that rampart
// and the origin can never disagree on where one request ends (request smuggling).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/message.h"

namespace rampart::http {

struct ParserLimits {
  size_t max_request_line = 8192;   // bytes, without CRLF; over it: 414
  size_t max_header_bytes = 32768;  // whole head incl. request line; over it: 431
  size_t max_header_count = 100;    // over it: 431
  uint64_t max_body_bytes = 0;      // 0 = unlimited; a larger Content-Length: 413
};

enum class ParseStatus : uint8_t {
  kComplete,    // a whole head was parsed; `consumed` bytes of input belong to it
  kIncomplete,  // need more bytes (and limits are not yet exceeded)
  kError,       // malformed: answer `error.status` and close the connection
};

struct ParseError {
  int status = 400;              // 400, 413, 414, 417, 431, 501 or 505; 502 for responses
  std::string_view reason = {};  // static string naming the rule that was broken
};

struct ParseResult {
  ParseStatus status = ParseStatus::kIncomplete;
  size_t consumed = 0;
  ParseError error{};
};

// Parses one request head from the start of `input`. Leading empty lines (CRLF) before
// the request line are tolerated as RFC 9112 2.2 allows (at most a few).
ParseResult parse_request_head(std::string_view input, const ParserLimits& limits,
                               RequestHead& out);

// Parses one response head. `request_method` decides body presence (HEAD, CONNECT 2xx)
// together with the status (1xx, 204, 304 have no body).
ParseResult parse_response_head(std::string_view input, std::string_view request_method,
                                const ParserLimits& limits, ResponseHead& out);

// Incremental decoder of a chunked body. Feed it bytes as they arrive; it hands out
// the data parts of chunks and skips sizes, extensions and trailers.
class ChunkedDecoder {
 public:
  struct Step {
    ParseStatus status = ParseStatus::kIncomplete;  // kComplete once the last chunk
                                                    // and trailers are consumed
    size_t consumed = 0;                            // input bytes used by this step
    std::string_view data;  // body bytes from this step (a view into input), may be empty;
                            // on kError, the valid body bytes that preceded the error
    ParseError error{};
  };

  explicit ChunkedDecoder(uint64_t max_body_bytes = 0) : max_body_(max_body_bytes) {}

  // Decodes as far as possible from `input` but returns at most one data span; call
  // again with the rest (input.substr(consumed)) until status is kComplete/kError or
  // nothing more is consumed.
  Step feed(std::string_view input);

  bool done() const { return state_ == State::kDone; }
  uint64_t body_bytes() const { return total_; }

  // Keeps the trailer section (validated, bounded like the rest) for trailers(); by
  // default it is checked and dropped.
  void keep_trailers() { keep_trailers_ = true; }
  // The trailer fields received so far, as their lines ("name: value\r\n" each).
  std::string_view trailers() const { return trailers_; }

 private:
  // One state per grammar position of RFC 9112 7.1, so any split of the input works.
  enum class State : uint8_t {
    kSize,             // chunk-size hex digits
    kExtNameStart,     // after ';'
    kExtName,          //
    kExtValueStart,    // after '='
    kExtToken,         //
    kExtQuoted,        // inside a quoted-string
    kExtQuotedEscape,  // after '\\' in a quoted-string
    kExtQuotedEnd,     // after the closing '"'
    kSizeLf,           // CR of the size line seen
    kData,             // remaining_ bytes of chunk data to hand out
    kDataCr,           // CRLF after the data
    kDataLf,           //
    kTrailerStart,     // start of a trailer line, or the final CRLF
    kTrailerName,      //
    kTrailerValue,     //
    kTrailerLf,        // CR of a trailer line seen
    kFinalLf,          // CR of the final empty line seen
    kDone,
    kError,
  };

  Step fail(Step& step, size_t at, int status, const char* reason);

  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // chunk size being read, then data left in the chunk
  uint64_t total_ = 0;
  uint64_t max_body_ = 0;
  size_t size_digits_ = 0;
  size_t ext_bytes_ = 0;
  size_t trailer_bytes_ = 0;
  bool keep_trailers_ = false;
  std::string trailers_;
  ParseError error_{};  // repeated by every feed() after an error
};

}  // namespace rampart::http
