// Chunked transfer coding (RFC 9112 7.1). Chunk framing is where request smuggling
// lives, so nothing lenient is accepted: no whitespace around sizes or extensions, no
// bare LF, CRLF exactly after each chunk's data.

#include <algorithm>
#include <limits>

#include "http/h1_internal.h"
#include "http/h1_parser.h"

namespace rampart::http {

namespace {

constexpr size_t kMaxSizeDigits = 16;       // 64 bits: more cannot be a real size
constexpr size_t kMaxExtBytes = 4096;       // over the whole body: nobody uses extensions
constexpr size_t kMaxTrailerBytes = 16384;  // over all trailer lines

}  // namespace

ChunkedDecoder::Step ChunkedDecoder::fail(Step& step, size_t at, int status, const char* reason) {
  state_ = State::kError;
  error_ = ParseError{status, reason};
  step.status = ParseStatus::kError;
  step.consumed = at;
  step.error = error_;
  return step;
}

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input) {
  using detail::has_class;
  using detail::is_tchar;
  Step step;
  if (state_ == State::kError) {
    step.status = ParseStatus::kError;
    step.error = error_;
    return step;
  }
  const size_t n = input.size();
  size_t i = 0;
  while (i < n && state_ != State::kDone) {
    if (state_ == State::kData) {
      if (!step.data.empty()) break;  // one span per call; the caller comes back
      const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n - i));
      step.data = input.substr(i, take);
      i += take;
      remaining_ -= take;
      total_ += take;
      if (remaining_ == 0) state_ = State::kDataCr;
      continue;
    }

    const char c = input[i];
    const State at = state_;
    switch (at) {
      case State::kSize: {
        const int v = detail::hex_value(c);
        if (v >= 0) {
          if (++size_digits_ > kMaxSizeDigits) return fail(step, i, 400, "chunk size too long");
          remaining_ = (remaining_ << 4) | static_cast<uint64_t>(v);
        } else if (size_digits_ == 0) {
          return fail(step, i, 400, "invalid chunk size");
        } else if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return fail(step, i, 400, "invalid chunk size");
        }
        break;
      }
      case State::kExtNameStart:
        if (!is_tchar(c)) return fail(step, i, 400, "invalid chunk extension");
        state_ = State::kExtName;
        break;
      case State::kExtName:
        if (c == '=') {
          state_ = State::kExtValueStart;
        } else if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_tchar(c)) {
          return fail(step, i, 400, "invalid chunk extension");
        }
        break;
      case State::kExtValueStart:
        if (c == '"') {
          state_ = State::kExtQuoted;
        } else if (is_tchar(c)) {
          state_ = State::kExtToken;
        } else {
          return fail(step, i, 400, "invalid chunk extension");
        }
        break;
      case State::kExtToken:
        if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else if (!is_tchar(c)) {
          return fail(step, i, 400, "invalid chunk extension");
        }
        break;
      case State::kExtQuoted:
        if (c == '"') {
          state_ = State::kExtQuotedEnd;
        } else if (c == '\\') {
          state_ = State::kExtQuotedEscape;
        } else if (!has_class(c, detail::kQdText)) {
          return fail(step, i, 400, "invalid chunk extension");
        }
        break;
      case State::kExtQuotedEscape:
        if (!has_class(c, detail::kFieldChar)) {
          return fail(step, i, 400, "invalid chunk extension");
        }
        state_ = State::kExtQuoted;
        break;
      case State::kExtQuotedEnd:
        if (c == ';') {
          state_ = State::kExtNameStart;
        } else if (c == '\r') {
          state_ = State::kSizeLf;
        } else {
          return fail(step, i, 400, "invalid chunk extension");
        }
        break;
      case State::kSizeLf:
        if (c != '\n') return fail(step, i, 400, "chunk size line not ended by CRLF");
        size_digits_ = 0;
        if (remaining_ == 0) {
          state_ = State::kTrailerStart;
        } else {
          if (remaining_ > std::numeric_limits<uint64_t>::max() - total_) {
            return fail(step, i, 400, "chunked body size overflow");
          }
          if (max_body_ != 0 && total_ + remaining_ > max_body_) {
            return fail(step, i, 413, "chunked body over limit");
          }
          state_ = State::kData;
        }
        break;
      case State::kDataCr:
        if (c != '\r') return fail(step, i, 400, "chunk data not followed by CRLF");
        state_ = State::kDataLf;
        break;
      case State::kDataLf:
        if (c != '\n') return fail(step, i, 400, "chunk data not followed by CRLF");
        state_ = State::kSize;
        break;
      case State::kTrailerStart:
        if (c == '\r') {
          state_ = State::kFinalLf;
        } else if (is_tchar(c)) {
          state_ = State::kTrailerName;
        } else if (detail::is_ows(c)) {
          return fail(step, i, 400, "obsolete line folding in trailer");
        } else {
          return fail(step, i, 400, "invalid trailer field");
        }
        break;
      case State::kTrailerName:
        if (c == ':') {
          state_ = State::kTrailerValue;
        } else if (!is_tchar(c)) {
          return fail(step, i, 400, "invalid trailer field name");
        }
        break;
      case State::kTrailerValue:
        if (c == '\r') {
          state_ = State::kTrailerLf;
        } else if (!has_class(c, detail::kFieldChar)) {
          return fail(step, i, 400, "invalid character in trailer value");
        }
        break;
      case State::kTrailerLf:
        if (c != '\n') return fail(step, i, 400, "trailer line not ended by CRLF");
        state_ = State::kTrailerStart;
        break;
      case State::kFinalLf:
        if (c != '\n') return fail(step, i, 400, "chunked body not ended by CRLF");
        state_ = State::kDone;
        break;
      case State::kData:
      case State::kDone:
      case State::kError:
        break;  // handled above the switch
    }

    if (at >= State::kExtNameStart && at <= State::kExtQuotedEnd) {
      if (++ext_bytes_ > kMaxExtBytes) return fail(step, i, 400, "chunk extensions too long");
    } else if (at >= State::kTrailerStart && at <= State::kFinalLf) {
      if (++trailer_bytes_ > kMaxTrailerBytes)
        return fail(step, i, 431, "trailer section too large");
      if (keep_trailers_ && at <= State::kTrailerLf && state_ != State::kFinalLf) {
        trailers_.push_back(c);
      }
    }
    ++i;
  }
  step.consumed = i;
  step.status = state_ == State::kDone ? ParseStatus::kComplete : ParseStatus::kIncomplete;
  return step;
}

}  // namespace rampart::http
